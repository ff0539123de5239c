import type { RollupDayOutcome } from '../../lambdas/rollup/run-rollup';
import { formatTable } from './table';
import { formatInteger } from './values';

/** The table of recomputed days that `backfill` and `rebuild` print. Pure. */
export const formatRollupDays = (days: readonly RollupDayOutcome[]): string =>
  formatTable(
    [
      { header: 'DAY' },
      { header: 'SCOPES', align: 'right' },
      { header: 'WRITTEN', align: 'right' },
      { header: 'SUPERSEDED', align: 'right' },
      { header: 'EXPIRED', align: 'right' },
    ],
    days.map((d) => [
      d.day,
      formatInteger(d.scopes),
      formatInteger(d.written),
      formatInteger(d.superseded),
      formatInteger(d.empty),
    ]),
  );
