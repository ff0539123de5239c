import { dirtyDaysOf, targetKey } from '../domain/aggregate';
import { isRetryableAwsError } from '../shared/aws/retryable';
import { StoreError } from '../shared/errors';
import {
  type AggregateStore,
  type ChangeId,
  errorSummaryOf,
  MAX_CHANGE_IDS_PER_SKIP,
  type SkipRecord,
} from '../shared/store/aggregate-store';
import {
  type AggregateOutcome,
  aggregateChanges,
  applyRecordingRefusals,
  type ExecutionChange,
  skipRecordOf,
} from './aggregate-changes';
import {
  type EncodedWindowState,
  encodeWindowState,
  foldIntoWindow,
  newChangesOf,
  stateBytesOf,
  WINDOW_FLUSH_BYTES,
  WINDOW_STATE_MAX_BYTES,
  type WindowState,
} from './window-state';

/**
 * The aggregation use case under a tumbling window (the stream event source's `tumblingWindow`): an
 * invocation folds its changes into the window's state and writes nothing; the window's final
 * invocation writes the state's deltas, each aggregate part once (`AggregateStore.applyWindowDelta`).
 *
 * Exactly once: a flush is named by its shard and the first sequence number of the flushed state; every
 * part keeps the highest flush token of each shard, so a retried flush (Lambda retries a failed
 * invocation with the state of the last successful one) writes only the parts it had not reached.
 * Folding skips changes the state already holds, so a retried batch is never folded twice.
 *
 * Failures are thrown (`AggregateRetryError`) once nothing is in flight, never reported as batch item
 * failures: Lambda then retries the whole invocation with the previous state, the one case whose
 * semantics its documentation fixes. Permanent refusals are recorded as skips, as without windows.
 */

/** State sizes that make the aggregator write before the window ends, bytes (see `window-state.ts`). */
export interface WindowLimits {
  /** A carried state larger than this is flushed first. @default WINDOW_FLUSH_BYTES */
  readonly flushBytes: number;
  /** A fold that would return more than this applies the batch on its own. @default WINDOW_STATE_MAX_BYTES */
  readonly maxBytes: number;
}

export const WINDOW_LIMITS: WindowLimits = {
  flushBytes: WINDOW_FLUSH_BYTES,
  maxBytes: WINDOW_STATE_MAX_BYTES,
};

/** One invocation of a tumbling window, as the handler read it from the event. */
export interface WindowInvocation {
  readonly shardId: string;
  /** Window start (ISO 8601, from the event), for names in logs and skip records. */
  readonly windowStart: string;
  /** The window's last invocation: flush whatever the state holds. */
  readonly isFinal: boolean;
  /** The state the last successful invocation of this window returned (undefined: a fresh window). */
  readonly state: WindowState | undefined;
  readonly changes: readonly ExecutionChange[];
}

export interface WindowOutcome extends AggregateOutcome {
  /** The state to return to Lambda, encoded (`{}` when everything was written). */
  readonly state: EncodedWindowState | Record<string, never>;
  /** Flushes written by this invocation (0, 1, or 2 with an early flush). */
  readonly flushes: number;
}

/**
 * A window invocation must be retried: a transient error stopped a flush (nothing is in flight any
 * more). Thrown so that Lambda retries the invocation with the previous state.
 */
export class AggregateRetryError extends StoreError {
  override readonly name = 'AggregateRetryError';
  constructor(
    message: string,
    /** The outcome so far (for metrics): `retried` counts the changes handed back. */
    readonly outcome: AggregateOutcome,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The intent id of a flush in skip records and logs: window start, shard, first sequence number. */
export const flushIdOf = (invocation: Pick<WindowInvocation, 'shardId' | 'windowStart'>, first: string) =>
  `W${invocation.windowStart}#${invocation.shardId}#${first}`;

const idsOf = (state: WindowState) => (key: string) => state.contributors[key]?.ids ?? [];

/**
 * Write one state's deltas, once per part, then register its scopes and mark its late days (after the
 * data, like the per-batch protocol). A permanent error outside the part writes skips the whole flush,
 * one record per day.
 */
const flushState = async (
  store: AggregateStore,
  invocation: WindowInvocation,
  state: WindowState,
  nowMs: number,
): Promise<SkipRecord[]> => {
  const flush = { shardId: invocation.shardId, firstSequenceNumber: state.first };
  const intent = flushIdOf(invocation, state.first);
  try {
    // A retry starts where the failed try stopped: targets it applied completely are not sent again.
    const done = await store.readFlushProgress(intent);
    const finished: string[] = [];
    const skipped = await applyRecordingRefusals(
      intent,
      state.deltas.filter((d) => !done.has(targetKey(d.target))),
      idsOf(state),
      async (d) => {
        await store.applyWindowDelta(flush, d);
        finished.push(targetKey(d.target));
      },
      (key) => state.contributors[key]?.count,
    ).catch(async (error: unknown) => {
      await store.recordFlushProgress(intent, finished).catch(() => {});
      throw error;
    });
    if (skipped.length > 0) await store.recordSkips(skipped);
    await store.registerScopes(state.deltas.map((d) => d.target));
    await store.markDirtyDays(dirtyDaysOf(state.deltas, nowMs));
    return skipped;
  } catch (error) {
    if (isRetryableAwsError(error)) throw error;
    const byDay = new Map<string, ChangeId[]>();
    for (const d of state.deltas)
      byDay.set(d.target.day, [...(byDay.get(d.target.day) ?? []), ...idsOf(state)(targetKey(d.target))]);
    const records = [...byDay].map(([day, ids]) =>
      skipRecordOf(
        intent,
        { day, scope: '*', slot: '*', part: '*', fields: [] },
        errorSummaryOf(error),
        ids.slice(0, MAX_CHANGE_IDS_PER_SKIP),
        state.changes,
      ),
    );
    await store.recordSkips(records);
    return records;
  }
};

/**
 * Run one window invocation: flush a carried state that grew past `WINDOW_FLUSH_BYTES` (its content is
 * fixed, so a retry flushes the same deltas under the same token), fold the new changes (or, if the
 * fold would pass `WINDOW_STATE_MAX_BYTES`, apply them on their own with the per-batch protocol), and
 * on the final invocation flush the state.
 */
export const aggregateWindow = async (
  invocation: WindowInvocation,
  store: AggregateStore,
  dimensionKeys: readonly string[],
  now: () => number = Date.now,
  limits: WindowLimits = WINDOW_LIMITS,
): Promise<WindowOutcome> => {
  let state = invocation.state;
  let applied = 0;
  let itemsWritten = 0;
  let flushes = 0;
  const skipped: SkipRecord[] = [];
  const fresh = newChangesOf(state, invocation.changes);
  const flush = async (s: WindowState) => {
    skipped.push(...(await flushState(store, invocation, s, now())));
    applied += s.changes;
    itemsWritten += s.deltas.length;
    flushes++;
  };
  try {
    if (state !== undefined && stateBytesOf(state) > limits.flushBytes) {
      await flush(state);
      state = undefined;
    }
    const folded = foldIntoWindow(state, fresh, dimensionKeys);
    if (stateBytesOf(folded) <= limits.maxBytes) state = folded;
    else {
      // One batch too wide to carry: write the state so far, then the batch with its own ledger intent.
      if (state !== undefined) await flush(state);
      state = undefined;
      const outcome = await aggregateChanges(fresh, store, dimensionKeys, now);
      skipped.push(...outcome.skipped);
      applied += outcome.applied;
      itemsWritten += outcome.itemsWritten;
      if (outcome.failedAt !== undefined) throw new StoreError('a batch applied on its own was handed back');
    }
    if (invocation.isFinal && state !== undefined) {
      await flush(state);
      state = undefined;
    }
  } catch (error) {
    const retried = (invocation.state?.changes ?? 0) + fresh.length;
    throw new AggregateRetryError(
      `window ${flushIdOf(invocation, invocation.state?.first ?? fresh[0]?.sequenceNumber ?? '-')} will be retried: ${(error as Error).message}`,
      {
        failedAt: fresh[0]?.sequenceNumber ?? invocation.state?.through ?? '',
        retried,
        applied,
        itemsWritten,
        skipped,
      },
      { cause: error },
    );
  }
  return { retried: 0, applied, itemsWritten, skipped, state: encodeWindowState(state), flushes };
};
