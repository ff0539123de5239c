import { type AggregateDelta, deltaOf, sumDeltas } from '../domain/aggregate';
import type { Execution } from '../domain/execution';
import { type AggregateStore, MAX_TRANSACTION_ITEMS } from '../shared/store/aggregate-store';

/**
 * The aggregation use case: fold execution changes from the history table's stream into the
 * time-bucket aggregates, exactly once per change.
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
  /** Changes applied now (excluding ones a previous try had applied). */
  readonly applied: number;
  /** Aggregate items written. */
  readonly itemsWritten: number;
}

/** Transaction items one change may need: a delta per target plus a scope registry row each. */
const itemsFor = (deltas: readonly AggregateDelta[]): number => deltas.length * 2;

/** Cut changes (in order) into chunks that fit in one transaction with their ledger item. Pure. */
export const chunkChanges = (
  changes: readonly { sequenceNumber: string; deltas: AggregateDelta[] }[],
): { sequenceNumber: string; deltas: AggregateDelta[] }[][] => {
  const chunks: { sequenceNumber: string; deltas: AggregateDelta[] }[][] = [];
  let current: { sequenceNumber: string; deltas: AggregateDelta[] }[] = [];
  let size = 1;
  for (const change of changes) {
    const need = itemsFor(change.deltas);
    if (current.length > 0 && size + need > MAX_TRANSACTION_ITEMS) {
      chunks.push(current);
      current = [];
      size = 1;
    }
    current.push(change);
    size += need;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

/** Compare stream sequence numbers (decimal strings of varying length). */
export const seqCompare = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/**
 * Apply a batch of changes in order. A chunk whose ledger entry exists was applied by an earlier try
 * and is skipped up to where it got. Stops at the first failing chunk and reports its first change.
 */
export const aggregateChanges = async (
  changesIn: readonly ExecutionChange[],
  store: AggregateStore,
  dimensionKeys: readonly string[],
): Promise<AggregateOutcome> => {
  let remaining = [...changesIn]
    .sort((a, b) => seqCompare(a.sequenceNumber, b.sequenceNumber))
    .map((c) => ({ sequenceNumber: c.sequenceNumber, deltas: deltaOf(c.before, c.after, dimensionKeys) }));
  let applied = 0;
  let itemsWritten = 0;
  while (remaining.length > 0) {
    const first = remaining[0]!.sequenceNumber;
    let through: string | undefined;
    try {
      through = await store.appliedThrough(first);
    } catch {
      return { failedAt: first, applied, itemsWritten };
    }
    if (through !== undefined) {
      remaining = remaining.filter((c) => seqCompare(c.sequenceNumber, through) > 0);
      continue;
    }
    const chunk = chunkChanges(remaining)[0]!;
    const deltas = sumDeltas(chunk.flatMap((c) => c.deltas.map((delta) => ({ delta, sign: 1 as const }))));
    try {
      // A chunk whose changes cancel out (or add nothing, like `enqueued`) has nothing to make durable.
      if (deltas.length > 0) await store.applyChunk(first, chunk[chunk.length - 1]!.sequenceNumber, deltas);
    } catch {
      return { failedAt: first, applied, itemsWritten };
    }
    applied += chunk.length;
    itemsWritten += deltas.length;
    remaining = remaining.slice(chunk.length);
  }
  return { applied, itemsWritten };
};
