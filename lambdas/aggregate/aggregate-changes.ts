import { type AggregateDelta, deltaOf, sumDeltas } from '../domain/aggregate';
import type { Execution } from '../domain/execution';
import { forEachSettled } from '../shared/settle';
import type { AggregateStore } from '../shared/store/aggregate-store';

/**
 * The aggregation use case: fold execution changes from the history table's stream into the
 * time-bucket aggregates, exactly once per change (see `AggregateStore` for the protocol).
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
  /** Changes folded in by this call (excluding ones an earlier try had finished). */
  readonly applied: number;
  /** Aggregate items updated. */
  readonly itemsWritten: number;
}

/** Compare stream sequence numbers (decimal strings of varying length). */
export const seqCompare = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/** Updates to one table in flight at once. */
const CONCURRENCY = 16;

/** Apply `fn` to every item, stopping at the first failure only once nothing is in flight. */
const forEachLimited = <T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> =>
  forEachSettled(items, CONCURRENCY, fn);

/** Run one intent to completion from whatever state an earlier try left it in. */
const completeIntent = async (
  store: AggregateStore,
  intent: string,
  state: 'applying' | 'applied' | 'done',
  deltas: readonly AggregateDelta[],
): Promise<void> => {
  if (state === 'applying') {
    await forEachLimited(deltas, (d) => store.applyDelta(intent, d));
    await store.registerScopes(deltas.map((d) => d.target));
    await store.advanceLedger(intent, 'applied');
  }
  if (state !== 'done') {
    await forEachLimited(deltas, (d) => store.clearMarker(intent, d));
    await store.advanceLedger(intent, 'done');
  }
};

/**
 * Apply a batch of changes in order. The batch (from its first change) is one intent; a retry of the
 * same batch resumes the intent, and changes after what the intent covered start a new one.
 */
export const aggregateChanges = async (
  changesIn: readonly ExecutionChange[],
  store: AggregateStore,
  dimensionKeys: readonly string[],
): Promise<AggregateOutcome> => {
  let remaining = [...changesIn].sort((a, b) => seqCompare(a.sequenceNumber, b.sequenceNumber));
  let applied = 0;
  let itemsWritten = 0;
  while (remaining.length > 0) {
    const intent = remaining[0]!.sequenceNumber;
    try {
      const last = remaining[remaining.length - 1]!.sequenceNumber;
      const ledger = (await store.readLedger(intent)) ?? { through: last, state: 'new' as const };
      const covered = remaining.filter((c) => seqCompare(c.sequenceNumber, ledger.through) <= 0);
      if (seqCompare(last, ledger.through) < 0) {
        // A retry must see at least what the first try saw; a shorter batch waits for the rest.
        return { failedAt: intent, applied, itemsWritten };
      }
      const deltas = sumDeltas(
        covered.flatMap((c) =>
          deltaOf(c.before, c.after, dimensionKeys).map((delta) => ({ delta, sign: 1 as const })),
        ),
      );
      if (ledger.state !== 'done' && deltas.length > 0) {
        const entry = ledger.state === 'new' ? await store.beginLedger(intent, ledger.through) : ledger;
        // Another try created the intent at the same moment and saw a different batch: start over.
        if (entry.through !== ledger.through) return { failedAt: intent, applied, itemsWritten };
        await completeIntent(store, intent, entry.state, deltas);
        applied += covered.length;
        itemsWritten += deltas.length;
      }
      remaining = remaining.slice(covered.length);
    } catch {
      return { failedAt: intent, applied, itemsWritten };
    }
  }
  return { applied, itemsWritten };
};
