import { type AggregateDelta, deltaOf, dirtyDaysOf, sumDeltas, targetKey } from '../domain/aggregate';
import type { Execution } from '../domain/execution';
import { isRetryableAwsError } from '../shared/aws/retryable';
import { forEachSettled } from '../shared/settle';
import {
  type AggregateStore,
  AggregateWriteRefusedError,
  type ChangeId,
  errorSummaryOf,
  MAX_CHANGE_IDS_PER_SKIP,
  type RefusedWrite,
  type SkipRecord,
} from '../shared/store/aggregate-store';

/**
 * The aggregation use case: fold execution changes from the history table's stream into the
 * time-bucket aggregates, exactly once per change (see `AggregateStore` for the protocol).
 *
 * Failures: a transient error (`isRetryableAwsError`) stops the batch once every write in flight has
 * settled and hands the rest back (`failedAt`). A permanent one (DynamoDB refused the write itself) is
 * recorded as a skip (`recordSkips`) and the batch goes on; only when the record cannot be stored is
 * the batch handed back, so nothing is skipped without a trace.
 */

/** One change of one execution item, as the stream reports it. */
export interface ExecutionChange {
  /** Stream sequence number (unique and increasing within the batch's shard). */
  readonly sequenceNumber: string;
  readonly before: Execution | undefined;
  readonly after: Execution | undefined;
}

export interface AggregateOutcome {
  /** Sequence number of the first change that was not applied (report it as the batch item failure). */
  readonly failedAt?: string;
  /** Changes handed back for redelivery (from `failedAt` to the end of the batch). */
  readonly retried: number;
  /** Changes folded in by this call (excluding ones an earlier try had finished). */
  readonly applied: number;
  /** Aggregate items updated. */
  readonly itemsWritten: number;
  /** Writes skipped after a permanent error, each stored as a skip record. */
  readonly skipped: readonly SkipRecord[];
}

/** Compare stream sequence numbers (decimal strings of varying length). */
export const seqCompare = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/** Updates to one table in flight at once. */
const CONCURRENCY = 16;

/** Apply `fn` to every item; after a failure start nothing new, and throw once nothing is in flight. */
const forEachLimited = <T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> =>
  forEachSettled(items, CONCURRENCY, fn);

const changeIdOf = (c: ExecutionChange): ChangeId => ({
  sequenceNumber: c.sequenceNumber,
  taskId: (c.after ?? c.before)?.taskId ?? '',
});

/** The changes that contributed to each target (by `targetKey`). Pure. */
const contributorsOf = (
  changes: readonly ExecutionChange[],
  dimensionKeys: readonly string[],
): Map<string, ChangeId[]> => {
  const out = new Map<string, ChangeId[]>();
  for (const c of changes)
    for (const d of deltaOf(c.before, c.after, dimensionKeys)) {
      const key = targetKey(d.target);
      out.set(key, [...(out.get(key) ?? []), changeIdOf(c)]);
    }
  return out;
};

/** A skip record of refused writes or of a whole intent. Pure. */
export const skipRecordOf = (
  intent: string,
  where: { day: string; scope: string; slot: string; part: string; fields: readonly string[] },
  error: RefusedWrite['error'],
  changes: readonly ChangeId[],
  changeCount = changes.length,
): SkipRecord => ({
  intent,
  ...where,
  error,
  changes: changes.slice(0, MAX_CHANGE_IDS_PER_SKIP),
  changeCount,
});

/**
 * Apply every delta with `apply` (at most `CONCURRENCY` at once, settled before a failure is thrown).
 * Writes DynamoDB refused for good come back as skip records (not yet stored); a transient error is
 * thrown once nothing is in flight.
 */
export const applyRecordingRefusals = async (
  intent: string,
  deltas: readonly AggregateDelta[],
  contributors: ReadonlyMap<string, readonly ChangeId[]> | ((key: string) => readonly ChangeId[]),
  apply: (delta: AggregateDelta) => Promise<void>,
  changeCountOf: (key: string) => number | undefined = () => undefined,
): Promise<SkipRecord[]> => {
  const skipped: SkipRecord[] = [];
  const idsOf = (key: string) =>
    typeof contributors === 'function' ? contributors(key) : (contributors.get(key) ?? []);
  await forEachLimited(deltas, async (d) => {
    try {
      await apply(d);
    } catch (error) {
      if (!(error instanceof AggregateWriteRefusedError)) throw error;
      const key = targetKey(d.target);
      for (const refused of error.refused)
        skipped.push(
          skipRecordOf(
            intent,
            { ...d.target, part: refused.part, fields: refused.fields },
            refused.error,
            idsOf(key),
            changeCountOf(key),
          ),
        );
    }
  });
  return skipped;
};

/**
 * Run one intent to completion from whatever state an earlier try left it in. Returns the writes that
 * were refused permanently (already recorded). Dirty-day marks are written after the deltas and
 * before the ledger says `applied`, so a mark never precedes its data and a retry still writes it.
 */
const completeIntent = async (
  store: AggregateStore,
  intent: string,
  state: 'applying' | 'applied' | 'done',
  deltas: readonly AggregateDelta[],
  contributors: ReadonlyMap<string, readonly ChangeId[]>,
  nowMs: number,
): Promise<SkipRecord[]> => {
  let skipped: SkipRecord[] = [];
  if (state === 'applying') {
    skipped = await applyRecordingRefusals(intent, deltas, contributors, (d) => store.applyDelta(intent, d));
    if (skipped.length > 0) await store.recordSkips(skipped);
    await store.registerScopes(deltas.map((d) => d.target));
    await store.markDirtyDays(dirtyDaysOf(deltas, nowMs));
    await store.advanceLedger(intent, 'applied');
  }
  if (state !== 'done') {
    await forEachLimited(deltas, (d) => store.clearMarker(intent, d));
    await store.advanceLedger(intent, 'done');
  }
  return skipped;
};

/**
 * Apply a batch of changes in order. The batch (from its first change) is one intent; a retry of the
 * same batch resumes the intent, and changes after what the intent covered start a new one.
 */
export const aggregateChanges = async (
  changesIn: readonly ExecutionChange[],
  store: AggregateStore,
  dimensionKeys: readonly string[],
  now: () => number = Date.now,
): Promise<AggregateOutcome> => {
  let remaining = [...changesIn].sort((a, b) => seqCompare(a.sequenceNumber, b.sequenceNumber));
  let applied = 0;
  let itemsWritten = 0;
  const skipped: SkipRecord[] = [];
  const handBack = () => ({
    failedAt: remaining[0]!.sequenceNumber,
    retried: remaining.length,
    applied,
    itemsWritten,
    skipped,
  });
  while (remaining.length > 0) {
    const intent = remaining[0]!.sequenceNumber;
    let covered = remaining;
    try {
      const last = remaining[remaining.length - 1]!.sequenceNumber;
      const ledger = (await store.readLedger(intent)) ?? { through: last, state: 'new' as const };
      covered = remaining.filter((c) => seqCompare(c.sequenceNumber, ledger.through) <= 0);
      // A retry must see at least what the first try saw; a shorter batch waits for the rest.
      if (seqCompare(last, ledger.through) < 0) return handBack();
      const deltas = sumDeltas(
        covered.flatMap((c) =>
          deltaOf(c.before, c.after, dimensionKeys).map((delta) => ({ delta, sign: 1 as const })),
        ),
      );
      if (ledger.state !== 'done' && deltas.length > 0) {
        const entry = ledger.state === 'new' ? await store.beginLedger(intent, ledger.through) : ledger;
        // Another try created the intent at the same moment and saw a different batch: start over.
        if (entry.through !== ledger.through) return handBack();
        const contributors = contributorsOf(covered, dimensionKeys);
        skipped.push(...(await completeIntent(store, intent, entry.state, deltas, contributors, now())));
        applied += covered.length;
        itemsWritten += deltas.length;
      }
    } catch (error) {
      if (isRetryableAwsError(error)) return handBack();
      // DynamoDB refused a step of the protocol itself: record the intent's days as skipped and go on.
      try {
        skipped.push(...(await skipIntent(store, intent, covered, dimensionKeys, error)));
      } catch {
        return handBack();
      }
    }
    remaining = remaining.slice(covered.length);
  }
  return { retried: 0, applied, itemsWritten, skipped };
};

/** Record every day an intent touches as skipped (one record per day). */
export const skipIntent = async (
  store: AggregateStore,
  intent: string,
  changes: readonly ExecutionChange[],
  dimensionKeys: readonly string[],
  error: unknown,
): Promise<SkipRecord[]> => {
  const byDay = new Map<string, ChangeId[]>();
  for (const c of changes)
    for (const d of deltaOf(c.before, c.after, dimensionKeys))
      byDay.set(d.target.day, [...(byDay.get(d.target.day) ?? []), changeIdOf(c)]);
  const records = [...byDay.entries()].map(([day, ids]) =>
    skipRecordOf(intent, { day, scope: '*', slot: '*', part: '*', fields: [] }, errorSummaryOf(error), [
      ...new Map(ids.map((id) => [id.sequenceNumber, id])).values(),
    ]),
  );
  await store.recordSkips(records);
  return records;
};
