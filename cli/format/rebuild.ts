import type { BucketChange } from '../ops/rebuild';
import { formatTable } from './table';

/** Human output of `rebuild`. Pure. */

/** Fields listed per bucket before the rest is counted. */
const FIELDS_SHOWN = 6;

const fieldsText = (change: BucketChange): string => {
  const entries = Object.entries(change.fields);
  const shown = entries.slice(0, FIELDS_SHOWN).map(([f, c]) => `${f} ${c.before}→${c.after}`);
  const more = entries.length - FIELDS_SHOWN;
  return more > 0
    ? `${shown.join(', ')} (+${more} more)`
    : shown.length > 0
      ? shown.join(', ')
      : 'error sample';
};

/** The buckets that differ: scope, day, bucket start and the fields that change (stored → rebuilt). */
export const formatRebuildChanges = (changes: readonly BucketChange[]): string =>
  changes.length === 0
    ? 'every bucket matches the history table'
    : formatTable(
        [{ header: 'SCOPE' }, { header: 'DAY' }, { header: 'BUCKET' }, { header: 'STORED → REBUILT' }],
        changes.map((c) => [c.scope, c.day, c.slot, fieldsText(c)]),
      );
