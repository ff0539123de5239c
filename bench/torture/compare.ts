import { contributionOf, NAME_COUNTER_FIELDS, sumDeltas } from '../../lambdas/domain/aggregate';
import { type Execution, mergeEvents } from '../../lambdas/domain/execution';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { EXECUTION_PK_PREFIX, slotOfAggregateSort } from '../../lambdas/shared/names/keys';
import { fromExecutionItem } from '../../lambdas/shared/store/execution-item';
import { oracleRollups } from '../../test/lambdas/rollup/oracle';
import type { TortureStack } from './stack';

/**
 * What a torture scenario compares: the stored state of a stack (executions, aggregate buckets,
 * rollups, quarantine), normalized so two runs that must agree compare equal, and the oracle: what
 * the events alone say the state must be (merged per task in memory, no DynamoDB).
 */

/** A key-sorted JSON string, so objects with the same content compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );

/** The execution an execution item of a snapshot holds. */
export const executionOfItem = (item: Record<string, unknown>): Execution =>
  fromExecutionItem({ ...(item as { pk: string; sk: string }), v: 1 }).execution;

/** One quarantine record as a scenario checks it. */
export interface QuarantineEntry {
  readonly code: string;
  readonly reason: string;
}

export interface Snapshot {
  /** Execution items by taskId, without the write version. */
  readonly executions: ReadonlyMap<string, Record<string, unknown>>;
  /** Aggregate buckets (all parts merged) by `pk \n slot`, counters that went back to zero dropped. */
  readonly buckets: ReadonlyMap<string, Record<string, unknown>>;
  /** Rollups by `day \n scope`, without `computedAt`. */
  readonly rollups: ReadonlyMap<string, Record<string, unknown>>;
  /** Quarantine records by messageId. */
  readonly quarantine: ReadonlyMap<string, QuarantineEntry>;
}

const BUCKET_META = new Set(['pk', 'sk', 'scope', 'day', 'slot', 'expiresAt', 'part']);

/** Read a stack's state (any pipeline with the two tables and a scan will do). */
export const snapshotOf = async (
  stack: Pick<TortureStack, 'scan' | 'historyTable' | 'stateTable'>,
): Promise<Snapshot> => {
  const history = await stack.scan(stack.historyTable);
  const state = await stack.scan(stack.stateTable);
  const executions = new Map<string, Record<string, unknown>>();
  const quarantine = new Map<string, QuarantineEntry>();
  for (const item of history) {
    if (String(item.pk).startsWith(EXECUTION_PK_PREFIX)) {
      const { v: _v, ...rest } = item;
      executions.set(String(item.pk).slice(EXECUTION_PK_PREFIX.length), rest);
    } else if (item.kind === 'quarantine') {
      quarantine.set(String(item.messageId), { code: String(item.code), reason: String(item.reason) });
    }
  }
  const buckets = new Map<string, Record<string, unknown>>();
  const rollups = new Map<string, Record<string, unknown>>();
  for (const item of state) {
    const pk = String(item.pk);
    if (pk.startsWith('AG#')) {
      const key = `${pk}\n${slotOfAggregateSort(String(item.sk))}`;
      const bucket = buckets.get(key) ?? {};
      for (const [field, value] of Object.entries(item)) {
        // The per-part counters of named entries depend on arrival order by design (decision 0012).
        if (
          BUCKET_META.has(field) ||
          field === 'v' ||
          field.startsWith('ledger') ||
          NAME_COUNTER_FIELDS.has(field)
        )
          continue;
        bucket[field] =
          typeof value === 'number' && typeof bucket[field] === 'number'
            ? (bucket[field] as number) + value
            : value;
      }
      buckets.set(key, bucket);
    } else if (pk.startsWith('RU#')) {
      const { computedAt: _c, pk: _p, sk: _s, ...rest } = item;
      rollups.set(`${item.day}\n${item.scope}`, withoutSampleText(rest));
    }
  }
  for (const [key, bucket] of buckets) {
    for (const [field, value] of Object.entries(bucket)) {
      // Counters that went up and back to zero (an execution counted and later moved) differ by order.
      if (value === 0) delete bucket[field];
      else if (field.startsWith('es_') && !bucket[`e_${field.slice(3)}`]) delete bucket[field];
      // Which message is kept as an error type's sample is the first one stored (set if absent), so it
      // depends on arrival order by design (docs/data-model.md); compare that a sample exists.
      else if (field.startsWith('es_')) bucket[field] = true;
    }
    if (Object.keys(bucket).length === 0) buckets.delete(key);
  }
  return { executions, buckets, rollups, quarantine };
};

/** A rollup with its top errors' sample messages reduced to whether they have one (see `snapshotOf`). */
const withoutSampleText = (rollup: Record<string, unknown>): Record<string, unknown> =>
  JSON.parse(JSON.stringify(rollup), (key, value) =>
    key === 'sample' ? value !== null && value !== undefined : value,
  ) as Record<string, unknown>;

/** Keys whose values differ between two maps (present in one only, or with other content). */
const differingKeys = (a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): string[] => {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()]))
    if (canonical(a.get(key)) !== canonical(b.get(key))) out.push(key);
  return out.sort();
};

/** Fields whose values differ between two records. */
const differingFields = (a: Record<string, unknown> = {}, b: Record<string, unknown> = {}): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((f) => canonical(a[f]) !== canonical(b[f]))
    .sort();

/** Differences between two snapshots, per part; `examples` names a few for the report. */
export const diffSnapshots = (a: Snapshot, b: Snapshot) => {
  const executions = differingKeys(a.executions, b.executions);
  const buckets = differingKeys(a.buckets, b.buckets);
  const rollups = differingKeys(a.rollups, b.rollups);
  return {
    total: executions.length + buckets.length + rollups.length,
    executions: executions.length,
    buckets: buckets.length,
    rollups: rollups.length,
    examples: [
      ...executions,
      ...buckets.map((k) => `${k} [${differingFields(a.buckets.get(k), b.buckets.get(k)).join(', ')}]`),
      ...rollups,
    ]
      .slice(0, 5)
      .map((k) => k.replace('\n', ' ')),
  };
};

/** The executions the events make, by taskId (order-independent, as the ingest must be). */
const oracleExecutions = (events: readonly TaskEvent[]): Map<string, Execution> => {
  const byTask = new Map<string, TaskEvent[]>();
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  return new Map([...byTask].map(([taskId, group]) => [taskId, mergeEvents(undefined, group).execution!]));
};

/** How a snapshot departs from the oracle. */
interface OracleReport {
  /** Executions missing, plus finished executions missing from the task-type aggregates. */
  readonly lost: number;
  /** Finished executions counted more than once in the task-type aggregates. */
  readonly doubleCounted: number;
  /** Executions, bucket fields and rollup counts that differ from the oracle. */
  readonly differences: number;
  readonly examples: readonly string[];
}

/** Compare a snapshot with what `events` (the valid ones) must produce. */
export const checkOracle = (
  events: readonly TaskEvent[],
  snapshot: Snapshot,
  dimensionKeys: readonly string[],
  days: readonly string[],
): OracleReport => {
  const examples: string[] = [];
  const note = (what: string) => {
    if (examples.length < 5) examples.push(what);
  };
  let lost = 0;
  let doubleCounted = 0;
  let differences = 0;
  const expected = oracleExecutions(events);
  for (const [taskId, execution] of expected) {
    const item = snapshot.executions.get(taskId);
    if (item === undefined) {
      lost++;
      differences++;
      note(`execution ${taskId} missing`);
      continue;
    }
    const stored = executionOfItem(item);
    if (canonical(stored) !== canonical(execution)) {
      differences++;
      const missing = execution.events.filter((e) => !stored.events.some((s) => s.eventId === e.eventId));
      lost += missing.length;
      note(`execution ${taskId} differs${missing.length > 0 ? ` (${missing.length} events missing)` : ''}`);
    }
  }
  for (const taskId of snapshot.executions.keys()) {
    if (!expected.has(taskId)) {
      differences++;
      note(`execution ${taskId} not expected`);
    }
  }
  const deltas = sumDeltas(
    [...expected.values()]
      .flatMap((x) => contributionOf(x, dimensionKeys))
      .map((delta) => ({ delta, sign: 1 as const })),
  );
  const expectedBuckets = new Map(
    deltas.map((d) => [`AG#${d.target.scope}#${d.target.day}\n${d.target.slot}`, d.counters]),
  );
  for (const key of new Set([...expectedBuckets.keys(), ...snapshot.buckets.keys()])) {
    const want = expectedBuckets.get(key) ?? {};
    const have = snapshot.buckets.get(key) ?? {};
    const typeScope = !key.split('\n')[0]!.includes('|');
    for (const field of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (field.startsWith('es_')) continue;
      const w = want[field] ?? 0;
      const h = typeof have[field] === 'number' ? (have[field] as number) : 0;
      if (Math.abs(w - h) <= 1e-6 * Math.max(1, Math.abs(w))) continue;
      differences++;
      note(`bucket ${key.replace('\n', ' ')} ${field}: ${h} instead of ${w}`);
      if (typeScope && field === 'n') {
        if (h > w) doubleCounted += h - w;
        else lost += w - h;
      }
    }
  }
  for (const day of days) {
    for (const [scope, want] of oracleRollups(events, day, dimensionKeys)) {
      if (want.total === 0 && want.started === 0) continue;
      const have = snapshot.rollups.get(`${day}\n${scope}`);
      const got = {
        total: have?.total ?? 0,
        byStatus: have?.byStatus ?? {},
        retried: have?.retried ?? 0,
        started: have?.started ?? 0,
      };
      const exp = {
        total: want.total,
        byStatus: want.byStatus,
        retried: want.retried,
        started: want.started,
      };
      if (canonical(got) !== canonical(exp)) {
        differences++;
        note(`rollup ${day} ${scope}: ${canonical(got)} instead of ${canonical(exp)}`);
      }
    }
  }
  return { lost, doubleCounted, differences, examples };
};
