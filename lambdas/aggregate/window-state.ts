import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { type AggregateDelta, deltaOf, sumDeltas, targetKey } from '../domain/aggregate';
import type { ChangeId } from '../shared/store/aggregate-store';
import { type ExecutionChange, seqCompare } from './aggregate-changes';

/**
 * The state a tumbling window carries from one invocation of a shard to the next (Lambda passes back
 * what the last successful invocation returned): the deltas of every change folded in so far, summed
 * per target, so that each aggregate part is written once when the window ends. Pure.
 *
 * Folding is idempotent by sequence number: changes up to `through` are already in the state, so a
 * batch delivered again (a retry, with this state or an older one) adds only what is new.
 */
export interface WindowState {
  /** Format version of the state (a deploy may meet a state written by the previous version). */
  readonly v: 1;
  /** First stream sequence number folded into this state: the flush token (`WindowFlush`). */
  readonly first: string;
  /** Last stream sequence number folded into this state. */
  readonly through: string;
  /** Changes folded in. */
  readonly changes: number;
  /** Summed deltas, one per target. */
  readonly deltas: readonly AggregateDelta[];
  /** Per target (`targetKey`): how many changes contributed, and the first of them, for skip records. */
  readonly contributors: Readonly<
    Record<string, { readonly count: number; readonly ids: readonly ChangeId[] }>
  >;
}

/**
 * Lambda's limit on the state one invocation returns, bytes (1 MB per shard); a larger state ends the
 * window early with a fresh state.
 */
export const LAMBDA_WINDOW_STATE_LIMIT_BYTES = 1_048_576;
/**
 * A carried state larger than this is flushed at the start of the next invocation, before anything is
 * folded into it, so Lambda never has to end a window early for size.
 */
export const WINDOW_FLUSH_BYTES = 512 * 1024;
/**
 * A batch whose fold would return a state larger than this is applied on its own (per-batch protocol)
 * instead of being folded: one batch can then never push the state over Lambda's limit.
 */
export const WINDOW_STATE_MAX_BYTES = 896 * 1024;

/**
 * Contributing changes kept per target in the state (their count is kept in full): enough to find the
 * executions behind a skipped write, small enough that ids do not crowd out deltas under the 1 MB limit.
 */
export const MAX_CHANGE_IDS_PER_TARGET = 3;

/**
 * The state as returned to Lambda: its JSON compressed (raw deflate, base64). Field names repeat across
 * targets (`rh_p384`, `mh_tokens_p412`), so a state compresses several times over and a window holds
 * that many more targets before it has to be written early. Pure.
 */
export interface EncodedWindowState {
  readonly v: 1;
  readonly z: string;
}

export const encodeWindowState = (
  state: WindowState | undefined,
): EncodedWindowState | Record<string, never> =>
  state === undefined ? {} : { v: 1, z: deflateRawSync(JSON.stringify(state)).toString('base64') };

/** The state Lambda passed in, if it is one of ours (a new window starts with `{}`). Pure. */
export const windowStateOf = (raw: unknown): WindowState | undefined => {
  const s = raw as Partial<EncodedWindowState> | undefined | null;
  if (s?.v !== 1 || typeof s.z !== 'string') return undefined;
  return JSON.parse(inflateRawSync(Buffer.from(s.z, 'base64')).toString('utf8')) as WindowState;
};

/** Size of a state as Lambda measures what the function returns (its JSON, encoded), bytes. Pure. */
export const stateBytesOf = (state: WindowState | undefined): number =>
  Buffer.byteLength(JSON.stringify(encodeWindowState(state)));

/** The changes not yet in the state, in stream order. Pure. */
export const newChangesOf = (
  state: WindowState | undefined,
  changes: readonly ExecutionChange[],
): ExecutionChange[] =>
  [...changes]
    .filter((c) => state === undefined || seqCompare(c.sequenceNumber, state.through) > 0)
    .sort((a, b) => seqCompare(a.sequenceNumber, b.sequenceNumber));

/** Fold changes into a window's state (a new state when `state` is undefined). Pure. */
export const foldIntoWindow = (
  state: WindowState | undefined,
  changes: readonly ExecutionChange[],
  dimensionKeys: readonly string[],
): WindowState | undefined => {
  const fresh = newChangesOf(state, changes);
  if (fresh.length === 0) return state;
  const contributors: Record<string, { count: number; ids: ChangeId[] }> = Object.fromEntries(
    Object.entries(state?.contributors ?? {}).map(([k, v]) => [k, { count: v.count, ids: [...v.ids] }]),
  );
  const parts: { delta: AggregateDelta; sign: 1 }[] = (state?.deltas ?? []).map((delta) => ({
    delta,
    sign: 1,
  }));
  for (const c of fresh) {
    const id = { sequenceNumber: c.sequenceNumber, taskId: (c.after ?? c.before)?.taskId ?? '' };
    for (const delta of deltaOf(c.before, c.after, dimensionKeys)) {
      parts.push({ delta, sign: 1 });
      const key = targetKey(delta.target);
      const entry = contributors[key] ?? { count: 0, ids: [] };
      contributors[key] = entry;
      entry.count++;
      if (entry.ids.length < MAX_CHANGE_IDS_PER_TARGET) entry.ids.push(id);
    }
  }
  const deltas = sumDeltas(parts);
  const kept = new Set(deltas.map((d) => targetKey(d.target)));
  return {
    v: 1,
    first: state?.first ?? fresh[0]!.sequenceNumber,
    through: fresh.at(-1)!.sequenceNumber,
    changes: (state?.changes ?? 0) + fresh.length,
    deltas,
    contributors: Object.fromEntries(Object.entries(contributors).filter(([k]) => kept.has(k))),
  };
};
