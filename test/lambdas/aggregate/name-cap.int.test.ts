import { Logger } from '@aws-lambda-powertools/logger';
import { paginateScan } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAggregateHandler } from '../../../lambdas/aggregate/handler-factory';
import {
  contributionOf,
  deltaOf,
  MAX_ERROR_TYPES_PER_BUCKET,
  MAX_METRIC_NAMES_PER_BUCKET,
  OTHER_NAME,
  sumDeltas,
} from '../../../lambdas/domain/aggregate';
import type { Execution } from '../../../lambdas/domain/execution';
import { DynamoAggregateStore, MARKER_ATTRIBUTE } from '../../../lambdas/shared/store/aggregate-store';
import { toExecutionItem } from '../../../lambdas/shared/store/execution-item';
import { BASE_TIME_MS, type LifecycleOptions } from '../../support/events';
import { createTestTables, type TestTables } from '../../support/tables';
import { insertRecord, makeExecution } from './stream-event';

/**
 * Producer-chosen names are capped per bucket: 200 distinct error types and metric names in one
 * bucket, delivered in two orders and batch splits, with retractions (changed executions), on
 * moto_server. Which names keep their own entry may differ; totals may not.
 */

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const META = new Set(['pk', 'sk', 'scope', 'day', 'slot', 'expiresAt', MARKER_ATTRIBUTE, 'ne', 'nm']);
// Four times the cap of each name kind (MAX_ERROR_TYPES_PER_BUCKET, MAX_METRIC_NAMES_PER_BUCKET): most
// names must go to the other entry, in every order and batch split.
const NAMES = 200;

const metricName = (i: number) => `metric${String(i).padStart(3, '0')}`;
const lifecycleOf = (i: number): LifecycleOptions => ({
  taskId: `wide-${i}`,
  taskType: 'wide_task',
  startMs: BASE_TIME_MS + i * 100,
  outcome: 'failed',
  error: { type: `Error${String(i).padStart(3, '0')}`, message: `boom ${i}` },
  metrics: { [metricName(i)]: i * 1.5 },
});

/** 200 failed runs in one 5-minute bucket, each with its own error type and metric name. */
const executions: Execution[] = Array.from({ length: NAMES }, (_, i) => makeExecution(lifecycleOf(i)));

/** Every tenth run is stored again changed: a new metric value (other bins) and another error type. */
const changed = (_: Execution, i: number): Execution =>
  makeExecution({
    ...lifecycleOf(i),
    error: { type: 'LateError', message: 'late' },
    metrics: { [metricName(i)]: i * 1000 + 7 },
  });

const modifyRecord = (before: Execution, after: Execution, sequenceNumber: number): DynamoDBRecord => {
  const item = toExecutionItem(after, 1, 30);
  return {
    eventName: 'MODIFY',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      OldImage: marshall(toExecutionItem(before, 1, 30), { removeUndefinedValues: true }) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequenceNumber).padStart(21, '0'),
    },
  };
};

/** The stream records: every insert, then the changes; in `order`, cut into batches of `size`. */
const deliveries = (order: number[], size: number): DynamoDBRecord[][] => {
  const records: DynamoDBRecord[] = [];
  let seq = 1_000;
  for (const i of order) records.push(insertRecord(executions[i]!, seq++));
  for (const i of order.filter((i) => i % 10 === 0))
    records.push(modifyRecord(executions[i]!, changed(executions[i]!, i), seq++));
  const batches: DynamoDBRecord[][] = [];
  for (let i = 0; i < records.length; i += size) batches.push(records.slice(i, i + size));
  return batches;
};

/** Family totals: counters summed per field kind with the name taken out (`e_*`, `mh_*_<bin>` …). */
const totalsOf = (fields: Iterable<[string, number]>): Record<string, number> => {
  const totals: Record<string, number> = {};
  for (const [field, value] of fields) {
    // The field with its producer-chosen name taken out, written here independently of the code.
    const key = field.replace(/^(e|es|mn|ms)_.*$/, '$1_*').replace(/^mh_.*_([^_]+)$/, 'mh_*_$1');
    totals[key] = Math.round(((totals[key] ?? 0) + value) * 1e6) / 1e6;
  }
  for (const [k, v] of Object.entries(totals)) if (v === 0) delete totals[k];
  return totals;
};

const finalExecutions = executions.map((x, i) => (i % 10 === 0 ? changed(x, i) : x));
const oracle = totalsOf(
  sumDeltas(
    finalExecutions.flatMap((x) => contributionOf(x, [])).map((delta) => ({ delta, sign: 1 as const })),
  ).flatMap((d) => Object.entries(d.counters)),
);

const scanState = async (tables: TestTables) => {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan(
    { client: tables.client },
    { TableName: tables.stateTable, ConsistentRead: true },
  ))
    for (const raw of page.Items ?? []) items.push(unmarshall(raw));
  return items;
};

const runOrder = async (order: number[], batchSize: number) => {
  const tables = await createTestTables();
  const handler = createAggregateHandler({
    store: new DynamoAggregateStore(tables.doc, tables.stateTable, 400),
    dimensionKeys: [],
    logger: silent,
  });
  const failures: unknown[] = [];
  for (const batch of deliveries(order, batchSize)) {
    const answer = await handler({ Records: batch });
    failures.push(...answer.batchItemFailures);
  }
  return { failures, items: await scanState(tables) };
};

const shuffled = (n: number, seed: number): number[] => {
  const out = Array.from({ length: n }, (_, i) => i);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

describe('aggregator with many producer-chosen names in one bucket', () => {
  let runs: Awaited<ReturnType<typeof runOrder>>[];
  beforeAll(async () => {
    runs = [
      await runOrder(
        Array.from({ length: NAMES }, (_, i) => i),
        100,
      ),
      await runOrder(shuffled(NAMES, 7), 37),
    ];
  }, 120_000);

  it('answers every batch at once, with no skip and no retry', () => {
    for (const run of runs) {
      expect(run.failures).toEqual([]);
      expect(run.items.filter((item) => String(item.pk).startsWith('AS#'))).toEqual([]);
    }
  });

  it('keeps at most the cap of named entries per part, the rest in one other entry, items small', () => {
    for (const run of runs) {
      const parts = run.items.filter((item) => String(item.pk).startsWith('AG#'));
      for (const item of parts) {
        const names = (prefix: string) =>
          Object.keys(item).filter((f) => f.startsWith(prefix) && f !== `${prefix}${OTHER_NAME}`).length;
        expect(names('e_')).toBeLessThanOrEqual(MAX_ERROR_TYPES_PER_BUCKET);
        expect(names('mn_')).toBeLessThanOrEqual(MAX_METRIC_NAMES_PER_BUCKET);
        expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(64 * 1024);
      }
      // Every metric bin part belongs to a named metric or to the other entry.
      const metricParts = new Set(
        parts.map((p) => String(p.sk).split('#')[1] ?? '').filter((part) => part.startsWith('m.')),
      );
      const metricNamesWithParts = new Set([...metricParts].map((p) => p.slice(2, p.lastIndexOf('.'))));
      expect(metricNamesWithParts.size).toBeLessThanOrEqual(MAX_METRIC_NAMES_PER_BUCKET + 1);
      expect(metricNamesWithParts.has(OTHER_NAME)).toBe(true);
    }
  });

  it('holds exact totals in every order: each count in its name or in the other entry', () => {
    for (const run of runs) {
      const fields = run.items
        .filter((item) => String(item.pk).startsWith('AG#'))
        .flatMap((item) =>
          Object.entries(item)
            .filter(([f]) => !META.has(f) && !f.startsWith('es_'))
            .map(([f, v]) => [f, Number(v)] as [string, number]),
        );
      expect(totalsOf(fields)).toEqual(oracle);
    }
  });

  it('counts a retracted name where it was counted (no negative entries)', () => {
    for (const run of runs) {
      for (const item of run.items.filter((i) => String(i.pk).startsWith('AG#')))
        for (const [field, value] of Object.entries(item))
          if (/^(e|mn|mh)_/.test(field)) expect(Number(value), field).toBeGreaterThanOrEqual(0);
    }
    // The oracle's own check that changes do retract: the late type has a count, the first types fewer.
    expect(deltaOf(executions[0], changed(executions[0]!, 0), []).length).toBeGreaterThan(0);
  });
});
