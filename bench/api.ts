import { randomUUID } from 'node:crypto';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BASE_TIME_MS, isoAt, makeLifecycle, pick, seededRandom } from '../demo/lifecycle';
import { synthTemplate } from '../infra/synth';
import { aggregateChanges } from '../lambdas/aggregate/aggregate-changes';
import { createApiHandler } from '../lambdas/api/handler-factory';
import { type Execution, mergeEvents } from '../lambdas/domain/execution';
import { documentClient } from '../lambdas/shared/aws/clients';
import { AwsPipelineProbe, pipelineLocationFromEnv } from '../lambdas/shared/aws/pipeline-probe';
import type { TaskEvent } from '../lambdas/shared/contract/event';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { DynamoAggregateStore } from '../lambdas/shared/store/aggregate-store';
import { toExecutionItem } from '../lambdas/shared/store/execution-item';
import { DynamoRunRecordStore } from '../lambdas/shared/store/run-record-store';
import { deployLocalStack } from '../local/deploy';
import { startMoto } from '../local/moto';
import { attachReadCounter } from '../test/support/read-counter';

/**
 * `npm run bench:api`: items read and latency of every read-API endpoint at two stored volumes.
 *
 * For each volume it deploys a fresh stack to moto_server, stores the events through the history store
 * and the aggregation use case in bulk (`storeInBulk`), then calls each endpoint through
 * the API handler in-process and counts, with a middleware on the DynamoDB client, the requests and
 * the items DynamoDB returned. Events span the same six hours at every volume, so the aggregate
 * buckets are the same and only their density grows: an endpoint whose items read stay flat reads
 * O(items returned) or O(task types × buckets), not O(stored events). Latency is against moto on
 * loopback (a Python emulator), so it is a relative figure; docs/api.md argues the AWS figure from
 * the items read.
 *
 * Usage: npm run bench:api [-- --events 10000,100000] [--calls 5]
 */

const argValue = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? String(process.argv[i + 1]) : fallback;
};
const VOLUMES = argValue('--events', '10000,100000').split(',').map(Number);
const CALLS = Number(argValue('--calls', '5'));
const DAY = isoAt(BASE_TIME_MS).slice(0, 10);
const NOW_MS = BASE_TIME_MS + 8 * 3_600_000;
const region = 'us-east-1';
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const TASK_TYPES = ['send_invoice', 'resize_image', 'sync_orders', 'generate_report'];

/** `n` events over six hours of one day; one task in ten belongs to one of 50 jobs. */
const generate = (n: number): TaskEvent[] => {
  const rand = seededRandom(8);
  const events: TaskEvent[] = [];
  for (let i = 0; events.length < n; i++) {
    const job = rand() < 0.1 ? { jobId: `job-${i % 50}` } : {};
    events.push(
      ...makeLifecycle({
        taskType: pick(rand, TASK_TYPES),
        startMs: BASE_TIME_MS + Math.floor(rand() * 6 * 3_600_000),
        runMs: 200 + Math.floor(rand() * 10_000),
        attempts: rand() < 0.9 ? 1 : 2,
        outcome: pick(rand, [...Array(17).fill('succeeded'), 'failed', 'cancelled', 'running'] as const),
        ...(rand() < 0.5 && { dimensions: { marketplace: pick(rand, ['DE', 'FR', 'US']) } }),
      }).map((e) => ({ ...e, ...job })),
    );
  }
  return events.slice(0, n);
};

/** The requests measured; `{taskId}` and `{jobId}` are filled from the stored data. */
const ENDPOINTS = [
  '/health',
  '/metrics',
  '/openapi.json',
  `/v1/stats?from=${DAY}&to=${DAY}`,
  '/v1/executions?limit=50',
  '/v1/executions?taskType=send_invoice&status=failed&limit=50',
  '/v1/executions?status=failed&limit=50',
  '/v1/executions/{taskId}',
  `/v1/failures?since=${isoAt(NOW_MS - 3_600_000)}`,
  '/v1/alerts',
  '/v1/feed',
  '/v1/jobs/{jobId}',
];

const requestOf = (url: string): APIGatewayProxyEvent => {
  const [path = '/', query] = url.split('?');
  return {
    httpMethod: 'GET',
    path,
    headers: {},
    queryStringParameters: query === undefined ? null : Object.fromEntries(new URLSearchParams(query)),
    requestContext: { requestId: 'bench' },
  } as unknown as APIGatewayProxyEvent;
};

/** BatchWriteItem requests in flight (25 executions each). */
const WRITE_CONCURRENCY = 8;

/**
 * Store events the way ingest and the aggregator would, in bulk: each task's events merged into its
 * execution (`mergeEvents`), stored as the history store's item (`toExecutionItem`) with
 * BatchWriteItem, then every execution folded into the aggregates by the aggregation use case
 * (`aggregateChanges`) as one intent, which writes each aggregate part once. So 100,000 events take
 * minutes on moto instead of an hour of 100-message batches and stream polls. The stored items are
 * the ones the pipeline writes; only the batching differs.
 */
const storeInBulk = async (
  events: readonly TaskEvent[],
  client: DynamoDBClient,
  history: string,
  state: string,
): Promise<void> => {
  const byTask = new Map<string, TaskEvent[]>();
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  const executions: Execution[] = [];
  for (const taskEvents of byTask.values()) {
    const merged = mergeEvents(undefined, taskEvents);
    if (merged.execution !== undefined) executions.push(merged.execution);
  }
  const doc = documentClient(client);
  const items = executions.map((x) => toExecutionItem(x, 1, 30));
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITE_CONCURRENCY }, async () => {
      while (next < items.length) {
        const chunk = items.slice(next, next + 25);
        next += 25;
        let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const res = await doc.send(new BatchWriteCommand({ RequestItems: { [history]: pending } }));
          pending = (res.UnprocessedItems?.[history] ?? []) as typeof pending;
        }
      }
    }),
  );
  process.stderr.write(`  ${executions.length} executions written, aggregating\n`);
  const changes = executions.map((after, i) => ({
    sequenceNumber: String(1e12 + i),
    before: undefined,
    after,
  }));
  const aggregates = new DynamoAggregateStore(doc, state, 400);
  const outcome = await aggregateChanges(changes, aggregates, ['marketplace'], () => NOW_MS);
  if (outcome.failedAt !== undefined || outcome.skipped.length > 0)
    throw new Error(`aggregation stopped at ${outcome.failedAt} (${outcome.skipped.length} skipped)`);
};

interface EndpointFigure {
  readonly status: number;
  readonly requests: number;
  readonly items: number;
  readonly medianMs: number;
}

const measure = async (n: number, endpoint: string): Promise<Map<string, EndpointFigure>> => {
  const aws = { endpoint, region, credentials };
  const { stackName, template } = synthTemplate({
    stackName: `bench-api-${randomUUID().slice(0, 6)}`,
    props: { aggregateDimensions: ['marketplace'] },
  });
  const stack = await deployLocalStack({ endpoint, region, stackName, template });
  const history = stack.outputs[OUTPUT.historyTableName]!;
  const state = stack.outputs[OUTPUT.stateTableName]!;
  const writer = new DynamoDBClient(aws);
  const t0 = performance.now();
  const events = generate(n);
  await storeInBulk(events, writer, history, state);
  process.stderr.write(`  stored ${n} events in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  await new DynamoRunRecordStore(documentClient(writer), state).record({
    job: 'monitor',
    completedAtMs: NOW_MS - 60_000,
    gauges: TASK_TYPES.map((taskType) => ({ taskType, running: 1, stuck: 0 })),
  });

  const reader = new DynamoDBClient(aws);
  const count = attachReadCounter(reader);
  const apiFunction = stack.functions.find((f) => f.constructId === 'ApiFunction');
  const where = apiFunction === undefined ? undefined : pipelineLocationFromEnv(apiFunction.environment);
  const handler = createApiHandler({
    doc: documentClient(reader),
    dynamodb: reader,
    streams: new DynamoDBStreamsClient(aws),
    historyTable: history,
    stateTable: state,
    ...(where !== undefined && {
      pipeline: new AwsPipelineProbe(new SQSClient(aws), new CloudWatchClient(aws), where),
    }),
    now: () => NOW_MS,
    ...(process.env.BENCH_DEBUG && {
      logger: { error: (message: string, extra?: unknown) => console.error(message, extra) },
    }),
  });
  const sample = events.find((e) => e.status === 'failed') ?? events[0]!;
  const job = events.find((e) => e.jobId !== undefined)?.jobId ?? 'job-0';
  const out = new Map<string, EndpointFigure>();
  for (const template of ENDPOINTS) {
    const url = template.replace('{taskId}', sample.taskId).replace('{jobId}', job);
    await handler(requestOf(url)); // warm-up: module-level caches, connections
    const times: number[] = [];
    let status = 0;
    const before = { ...count };
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      status = (await handler(requestOf(url))).statusCode;
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out.set(template, {
      status,
      requests: (count.requests - before.requests) / CALLS,
      items: (count.items - before.items) / CALLS,
      medianMs: times[Math.floor(times.length / 2)]!,
    });
  }
  return out;
};

const main = async () => {
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMoto();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.endpoint;
  try {
    console.log(
      `Taskpulse read-API bench: ${VOLUMES.join(' and ')} stored events (6 h of one day, ${TASK_TYPES.length} task types), ${CALLS} calls per endpoint, moto_server at ${endpoint}\n`,
    );
    const results: { n: number; figures: Map<string, EndpointFigure> }[] = [];
    const printTable = () => {
      const head = ['endpoint'.padEnd(62), 'status'];
      for (const { n } of results)
        head.push(`items@${n}`.padStart(13), 'reqs'.padStart(5), `ms@${n}`.padStart(10));
      console.log(head.join(' '));
      for (const template of ENDPOINTS) {
        const row = [template.padEnd(62), String(results[0]!.figures.get(template)!.status).padStart(6)];
        for (const { figures } of results) {
          const f = figures.get(template)!;
          row.push(
            String(Math.round(f.items)).padStart(13),
            String(Math.round(f.requests)).padStart(5),
            f.medianMs.toFixed(1).padStart(10),
          );
        }
        console.log(row.join(' '));
      }
    };
    for (const n of VOLUMES) {
      results.push({ n, figures: await measure(n, endpoint) });
      // Each volume's figures as soon as they are measured (the largest takes long on moto).
      if (results.length < VOLUMES.length) {
        printTable();
        console.log('');
      }
    }
    printTable();
    console.log(
      '\nitems: DynamoDB items returned per call (GetItem, BatchGetItem, Query), reqs: DynamoDB requests per call, ms: median latency against moto (in-process handler).',
    );
    console.log('A 404 is a route not served by this build, or nothing stored under that id.');
  } finally {
    await moto?.stop();
  }
};

await main();
