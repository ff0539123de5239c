import { randomUUID } from 'node:crypto';
import {
  type AggregateDelta,
  type AggregateTarget,
  addExact,
  contributionOf,
  foldLikeStored,
  NAME_COUNTER_FIELDS,
  sumDeltas,
} from '../../lambdas/domain/aggregate';
import type { Execution } from '../../lambdas/domain/execution';
import { parseScope } from '../../lambdas/shared/names/keys';
import type { AggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { daysBetween } from '../../lambdas/shared/time';

/**
 * `rebuild`: recompute the time-bucket aggregates of a range of days from the history table, for when
 * the aggregator lost or skipped changes. Each bucket's truth is the sum of `contributionOf` over the
 * executions that exist now (the aggregator's own pure functions), so the result is what an exact
 * aggregator would hold. The bucket is not overwritten: the difference to what is stored is *added*
 * through the aggregator's own marker protocol (`AggregateStore.applyDelta`), so
 * - a correction is applied once even if a request is retried after it succeeded (the marker), and
 * - updates the live aggregator makes while the rebuild runs are not lost (additions commute).
 * What it cannot see is a change already in the history table whose delta the aggregator has not
 * applied yet when the bucket is read (stream lag): that change ends up counted twice. Run it when
 * the aggregator is caught up (iterator age near zero), and run it again: it is idempotent, and a
 * second run corrects what a race left (see docs/cli.md and docs/decisions/0050-rebuild-by-correction.md).
 *
 * Producer-chosen names keep the aggregator's per-bucket cap: corrections go through `applyDelta`,
 * which admits or folds names exactly as for live changes, and the comparison counts names a full
 * bucket has no entry for in its `(other)` entry (`foldLikeStored`), so a capped bucket shows no
 * spurious change. Which names have their own entry is not recomputed (it depends on arrival order).
 *
 * Executions are found by creation day (the `byType` index), and an execution counts in the buckets
 * of its creation, first start and finish, which can be later days; so the executions of
 * `lookbackDays` days before the range are read too. An execution created earlier than that which
 * finished inside the range is not seen, and its count would be removed: `lookbackWarning` says when
 * the lookback looks too short.
 */

/** What the rebuild reads and writes. One DynamoDB implementation in `cli/commands/rebuild.ts`. */
export interface RebuildDeps {
  /** Scopes in the registry of a day (`SC#<day>`). */
  listScopes(day: string): Promise<string[]>;
  /** A scope's stored buckets of a day: slot (`HH:MM`) → counter and sample fields. */
  readBuckets(scope: string, day: string): Promise<Map<string, Record<string, unknown>>>;
  /** Executions of a task type created on a day (every shard of the byType index). */
  readExecutions(taskType: string, day: string): Promise<Execution[]>;
  /** The aggregator's store: corrections go through its marker protocol. */
  readonly store: Pick<AggregateStore, 'applyDelta' | 'clearMarker' | 'registerScopes'>;
}

export interface RebuildOptions {
  readonly from: string;
  readonly to: string;
  /** Days before `from` whose executions are read too (they may finish inside the range). */
  readonly lookbackDays: number;
  /** Only these task types. @default every type in the registry of the range and lookback days */
  readonly taskTypes?: readonly string[];
  /** Dimension keys with their own scopes, besides those found in the registry. @default [] */
  readonly dimensionKeys?: readonly string[];
  /** Write the corrections; otherwise only compute them. */
  readonly write: boolean;
  /** After each task type. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One field of a bucket that differs. */
export interface FieldChange {
  readonly before: number;
  readonly after: number;
}

/** A bucket whose stored counters differ from the recomputed ones. */
export interface BucketChange {
  readonly scope: string;
  readonly day: string;
  readonly slot: string;
  /** Counter fields that differ (absent counts as 0). */
  readonly fields: Readonly<Record<string, FieldChange>>;
}

export interface RebuildResult {
  readonly taskTypes: readonly string[];
  readonly dimensionKeys: readonly string[];
  /** Executions read (range and lookback days). */
  readonly executionsRead: number;
  readonly changes: readonly BucketChange[];
  /** Buckets compared. */
  readonly bucketsCompared: number;
  /** Scopes with buckets on a day that the scope registry does not list (rollups would skip them). */
  readonly registryMissing: readonly { readonly scope: string; readonly day: string }[];
  /** Corrections written (0 in a dry run). */
  readonly written: number;
  /** Set when executions of the earliest lookback day reach into the range (older ones may too). */
  readonly lookbackWarning: string | null;
}

const keyOf = (t: AggregateTarget): string => `${t.scope}\n${t.day}\n${t.slot}`;

const isSample = (field: string): boolean => field.startsWith('es_');

const asNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** Task types and dimension keys named by registry scopes. Pure. */
export const typesAndKeysOf = (
  scopes: readonly string[],
): { taskTypes: string[]; dimensionKeys: string[] } => {
  const types = new Set<string>();
  const keys = new Set<string>();
  for (const scope of scopes) {
    const { taskType, dimension } = parseScope(scope);
    types.add(taskType);
    if (dimension !== undefined) keys.add(dimension.key);
  }
  return { taskTypes: [...types].sort(), dimensionKeys: [...keys].sort() };
};

/**
 * The aggregate every bucket of `days` should hold, given the executions: the sum of their
 * contributions, keeping only targets on those days. Pure.
 */
export const recomputeBuckets = (
  executions: readonly Execution[],
  dimensionKeys: readonly string[],
  days: ReadonlySet<string>,
): AggregateDelta[] =>
  sumDeltas(
    executions
      .flatMap((x) => contributionOf(x, dimensionKeys))
      .filter((d) => days.has(d.target.day))
      .map((delta) => ({ delta, sign: 1 as const })),
  );

/**
 * The correction that turns a stored bucket into the recomputed one (counters: after − before; error
 * samples the stored bucket lacks), and the fields that differ. `undefined` when they agree. Pure.
 */
export const correctionOf = (
  target: AggregateTarget,
  stored: Readonly<Record<string, unknown>>,
  recomputed: AggregateDelta | undefined,
): { delta: AggregateDelta; change: BucketChange } | undefined => {
  // Names past the bucket's cap are compared (and corrected) in the other entry, where they count.
  const laidOut = recomputed === undefined ? undefined : foldLikeStored(recomputed, stored);
  const after = laidOut?.counters ?? {};
  const fields = new Set([
    ...Object.keys(stored).filter((f) => !isSample(f) && !NAME_COUNTER_FIELDS.has(f)),
    ...Object.keys(after),
  ]);
  const counters: Record<string, number> = {};
  const changed: Record<string, FieldChange> = {};
  for (const field of [...fields].sort()) {
    const before = asNumber(stored[field]);
    const want = after[field] ?? 0;
    const diff = addExact(want, -before);
    if (Math.abs(diff) < 1e-9) continue;
    counters[field] = diff;
    changed[field] = { before, after: want };
  }
  // A sample is kept for every error type with a count, as the aggregator keeps one.
  const samples = Object.fromEntries(
    Object.entries(laidOut?.samples ?? {}).filter(([field]) => stored[field] === undefined),
  );
  if (Object.keys(counters).length === 0 && Object.keys(samples).length === 0) return undefined;
  return {
    delta: { target, counters, samples },
    change: { scope: target.scope, day: target.day, slot: target.slot, fields: changed },
  };
};

/**
 * Longest time from creation to the last contribution (first start or finish) among executions, ms:
 * how many days before a range an execution that counts in it may have been created. Pure.
 */
export const longestSpanMs = (executions: Iterable<Execution>): number => {
  let longest = 0;
  for (const x of executions) {
    const last = x.finishedAt ?? x.firstStartedAt;
    if (last !== undefined) longest = Math.max(longest, Date.parse(last) - Date.parse(x.createdAt));
  }
  return longest;
};

/** Marker of one rebuild run on the items it corrects (never a stream sequence number). */
export const rebuildIntent = (): string => `rebuild-${randomUUID()}`;

const runLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      // On a failure, take no new work; the writes in flight settle before the error is thrown.
      while (next < items.length && failure === undefined) {
        try {
          await fn(items[next++]!);
        } catch (error) {
          failure ??= error;
        }
      }
    }),
  );
  if (failure !== undefined) throw failure;
};

/** Writes in flight at once. */
const CONCURRENCY = 8;

/** Recompute (and with `write`, correct) the aggregates of `[from, to]`, one task type at a time. */
export const rebuild = async (deps: RebuildDeps, options: RebuildOptions): Promise<RebuildResult> => {
  const days = daysBetween(options.from, options.to);
  const daySet = new Set(days);
  const earliest = new Date(Date.parse(`${options.from}T00:00:00Z`) - options.lookbackDays * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const readDays = daysBetween(earliest, options.to);
  const scopesByDay = new Map<string, string[]>();
  for (const day of readDays) scopesByDay.set(day, await deps.listScopes(day));
  const found = typesAndKeysOf([...scopesByDay.values()].flat());
  const taskTypes = options.taskTypes !== undefined ? [...options.taskTypes].sort() : found.taskTypes;
  const dimensionKeys = [...new Set([...found.dimensionKeys, ...(options.dimensionKeys ?? [])])].sort();
  const intent = rebuildIntent();

  const changes: BucketChange[] = [];
  let executionsRead = 0;
  let bucketsCompared = 0;
  let written = 0;
  const registryMissing: { scope: string; day: string }[] = [];
  let lookbackWarning: string | null = null;
  let longestSpan = 0;
  for (const [index, taskType] of taskTypes.entries()) {
    // Stored buckets first, then the history: a change the aggregator applies in between is then
    // either in both or (applied after the read) added on top of the correction, never lost.
    const stored = new Map<string, { target: AggregateTarget; fields: Record<string, unknown> }>();
    const readStored = async (scope: string, day: string) => {
      for (const [slot, fields] of await deps.readBuckets(scope, day)) {
        const target = { scope, day, slot };
        stored.set(keyOf(target), { target, fields });
      }
    };
    const storedScopes = new Set<string>();
    for (const day of days) {
      for (const scope of scopesByDay.get(day) ?? []) {
        if (parseScope(scope).taskType !== taskType) continue;
        storedScopes.add(`${scope}\n${day}`);
        await readStored(scope, day);
      }
    }
    const executions = new Map<string, Execution>();
    for (const day of readDays) {
      for (const x of await deps.readExecutions(taskType, day)) {
        // The index is eventually consistent: an execution whose type changed is counted under its type.
        if (x.taskType === taskType) executions.set(x.taskId, x);
      }
    }
    executionsRead += executions.size;
    const recomputed = recomputeBuckets([...executions.values()], dimensionKeys, daySet);
    const span = longestSpanMs(executions.values());
    if (
      span > 0 &&
      span >= options.lookbackDays * 86_400_000 &&
      (lookbackWarning === null || span > longestSpan)
    ) {
      longestSpan = span;
      lookbackWarning =
        `a ${taskType} execution ran ${(span / 86_400_000).toFixed(1)} days from creation to its last event: ` +
        `executions created before ${earliest} may count in the range too; raise --lookback to at least ${Math.ceil(span / 86_400_000 + 0.001)}`;
    }
    // Scopes the registry missed (the aggregator lost their changes) are read now.
    for (const d of recomputed) {
      const key = `${d.target.scope}\n${d.target.day}`;
      if (!storedScopes.has(key)) {
        storedScopes.add(key);
        await readStored(d.target.scope, d.target.day);
      }
    }
    const byTarget = new Map(recomputed.map((d) => [keyOf(d.target), d]));
    const targets = new Map([...stored.values()].map((s) => [keyOf(s.target), s.target]));
    for (const d of recomputed) targets.set(keyOf(d.target), d.target);
    const corrections: AggregateDelta[] = [];
    for (const [key, target] of targets) {
      bucketsCompared++;
      const c = correctionOf(target, stored.get(key)?.fields ?? {}, byTarget.get(key));
      if (c === undefined) continue;
      corrections.push(c.delta);
      changes.push(c.change);
    }
    const unregistered = new Map<string, { scope: string; day: string }>();
    for (const { target } of recomputed)
      if (!(scopesByDay.get(target.day) ?? []).includes(target.scope))
        unregistered.set(`${target.scope}\n${target.day}`, { scope: target.scope, day: target.day });
    registryMissing.push(...unregistered.values());
    if (options.write && corrections.length > 0) {
      await runLimited(corrections, CONCURRENCY, (d) => deps.store.applyDelta(intent, d));
      await runLimited(corrections, CONCURRENCY, (d) => deps.store.clearMarker(intent, d));
      written += corrections.length;
    }
    if (options.write && unregistered.size > 0) await deps.store.registerScopes([...unregistered.values()]);
    options.onProgress?.(index + 1, taskTypes.length);
  }
  const order = (a: BucketChange, b: BucketChange) =>
    a.scope.localeCompare(b.scope) || a.day.localeCompare(b.day) || a.slot.localeCompare(b.slot);
  return {
    taskTypes,
    dimensionKeys,
    executionsRead,
    changes: changes.sort(order),
    bucketsCompared,
    registryMissing,
    written,
    lookbackWarning,
  };
};
