import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../../lambdas/api/handler-factory';
import { runRollup } from '../../../lambdas/rollup/run-rollup';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { ATTR, INDEX } from '../../../lambdas/shared/names/keys';
import { DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoRollupStore } from '../../../lambdas/shared/store/rollup-store';
import { motoClientConfig } from '../../support/aws';
import { BASE_TIME_MS, makeLifecycle } from '../../support/events';
import { createTestTables, TestFeed, type TestTables } from '../../support/tables';

/**
 * The read API over moto: events go through the real ingest and aggregator into the tables, then
 * every answer comes from the API handler as API Gateway would call it.
 */

const MIN = 60_000;
const TODAY = '2026-03-02';
const YESTERDAY = '2026-03-01';
/** The API's clock: noon on TODAY (BASE_TIME_MS is 10:00 that day). */
const NOW = BASE_TIME_MS + 2 * 60 * MIN;

let tables: TestTables;
let feed: TestFeed;
let api: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** GET a path with query parameters; the answer with its body parsed. */
const get = async (path: string, query: Record<string, string> = {}) => {
  const res = await api({
    path,
    httpMethod: 'GET',
    headers: {},
    queryStringParameters: Object.keys(query).length === 0 ? null : query,
    requestContext: { requestId: 'test' },
  } as unknown as APIGatewayProxyEvent);
  return { status: res.statusCode, type: res.headers?.['content-type'], body: JSON.parse(res.body) };
};

/** Events of a job's task. */
const inJob = (events: TaskEvent[], jobId: string, parentTaskId?: string): TaskEvent[] =>
  events.map((e) => ({ ...e, jobId, ...(parentTaskId !== undefined && { parentTaskId }) }));

const invoiceIds: string[] = [];
const failedInvoiceIds: string[] = [];

beforeAll(async () => {
  tables = await createTestTables();
  feed = new TestFeed(tables);
  const events: TaskEvent[] = [];
  // 25 invoices this morning, every 4th failed; 5 resizes; 3 invoices yesterday (rolled up).
  for (let i = 0; i < 25; i++) {
    const taskId = `inv-${String(i).padStart(2, '0')}`;
    invoiceIds.push(taskId);
    const outcome = i % 4 === 0 ? 'failed' : 'succeeded';
    if (outcome === 'failed') failedInvoiceIds.push(taskId);
    events.push(...makeLifecycle({ taskId, startMs: BASE_TIME_MS + i * 3 * MIN, outcome }));
  }
  for (let i = 0; i < 5; i++)
    events.push(
      ...makeLifecycle({ taskId: `img-${i}`, taskType: 'resize_image', startMs: BASE_TIME_MS + i * MIN }),
    );
  for (let i = 0; i < 3; i++)
    events.push(...makeLifecycle({ taskId: `old-${i}`, startMs: BASE_TIME_MS - 20 * 60 * MIN + i * MIN }));
  // A job: a root, three children (one failed, one still running), a grandchild.
  const at = BASE_TIME_MS + 90 * MIN;
  events.push(...inJob(makeLifecycle({ taskId: 'job-root', taskType: 'import', startMs: at }), 'job-1'));
  events.push(
    ...inJob(
      makeLifecycle({ taskId: 'job-a', taskType: 'import_part', startMs: at + MIN }),
      'job-1',
      'job-root',
    ),
  );
  events.push(
    ...inJob(
      makeLifecycle({
        taskId: 'job-b',
        taskType: 'import_part',
        startMs: at + MIN,
        outcome: 'failed',
        error: { type: 'ParseError', message: 'bad row 7' },
      }),
      'job-1',
      'job-root',
    ),
  );
  events.push(
    ...inJob(
      makeLifecycle({ taskId: 'job-c', taskType: 'import_part', startMs: at + MIN, outcome: 'running' }),
      'job-1',
      'job-root',
    ),
  );
  events.push(
    ...inJob(
      makeLifecycle({ taskId: 'job-a1', taskType: 'import_row', startMs: at + 2 * MIN }),
      'job-1',
      'job-a',
    ),
  );
  await feed.send(events, NOW);
  const aggregates = new DynamoAggregateReader(tables.doc, tables.stateTable);
  await runRollup(
    { aggregates, rollups: new DynamoRollupStore(tables.doc, tables.stateTable), now: () => NOW },
    YESTERDAY,
    YESTERDAY,
  );
  api = createApiHandler({
    doc: tables.doc,
    dynamodb: tables.client,
    streams: new DynamoDBStreamsClient(motoClientConfig()),
    historyTable: tables.historyTable,
    stateTable: tables.stateTable,
    now: () => NOW,
  });
});

/** Follow `next` until the last page; every page's items. */
const allPages = async (path: string, query: Record<string, string>) => {
  const pages: { taskId: string }[][] = [];
  let next: string | null = null;
  do {
    const res = await get(path, { ...query, ...(next !== null && { next }) });
    expect(res.status).toBe(200);
    pages.push(res.body.items);
    next = res.body.next;
  } while (next !== null && pages.length < 50);
  return pages;
};

describe('GET /v1/executions', () => {
  it('pages a task type newest first without gaps or repeats', async () => {
    const pages = await allPages('/v1/executions', {
      taskType: 'send_invoice',
      from: `${TODAY}T00:00:00Z`,
      limit: '7',
    });

    const ids = pages.flat().map((r) => r.taskId);
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 4]);
    expect(ids).toEqual([...invoiceIds].reverse());
  });

  it('pages every type active in the range when no type is given', async () => {
    const pages = await allPages('/v1/executions', { from: `${TODAY}T00:00:00Z`, limit: '12' });

    const ids = pages.flat().map((r) => r.taskId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(25 + 5 + 5);
  });

  it('combines filters: failed executions of one type, by finish time', async () => {
    const pages = await allPages('/v1/executions', {
      taskType: 'send_invoice',
      status: 'failed',
      from: `${TODAY}T00:00:00Z`,
      limit: '2',
    });

    expect(pages.flat().map((r) => r.taskId)).toEqual([...failedInvoiceIds].reverse());
  });

  it('rejects bad input with a problem naming the parameter', async () => {
    const res = await get('/v1/executions', { limit: '0', status: 'exploded' });

    expect(res.status).toBe(400);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.invalidParams.map((p: { name: string }) => p.name).sort()).toEqual(['limit', 'status']);
    const token = await get('/v1/executions', { next: 'not-a-token' });
    expect(token.status).toBe(400);
    expect(token.body.invalidParams[0].name).toBe('next');
    const range = await get('/v1/executions', { from: `${TODAY}T12:00:00Z`, to: `${TODAY}T11:00:00Z` });
    expect(range.body.invalidParams[0].name).toBe('from');
  });

  it('refuses a page token used with another filter', async () => {
    const first = await get('/v1/executions', { taskType: 'send_invoice', limit: '2' });

    const res = await get('/v1/executions', { taskType: 'resize_image', next: first.body.next });

    expect(res.status).toBe(400);
    expect(res.body.invalidParams[0].name).toBe('next');
  });
});

describe('GET /v1/executions/{taskId}', () => {
  it('shows one execution with its attempts and timeline, and 404 for an unknown one', async () => {
    const res = await get('/v1/executions/inv-04');
    const missing = await get('/v1/executions/nope');

    expect(res.status).toBe(200);
    expect(res.body.execution).toMatchObject({ taskId: 'inv-04', status: 'failed' });
    expect(res.body.events.map((e: { status: string }) => e.status)).toEqual([
      'enqueued',
      'started',
      'failed',
    ]);
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, type: '/problems/not-found' });
  });
});

describe('GET /v1/failures', () => {
  it('lists failed executions since a time with their errors', async () => {
    const res = await get('/v1/failures', { since: `${TODAY}T10:30:00Z` });

    expect(res.status).toBe(200);
    const ids = res.body.items.map((r: { taskId: string }) => r.taskId);
    expect(ids).toContain('job-b');
    expect(ids).not.toContain('inv-00');
    expect(res.body.items.every((r: { errorType: string | null }) => r.errorType !== null)).toBe(true);
  });
});

describe('GET /v1/jobs/{jobId}', () => {
  it('shows every task of the job, counts, progress, failed children and the tree', async () => {
    const res = await get('/v1/jobs/job-1');

    expect(res.status).toBe(200);
    expect(res.body.progress).toEqual({ finished: 4, total: 5, ratio: 0.8 });
    expect(res.body.counts).toMatchObject({ succeeded: 3, failed: 1, started: 1 });
    expect(res.body.failed).toEqual([
      expect.objectContaining({ taskId: 'job-b', errorType: 'ParseError', errorMessage: 'bad row 7' }),
    ]);
    expect(res.body.roots).toEqual(['job-root']);
    const byId = Object.fromEntries(res.body.tasks.map((t: { taskId: string }) => [t.taskId, t]));
    expect(byId['job-root'].children).toEqual(['job-a', 'job-b', 'job-c']);
    expect(byId['job-a'].children).toEqual(['job-a1']);
  });

  it('answers 404 for a job nobody sent', async () => {
    const res = await get('/v1/jobs/job-nobody');

    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
  });

  it('reads a sparse index: executions without a job are not in it', async () => {
    const res = await tables.doc.send(
      new QueryCommand({
        TableName: tables.historyTable,
        IndexName: INDEX.byJob,
        KeyConditionExpression: '#j = :j',
        ExpressionAttributeNames: { '#j': ATTR.jobId },
        ExpressionAttributeValues: { ':j': 'job-1' },
      }),
    );
    const scanned = await get('/v1/executions', { from: `${TODAY}T00:00:00Z`, limit: '1000' });

    expect(res.Items?.length).toBe(5);
    expect(scanned.body.items.length).toBe(35);
  });
});

describe('GET /v1/stats', () => {
  it("returns yesterday's rollup and today's live figures from the aggregates", async () => {
    const res = await get('/v1/stats', { from: YESTERDAY, taskType: 'send_invoice' });

    expect(res.status).toBe(200);
    expect(res.body.liveDay).toBe(TODAY);
    const [scope] = res.body.scopes;
    expect(scope).toMatchObject({ taskType: 'send_invoice', total: 28, failed: 7, succeeded: 21 });
    expect(
      scope.daily.map((d: { day: string; live: boolean; total: number }) => [d.day, d.live, d.total]),
    ).toEqual([
      [YESTERDAY, false, 3],
      [TODAY, true, 25],
    ]);
    expect(scope.daily[1].run.p95Ms).toBeGreaterThan(0);
    expect(scope.daily[1].topErrors[0]).toMatchObject({ type: 'TimeoutError', count: 7 });
  });

  it('rejects a range that ends in the future', async () => {
    const res = await get('/v1/stats', { to: '2026-03-03' });

    expect(res.status).toBe(400);
    expect(res.body.invalidParams[0].name).toBe('to');
  });
});

describe('GET /v1/feed', () => {
  it('starts at now, then returns exactly the events stored since the cursor', async () => {
    const start = await get('/v1/feed');
    expect(start.status).toBe(200);
    expect(start.body.events).toEqual([]);

    await feed.send(makeLifecycle({ taskId: 'feed-1', startMs: NOW - 10 * MIN }), NOW);
    const first = await get('/v1/feed', { after: start.body.next });
    const again = await get('/v1/feed', { after: first.body.next });

    expect(
      first.body.events.map((e: { taskId: string; status: string }) => `${e.taskId}:${e.status}`),
    ).toEqual(['feed-1:enqueued', 'feed-1:started', 'feed-1:succeeded']);
    expect(first.body.gap).toBe(false);
    expect(again.body.events).toEqual([]);
  });

  it('rejects a cursor it did not make', async () => {
    const res = await get('/v1/feed', { after: 'bm9wZQ' });

    expect(res.status).toBe(400);
    expect(res.body.invalidParams[0].name).toBe('after');
  });
});

describe('GET /v1/alerts', () => {
  it('lists the alert states (none before the monitor ran)', async () => {
    const res = await get('/v1/alerts');

    expect(res).toMatchObject({ status: 200, body: { alerts: [] } });
  });
});
