import { scopeOf } from '../shared/names/keys';
import { bucketOf } from '../shared/time';
import { cutText, type Execution, errorTypeOf } from './execution';
import { binOf, type Histogram, mergeHistograms } from './histogram';

/**
 * Time-bucket aggregates: what each execution contributes to the per-scope, per-bucket counters.
 *
 * An aggregate is the sum of the contributions of the executions in it. When an execution changes,
 * the aggregator applies `contribution(new) − contribution(old)` (from the stream's old and new
 * images), so every execution is counted exactly once in its current state, whatever the delivery
 * order. All fields are additive counters, stored as top-level attributes so DynamoDB `ADD` applies
 * them; the only non-additive fields are error samples.
 *
 * Buckets: finished executions count in the bucket of `finishedAt`; `open` (started, not finished)
 * counts in the bucket of `createdAt`; `st` (started runs) in the bucket of the first start.
 */

/** Attribute names of aggregate items. One place, read by the aggregator, rollups and monitors. */
export const AGG_FIELD = {
  finished: 'n',
  statusCount: (status: string) => `c_${status}`,
  retried: 'retried',
  runCount: 'rn',
  runSum: 'rs',
  runBin: (bin: string) => `rh_${bin}`,
  waitCount: 'wn',
  waitSum: 'ws',
  waitBin: (bin: string) => `wh_${bin}`,
  errorCount: (type: string) => `e_${type}`,
  errorSample: (type: string) => `es_${type}`,
  metricCount: (name: string) => `mn_${name}`,
  metricSum: (name: string) => `ms_${name}`,
  metricBin: (name: string, bin: string) => `mh_${name}_${bin}`,
  open: 'open',
  /** Enqueued, not started, not finished; counted in the bucket of creation (queue-stuck rule). */
  waiting: 'wq',
  started: 'st',
  /** Distinct error types with their own entry in a bucket (maintained with admission, see `admitNames`). */
  errorNames: 'ne',
  /** Distinct custom-metric names with their own entry in a bucket. */
  metricNames: 'nm',
} as const;

/**
 * The entry that holds, per bucket, every producer-chosen name past the cap. Error types and metric
 * names are chosen by producers, and each one becomes attributes of an aggregate item, so without a
 * cap one bucket could grow toward DynamoDB's 400 KB item limit. Metric names cannot contain `(`
 * (contract pattern), so it never collides with one; an error type spelled `(other)` shares it.
 */
export const OTHER_NAME = '(other)';

/** Error types with their own entry per bucket and scope; later new types count in `OTHER_NAME`. */
export const MAX_ERROR_TYPES_PER_BUCKET = 50;
/** Custom-metric names with their own entry per bucket and scope; later new names count in `OTHER_NAME`. */
export const MAX_METRIC_NAMES_PER_BUCKET = 50;

/** The two families of producer-chosen names, each capped per bucket. */
export type NameFamily = 'error' | 'metric';

/** Per family: its cap, the field that says a name has its own entry, the distinct-name counter. */
export const NAME_FAMILIES: Readonly<
  Record<NameFamily, { cap: number; countField: (name: string) => string; namesField: string }>
> = {
  error: {
    cap: MAX_ERROR_TYPES_PER_BUCKET,
    countField: (name) => AGG_FIELD.errorCount(name),
    namesField: AGG_FIELD.errorNames,
  },
  metric: {
    cap: MAX_METRIC_NAMES_PER_BUCKET,
    countField: (name) => AGG_FIELD.metricCount(name),
    namesField: AGG_FIELD.metricNames,
  },
};

/** The producer-chosen name a counter or sample field carries, if any. Pure. */
export const cappedNameOf = (field: string): { family: NameFamily; name: string } | undefined => {
  if (field.startsWith('es_')) return { family: 'error', name: field.slice(3) };
  if (field.startsWith('e_')) return { family: 'error', name: field.slice(2) };
  if (field.startsWith('mn_') || field.startsWith('ms_')) return { family: 'metric', name: field.slice(3) };
  if (field.startsWith('mh_')) {
    const rest = field.slice(3);
    return { family: 'metric', name: rest.slice(0, rest.lastIndexOf('_')) };
  }
  return undefined;
};

/** The same field for another name (`e_X` → `e_(other)`, `mh_X_p3` → `mh_(other)_p3`). Pure. */
export const renameField = (field: string, name: string): string => {
  const carried = cappedNameOf(field);
  if (carried === undefined) return field;
  const prefix = field.slice(0, field.indexOf('_') + 1);
  return `${prefix}${name}${field.slice(prefix.length + carried.name.length)}`;
};

/** Which names of one update get their own entry, and which are folded into `OTHER_NAME`. */
export interface Admission {
  /** Names that already have their own entry. */
  readonly named: readonly string[];
  /** New names that get their own entry with this update (the distinct-name counter grows by as many). */
  readonly admitted: readonly string[];
  /** Names counted in `OTHER_NAME`. */
  readonly folded: readonly string[];
}

/**
 * Decide, for the names of one update, which keep their own entry. A name that has an entry keeps it;
 * a new name with a positive count is admitted while the bucket holds fewer than `cap` names (in name
 * order); every other name is folded. Because entries are never removed and the counter never
 * shrinks, a name that was folded once is folded for good in that bucket, so a later retraction of
 * its count (an execution that changed) finds it in `OTHER_NAME`, where the count went: totals stay
 * exact. Which names get their own entry depends on arrival order (the first `cap` distinct names of
 * a bucket win). Pure.
 */
export const admitNames = (input: {
  readonly cap: number;
  /** Names that have an entry in the bucket now. */
  readonly has: (name: string) => boolean;
  /** Distinct names with an entry now. */
  readonly count: number;
  /** Count delta per name in this update (0 for a name with only sums or samples). */
  readonly netByName: ReadonlyMap<string, number>;
}): Admission => {
  const named: string[] = [];
  const admitted: string[] = [];
  const folded: string[] = [];
  for (const name of [...input.netByName.keys()].sort()) {
    if (name === OTHER_NAME || input.has(name)) named.push(name);
    else if ((input.netByName.get(name) ?? 0) > 0 && input.count + admitted.length < input.cap)
      admitted.push(name);
    else folded.push(name);
  }
  return { named, admitted, folded };
};

/**
 * Move the counters of `folded` names to `OTHER_NAME`, added exactly, and drop their samples. Totals
 * per field family are unchanged. Pure.
 */
export const foldNames = (
  counters: Readonly<Record<string, number>>,
  samples: Readonly<Record<string, string>>,
  folded: ReadonlySet<string>,
): { counters: Record<string, number>; samples: Record<string, string> } => {
  const target = (field: string) => {
    const carried = cappedNameOf(field);
    return carried !== undefined && folded.has(carried.name) ? renameField(field, OTHER_NAME) : field;
  };
  const outCounters: Record<string, number> = {};
  for (const field of Object.keys(counters).sort()) add(outCounters, target(field), counters[field]!);
  // A folded name's sample is dropped: one type's message would misdescribe the whole other entry.
  const outSamples = Object.fromEntries(Object.entries(samples).filter(([field]) => target(field) === field));
  return { counters: outCounters, samples: outSamples };
};

/** Where a contribution goes: a scope and a bucket. */
export interface AggregateTarget {
  readonly scope: string;
  readonly day: string;
  readonly slot: string;
}

/** Counter deltas for one aggregate item, plus error samples (set if absent). */
export interface AggregateDelta {
  readonly target: AggregateTarget;
  readonly counters: Record<string, number>;
  readonly samples: Record<string, string>;
}

/** One string per target (scope, day, slot), for maps. */
export const targetKey = (t: AggregateTarget): string => `${t.scope}\n${t.day}\n${t.slot}`;

/** The scopes an execution counts in: its task type, and its task type per configured dimension. */
export const scopesOf = (execution: Execution, dimensionKeys: readonly string[]): string[] => {
  const scopes = [scopeOf(execution.taskType)];
  for (const key of dimensionKeys) {
    const value = execution.dimensions[key];
    if (value !== undefined) scopes.push(scopeOf(execution.taskType, { key, value }));
  }
  return scopes;
};

/** Fraction digits kept by aggregate counters (sums of durations and metric values). */
export const COUNTER_FRACTION_DIGITS = 6;
const SCALE = 10n ** BigInt(COUNTER_FRACTION_DIGITS);

const toMicros = (value: number): bigint => {
  const text = value.toFixed(COUNTER_FRACTION_DIGITS);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const micros = BigInt(whole!) * SCALE + BigInt(fraction.padEnd(COUNTER_FRACTION_DIGITS, '0'));
  return negative ? -micros : micros;
};

const fromMicros = (micros: bigint): number => {
  const magnitude = micros < 0n ? -micros : micros;
  const fraction = (magnitude % SCALE).toString().padStart(COUNTER_FRACTION_DIGITS, '0');
  return Number(`${micros < 0n ? '-' : ''}${magnitude / SCALE}.${fraction}`);
};

/**
 * Exact decimal addition at `COUNTER_FRACTION_DIGITS` digits. Binary floating point is not
 * associative, so summing float metric values in a different order (another batch split) would give
 * a different last digit; DynamoDB adds decimals exactly, so exact sums here keep aggregates a pure
 * function of the set of executions.
 */
export const addExact = (a: number, b: number): number => fromMicros(toMicros(a) + toMicros(b));

const add = (counters: Record<string, number>, field: string, by = 1) => {
  counters[field] = addExact(counters[field] ?? 0, by);
};

/**
 * What one execution contributes, as one delta per target. `dimensionKeys` are the configured
 * dimensions that get their own scopes (bounded by configuration, not by producers).
 */
export const contributionOf = (
  execution: Execution | undefined,
  dimensionKeys: readonly string[],
): AggregateDelta[] => {
  if (execution === undefined) return [];
  const byTarget = new Map<string, AggregateDelta>();
  const at = (scope: string, iso: string): AggregateDelta => {
    const b = bucketOf(Date.parse(iso));
    const target = { scope, day: b.day, slot: b.slot };
    const key = targetKey(target);
    let delta = byTarget.get(key);
    if (delta === undefined) {
      delta = { target, counters: {}, samples: {} };
      byTarget.set(key, delta);
    }
    return delta;
  };
  for (const scope of scopesOf(execution, dimensionKeys)) {
    if (execution.finishedAt !== undefined) {
      const { counters, samples } = at(scope, execution.finishedAt);
      add(counters, AGG_FIELD.finished);
      add(counters, AGG_FIELD.statusCount(execution.status));
      if (execution.attempt > 1) add(counters, AGG_FIELD.retried);
      if (execution.runMs !== undefined) {
        add(counters, AGG_FIELD.runCount);
        add(counters, AGG_FIELD.runSum, execution.runMs);
        add(counters, AGG_FIELD.runBin(binOf(execution.runMs)));
      }
      if (execution.waitMs !== undefined) {
        add(counters, AGG_FIELD.waitCount);
        add(counters, AGG_FIELD.waitSum, execution.waitMs);
        add(counters, AGG_FIELD.waitBin(binOf(execution.waitMs)));
      }
      if (execution.status === 'failed') {
        const type = errorTypeOf(execution);
        add(counters, AGG_FIELD.errorCount(type));
        const message = execution.error?.message;
        if (message !== undefined) samples[AGG_FIELD.errorSample(type)] = cutText(message, 256);
      }
      for (const [name, value] of Object.entries(execution.metrics)) {
        add(counters, AGG_FIELD.metricCount(name));
        add(counters, AGG_FIELD.metricSum(name), value);
        add(counters, AGG_FIELD.metricBin(name, binOf(value)));
      }
    } else if (execution.firstStartedAt !== undefined) {
      add(at(scope, execution.createdAt).counters, AGG_FIELD.open);
    } else {
      add(at(scope, execution.createdAt).counters, AGG_FIELD.waiting);
    }
    if (execution.firstStartedAt !== undefined)
      add(at(scope, execution.firstStartedAt).counters, AGG_FIELD.started);
  }
  return [...byTarget.values()];
};

/**
 * Sum deltas per target; counters that cancel out are dropped, and so are targets left with nothing.
 * `sign` −1 retracts (used for the old image).
 */
export const sumDeltas = (parts: readonly { delta: AggregateDelta; sign: 1 | -1 }[]): AggregateDelta[] => {
  const byTarget = new Map<
    string,
    { target: AggregateTarget; counters: Record<string, number>; samples: Record<string, string> }
  >();
  for (const { delta, sign } of parts) {
    const key = targetKey(delta.target);
    let acc = byTarget.get(key);
    if (acc === undefined) {
      acc = { target: delta.target, counters: {}, samples: {} };
      byTarget.set(key, acc);
    }
    for (const [field, value] of Object.entries(delta.counters)) add(acc.counters, field, sign * value);
    if (sign === 1) Object.assign(acc.samples, delta.samples);
  }
  const out: AggregateDelta[] = [];
  for (const acc of byTarget.values()) {
    for (const [field, value] of Object.entries(acc.counters))
      if (Math.abs(value) < 1e-9) delete acc.counters[field];
    const samples = Object.fromEntries(
      Object.entries(acc.samples).filter(
        ([field]) => acc.counters[field.replace(/^es_/, 'e_')] !== undefined,
      ),
    );
    if (Object.keys(acc.counters).length > 0)
      out.push({ target: acc.target, counters: acc.counters, samples });
  }
  return out;
};

/** The change to apply when an execution goes from `before` to `after`. Pure. */
export const deltaOf = (
  before: Execution | undefined,
  after: Execution | undefined,
  dimensionKeys: readonly string[],
): AggregateDelta[] =>
  sumDeltas([
    ...contributionOf(before, dimensionKeys).map((delta) => ({ delta, sign: -1 as const })),
    ...contributionOf(after, dimensionKeys).map((delta) => ({ delta, sign: 1 as const })),
  ]);

/** The distinct-name counters: bookkeeping of the cap, never a count of executions. */
export const NAME_COUNTER_FIELDS: ReadonlySet<string> = new Set(
  Object.values(NAME_FAMILIES).map((f) => f.namesField),
);

/**
 * A recomputed bucket laid out like a stored one (`taskpulse rebuild`): names without an entry in a
 * stored bucket that is at its cap are counted in `OTHER_NAME`, as the aggregator counted them. Names
 * without an entry in a bucket with room stay named: the correction's update admits them (or folds
 * those past the cap). Pure.
 */
export const foldLikeStored = (
  recomputed: AggregateDelta,
  stored: Readonly<Record<string, unknown>>,
): AggregateDelta => {
  const folded = new Set<string>();
  for (const field of [...Object.keys(recomputed.counters), ...Object.keys(recomputed.samples)]) {
    const carried = cappedNameOf(field);
    if (carried === undefined || carried.name === OTHER_NAME) continue;
    const spec = NAME_FAMILIES[carried.family];
    if (
      stored[spec.countField(carried.name)] === undefined &&
      Number(stored[spec.namesField] ?? 0) >= spec.cap
    )
      folded.add(carried.name);
  }
  if (folded.size === 0) return recomputed;
  return { target: recomputed.target, ...foldNames(recomputed.counters, recomputed.samples, folded) };
};

/**
 * The UTC days a batch changed that had already ended at `nowMs` (late events), sorted: the days the
 * scheduled rollup must recompute. The current day is left out, its rollup is computed after it ends.
 */
export const dirtyDaysOf = (deltas: readonly AggregateDelta[], nowMs: number): string[] => {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  return [...new Set(deltas.map((d) => d.target.day))].filter((day) => day < today).sort();
};

/** Custom-metric summary read back from aggregates. */
export interface MetricSummary {
  readonly count: number;
  readonly sum: number;
  readonly histogram: Histogram;
}

/** The merged content of any number of aggregate items of one scope. */
export interface AggregateSummary {
  finished: number;
  byStatus: Record<string, number>;
  retried: number;
  run: { count: number; sum: number; histogram: Histogram };
  wait: { count: number; sum: number; histogram: Histogram };
  errors: Record<string, { count: number; sample?: string }>;
  metrics: Record<string, MetricSummary>;
  open: number;
  started: number;
}

export const emptySummary = (): AggregateSummary => ({
  finished: 0,
  byStatus: {},
  retried: 0,
  run: { count: 0, sum: 0, histogram: {} },
  wait: { count: 0, sum: 0, histogram: {} },
  errors: {},
  metrics: {},
  open: 0,
  started: 0,
});

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** Read aggregate items (as plain objects) and merge them into one summary. Pure. */
export const summarizeAggregates = (items: readonly Record<string, unknown>[]): AggregateSummary => {
  const s = emptySummary();
  for (const item of items) {
    for (const [field, raw] of Object.entries(item)) {
      const v = num(raw);
      if (field === AGG_FIELD.finished) s.finished += v;
      else if (field === AGG_FIELD.retried) s.retried += v;
      else if (field === AGG_FIELD.open) s.open += v;
      else if (field === AGG_FIELD.started) s.started += v;
      else if (field === AGG_FIELD.runCount) s.run.count += v;
      else if (field === AGG_FIELD.runSum) s.run.sum += v;
      else if (field === AGG_FIELD.waitCount) s.wait.count += v;
      else if (field === AGG_FIELD.waitSum) s.wait.sum += v;
      else if (field.startsWith('c_')) s.byStatus[field.slice(2)] = (s.byStatus[field.slice(2)] ?? 0) + v;
      else if (field.startsWith('rh_'))
        s.run.histogram = mergeHistograms(s.run.histogram, { [field.slice(3)]: v });
      else if (field.startsWith('wh_'))
        s.wait.histogram = mergeHistograms(s.wait.histogram, { [field.slice(3)]: v });
      else if (field.startsWith('es_')) {
        const entry = errorEntry(s, field.slice(3));
        entry.sample ??= String(raw);
      } else if (field.startsWith('e_')) {
        errorEntry(s, field.slice(2)).count += v;
      } else if (field.startsWith('mn_') || field.startsWith('ms_')) {
        const m = metricEntry(s, field.slice(3));
        if (field.startsWith('mn_')) s.metrics[field.slice(3)] = { ...m, count: m.count + v };
        else s.metrics[field.slice(3)] = { ...m, sum: m.sum + v };
      } else if (field.startsWith('mh_')) {
        const rest = field.slice(3);
        const cut = rest.lastIndexOf('_');
        const name = rest.slice(0, cut);
        const m = metricEntry(s, name);
        s.metrics[name] = { ...m, histogram: mergeHistograms(m.histogram, { [rest.slice(cut + 1)]: v }) };
      }
    }
  }
  for (const [type, e] of Object.entries(s.errors)) if (e.count <= 0) delete s.errors[type];
  return s;
};

const metricEntry = (s: AggregateSummary, name: string): MetricSummary =>
  s.metrics[name] ?? { count: 0, sum: 0, histogram: {} };

const errorEntry = (s: AggregateSummary, type: string): { count: number; sample?: string } => {
  const existing = s.errors[type];
  if (existing !== undefined) return existing;
  const created = { count: 0 };
  s.errors[type] = created;
  return created;
};
