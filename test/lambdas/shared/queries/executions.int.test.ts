import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../../../lambdas/shared/aws/clients';
import type { TaskEvent } from '../../../../lambdas/shared/contract/event';
import { type ExecutionListDeps, listExecutions } from '../../../../lambdas/shared/queries/executions';
import { decodePageToken, type ExecutionQuery } from '../../../../lambdas/shared/queries/page-token';
import { taskTypesActive } from '../../../../lambdas/shared/queries/task-types';
import { DynamoAggregateReader } from '../../../../lambdas/shared/store/aggregate-reader';
import { motoClientConfig } from '../../../support/aws';
import { BASE_TIME_MS, makeLifecycle } from '../../../support/events';
import { attachReadCounter } from '../../../support/read-counter';
import { createTestTables, TestFeed } from '../../../support/tables';

/**
 * Status lists over moto: what a failed-executions query reads must follow what it returns, not how
 * many failures other task types stored (issue 8: every endpoint reads O(items returned)).
 */

const MIN = 60_000;
const NOW = BASE_TIME_MS + 6 * 60 * MIN;
const FROM = new Date(BASE_TIME_MS - 60 * MIN).toISOString();
const TO = new Date(NOW).toISOString();

let deps: ExecutionListDeps;
let read: { items: number };
const failedInvoices: string[] = [];
const failedAll: string[] = [];

beforeAll(async () => {
  const tables = await createTestTables();
  const events: TaskEvent[] = [];
  // 73 failed resizes, 3 failed invoices among them, a few successes and cancellations: a list that
  // read other types' failures would read over ten times what it returns.
  for (let i = 0; i < 80; i++) {
    const startMs = BASE_TIME_MS + i * 2 * MIN;
    const taskType = i % 25 === 7 ? 'send_invoice' : 'resize_image';
    const outcome = i % 40 === 3 ? 'succeeded' : i % 40 === 5 ? 'cancelled' : 'failed';
    const taskId = `${taskType}-${String(i).padStart(3, '0')}`;
    if (outcome === 'failed') failedAll.push(taskId);
    if (outcome === 'failed' && taskType === 'send_invoice') failedInvoices.push(taskId);
    events.push(...makeLifecycle({ taskId, taskType, startMs, outcome }));
  }
  await new TestFeed(tables).send(events, NOW);
  const reader = new DynamoDBClient(motoClientConfig());
  read = attachReadCounter(reader);
  const doc = documentClient(reader);
  deps = {
    doc,
    historyTable: tables.historyTable,
    taskTypesOn: (days) => taskTypesActive(new DynamoAggregateReader(doc, tables.stateTable), days),
  };
});

const failed = (taskType: string | null): ExecutionQuery => ({
  taskType,
  status: 'failed',
  fromIso: FROM,
  toIso: TO,
});

/** Every page of a query, following its cursor. */
const allPages = async (query: ExecutionQuery, limit: number) => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await listExecutions(deps, query, { limit, ...(cursor !== undefined && { cursor }) });
    pages.push(page.items.map((r) => r.taskId));
    cursor = page.next === null ? undefined : decodePageToken(page.next).cursor;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
};

describe('listExecutions by status', () => {
  it("reads a task type's failures without reading other types' failures", async () => {
    read.items = 0;

    const page = await listExecutions(deps, failed('send_invoice'), { limit: 50 });

    expect(failedInvoices).toHaveLength(3);
    expect(page.items.map((r) => r.taskId)).toEqual([...failedInvoices].reverse());
    expect(page.next).toBeNull();
    // One index key and one row per execution returned; the 73 failed resizes are not read.
    expect(read.items).toBeLessThanOrEqual(2 * failedInvoices.length);
  });

  it('pages the failures of every type newest first without gaps or repeats', async () => {
    const pages = await allPages(failed(null), 13);

    expect(pages.flat()).toEqual([...failedAll].reverse());
    expect(pages.slice(0, -1).every((p) => p.length === 13)).toBe(true);
  });

  it("pages one type's failures without gaps or repeats", async () => {
    const pages = await allPages(failed('send_invoice'), 1);

    expect(pages.flat()).toEqual([...failedInvoices].reverse());
  });
});
