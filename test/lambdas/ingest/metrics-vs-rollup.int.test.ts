import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { AGG_FIELD, contributionOf, sumDeltas } from '../../../lambdas/domain/aggregate';
import { createIngestHandler } from '../../../lambdas/ingest/handler-factory';
import { createMetricsPublisher } from '../../../lambdas/ingest/metrics';
import { documentClient } from '../../../lambdas/shared/aws/clients';
import { type TaskEvent, TERMINAL_STATUSES } from '../../../lambdas/shared/contract/event';
import { STATUS_METRIC, TASK_METRIC } from '../../../lambdas/shared/names/metrics';
import { fromExecutionItem } from '../../../lambdas/shared/store/execution-item';
import { DynamoHistoryStore } from '../../../lambdas/shared/store/history-store';
import type { EmfDocument } from '../../infra/support/emf';
import { BASE_TIME_MS, isoAt, makeRandomLifecycle, seededRandom, shuffle } from '../../support/events';
import { messageOf, sqsEventOf, type TestMessage } from '../../support/sqs-event';
import { createTestTables, type TestTables } from '../../support/tables';

/**
 * Issue 12, defect 12: the dashboard's CloudWatch counts must equal the rollups. The real ingest
 * handler with its real EMF publisher runs against moto_server; every message is delivered twice with
 * different batch splits and orders; the EMF documents it prints are summed per task type, UTC day
 * and status, and compared with the aggregates computed from the executions it stored. Only the
 * history table is needed: the small test tables (test/support/tables.ts), not a deployed stack.
 */

/** Real time, so the EMF timestamps are inside the window CloudWatch (and Powertools) accept. */
const NOW_MS = Math.floor(Date.now() / 60_000) * 60_000;
/** The factories' events are at BASE_TIME_MS + 0..7 h; move them to the last 8 hours. */
const SHIFT_MS = NOW_MS - 8 * 3_600_000 - BASE_TIME_MS;
const shifted = (e: TaskEvent): TaskEvent => ({
  ...e,
  occurredAt: isoAt(Date.parse(e.occurredAt) + SHIFT_MS),
});

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

describe('ingest EMF counts against the rollup of the stored executions', () => {
  let tables: TestTables;
  const documents: EmfDocument[] = [];

  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('sums to the same count per task type, day and status, however often and in what batches messages arrive', async () => {
    // Prepare: ~300 events of varied lifecycles (retries, reopened runs, second terminal events); each
    // event costs the emulator a write or two, twice, and 300 still hold every kind (checked below).
    const rand = seededRandom(12);
    const events: TaskEvent[] = [];
    while (events.length < 300) events.push(...makeRandomLifecycle(rand).map(shifted));
    const terminalsPerAttempt = new Map<string, number>();
    for (const e of events.filter((x) => (TERMINAL_STATUSES as readonly string[]).includes(x.status))) {
      const key = `${e.taskId} ${e.attempt}`;
      terminalsPerAttempt.set(key, (terminalsPerAttempt.get(key) ?? 0) + 1);
    }
    expect(events.some((e) => e.attempt > 1)).toBe(true);
    expect([...terminalsPerAttempt.values()].some((n) => n > 1)).toBe(true);
    const messages = events.map((e, i) => messageOf(e, randomUUID(), BASE_TIME_MS + i));
    const handler = createIngestHandler({
      store: new DynamoHistoryStore(documentClient(tables.client), tables.historyTable, 30),
      ttlDays: 30,
      logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
      now: () => NOW_MS,
      onOutcome: createMetricsPublisher(
        { namespace: 'Taskpulse', stage: 'test', dimensionKeys: [] },
        { now: () => NOW_MS },
      ),
    });
    const deliver = async (batch: readonly TestMessage[]) => {
      const response = await handler(sqsEventOf(batch));
      expect(response.batchItemFailures).toEqual([]);
    };
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n'));
      return true;
    });

    // Act: every message twice, in different orders and batch splits.
    try {
      for (const batch of chunks(shuffle(rand, messages), 10)) await deliver(batch);
      for (const batch of chunks(shuffle(rand, messages), 37)) await deliver(batch);
    } finally {
      write.mockRestore();
    }
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as EmfDocument;
      if ('_aws' in parsed) documents.push(parsed);
    }

    // Assess: EMF sums per (task type, day, metric) …
    const counted = new Map<string, number>();
    const add = (map: Map<string, number>, key: string, by: number) => map.set(key, (map.get(key) ?? 0) + by);
    let waitSamples = 0;
    for (const doc of documents) {
      if (typeof doc.TaskType !== 'string') continue;
      const day = new Date(doc._aws.Timestamp).toISOString().slice(0, 10);
      for (const status of [...TERMINAL_STATUSES, 'started'] as const) {
        const value = doc[STATUS_METRIC[status]];
        if (typeof value === 'number') add(counted, `${doc.TaskType} ${day} ${status}`, value);
      }
      const wait = doc[TASK_METRIC.waitTime];
      waitSamples += Array.isArray(wait) ? wait.length : typeof wait === 'number' ? 1 : 0;
    }
    // … equal the aggregates of the stored executions (what the rollups sum per day).
    const stored: Record<string, unknown>[] = [];
    for await (const page of paginateScan(
      { client: tables.client },
      { TableName: tables.historyTable, ConsistentRead: true },
    ))
      stored.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    const executions = stored
      .filter((item) => String(item.pk).startsWith('EX#'))
      .map((item) => fromExecutionItem(item).execution);
    const expected = new Map<string, number>();
    for (const delta of sumDeltas(
      executions.flatMap((x) => contributionOf(x, [])).map((delta) => ({ delta, sign: 1 as const })),
    )) {
      const { scope, day } = delta.target;
      for (const status of TERMINAL_STATUSES) {
        const n = delta.counters[AGG_FIELD.statusCount(status)];
        if (n !== undefined) add(expected, `${scope} ${day} ${status}`, n);
      }
      const started = delta.counters[AGG_FIELD.started];
      if (started !== undefined) add(expected, `${scope} ${day} started`, started);
    }
    const nonZero = (map: Map<string, number>) =>
      Object.fromEntries([...map].filter(([, v]) => v !== 0).sort());
    expect(nonZero(counted)).toEqual(nonZero(expected));
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(100);
    expect(waitSamples).toBe(executions.filter((x) => x.waitMs !== undefined).length);
  }, 300_000);
});
