import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { Duration } from 'aws-cdk-lib';
import type { SQSEvent } from 'aws-lambda';
import { BASE_TIME_MS, makeLifecycle, pick, seededRandom } from '../demo/lifecycle';
import { createAggregateHandler } from '../lambdas/aggregate/handler-factory';
import { createIngestHandler } from '../lambdas/ingest/handler-factory';
import { documentClient } from '../lambdas/shared/aws/clients';
import type { TaskEvent } from '../lambdas/shared/contract/event';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { DynamoAggregateStore } from '../lambdas/shared/store/aggregate-store';
import { DynamoHistoryStore } from '../lambdas/shared/store/history-store';
import { deployLocalStack } from '../local/deploy';
import { startMoto } from '../local/moto';
import { DynamoStreamPoller } from '../local/stream-poller';
import { synthTemplate } from '../local/template';
import { attachCostMeter, type CostTotals } from './cost-meter';
import { benchSdk } from './sdk';
import { ingestBatchesOf, SQS_POLLERS } from './sqs-batches';

/**
 * `npm run bench`: figures for the design's cost and speed targets, measured against moto_server.
 *
 * - Ingest: a generated stream of task lifecycles (retries, failures, dimensions, metrics, producer
 *   duplicates) through the real ingest handler in the batches the deployed SQS event source mapping
 *   would cut (its batch size and window, `--pollers` concurrent batches; `bench/sqs-batches.ts`),
 *   then the real aggregator through
 *   the stream poller. Reports events per second of the handler (moto is the bottleneck: this is a
 *   floor, not what DynamoDB does) and, in a second pass with a cost meter, DynamoDB requests and
 *   write units per event (computed with DynamoDB's billing rules from item sizes, since moto's
 *   ConsumedCapacity is a constant).
 * - SDK: per-call overhead of track() and messages per SQS request.
 *
 * Usage: npm run bench [-- --events 10000] [--pollers 5] [--batch-size N --window-seconds S] [--cost-only]
 */

const argValue = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = argValue('--events', 10_000);
/** Batches the event source mapping gathers at once (`bench/sqs-batches.ts`). */
const POLLERS = argValue('--pollers', SQS_POLLERS);
/**
 * Deploy with these ingest event source settings instead of the construct's defaults (to measure a
 * lever before changing the defaults): `--batch-size N`, `--window-seconds S`.
 */
const INGEST_OVERRIDES = {
  ...(process.argv.includes('--batch-size') && { batchSize: argValue('--batch-size', 0) }),
  ...(process.argv.includes('--window-seconds') && {
    maxBatchingWindow: Duration.seconds(argValue('--window-seconds', 0)),
  }),
};
/** Skip the speed pass and the SDK figures (the cost pass alone, for comparing designs quickly). */
const COST_ONLY = process.argv.includes('--cost-only');
const NOW_MS = BASE_TIME_MS + 3_600_000;
const region = 'us-east-1';
const credentials = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const silent = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });

/**
 * A production-like stream: tasks start at the design rate (1,200 events/s), wait and run for
 * realistic times (lognormal, seconds), with retries, failures, cancels and stuck runs, and arrive in
 * occurredAt order. With the default mapping (batches of 100 over five pollers) a batch spans under
 * half a second, so a task's events seldom share a batch: the figures do not profit from grouping.
 */
const generate = (): TaskEvent[] => {
  const rand = seededRandom(2026);
  const lognormalMs = (medianMs: number) => {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Math.round(medianMs * Math.exp(0.8 * z));
  };
  const spanMs = (EVENTS / 1_200) * 1_000;
  const events: TaskEvent[] = [];
  for (let i = 0; events.length < EVENTS; i++) {
    const r = rand();
    events.push(
      ...makeLifecycle({
        taskType: pick(rand, ['send_invoice', 'resize_image', 'sync_orders', 'generate_report']),
        startMs: BASE_TIME_MS + Math.floor(rand() * spanMs),
        enqueued: rand() < 0.8,
        waitMs: lognormalMs(800),
        runMs: lognormalMs(2_000),
        backoffMs: lognormalMs(500),
        attempts: r < 0.9 ? 1 : r < 0.98 ? 2 : 3,
        outcome: pick(rand, [
          ...Array(17).fill('succeeded'),
          'failed',
          'failed',
          'cancelled',
          'running',
        ] as const),
        withDuration: rand() < 0.7,
        error: pick(rand, [
          { type: 'TimeoutError', message: 'upstream did not answer within 30 s' },
          { type: 'ValidationError', message: 'amount must be positive' },
        ]),
        ...(rand() < 0.7 && { dimensions: { marketplace: pick(rand, ['DE', 'FR', 'US', 'JP']) } }),
        ...(rand() < 0.5 && { metrics: { tokens: Math.floor(rand() * 5_000), confidence: rand() } }),
        ...(rand() < 0.3 && { params: { orderId: i, priority: 'normal' } }),
      }),
    );
  }
  // 1% of events sent twice by the producer (same eventId, another message), as retried sends do.
  const dupes = events.filter((_, i) => i % 100 === 0);
  return [...events, ...dupes].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
};

const sqsEvent = (events: readonly TaskEvent[]): SQSEvent => ({
  Records: events.map((e) => ({
    messageId: randomUUID(),
    receiptHandle: 'bench',
    body: JSON.stringify(e),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(NOW_MS),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(NOW_MS),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRegion: region,
  })),
});

interface PassResult {
  /** Ingest invocations and the mapping's settings they were cut with. */
  batches: { count: number; meanSize: number; batchSize: number; windowSeconds: number };
  ingestMs: number;
  aggregateMs: number;
  cost?: CostTotals & { historyTable: string; stateTable: string };
  failed: number;
}

const runPass = async (
  endpoint: string,
  events: readonly TaskEvent[],
  metered: boolean,
): Promise<PassResult> => {
  const aws = { endpoint, region, credentials };
  const { stackName, template } = synthTemplate({
    stackName: `bench-${randomUUID().slice(0, 6)}`,
    props: { aggregateDimensions: ['marketplace'], ingest: INGEST_OVERRIDES },
  });
  const stack = await deployLocalStack({ endpoint, region, stackName, template });
  const client = new DynamoDBClient(aws);
  const history = stack.outputs[OUTPUT.historyTableName]!;
  const state = stack.outputs[OUTPUT.stateTableName]!;
  const cost = metered
    ? attachCostMeter(client, new DynamoDBClient(aws), {
        [history]: [
          ['gsi1pk', 'gsi1sk'],
          ['gsi2pk', 'gsi2sk'],
        ],
      })
    : undefined;
  const ingest = createIngestHandler({
    store: new DynamoHistoryStore(documentClient(client), history, 30),
    ttlDays: 30,
    logger: silent,
    now: () => NOW_MS,
  });
  const source = stack.functions.flatMap((f) => f.eventSources).find((s) => s.kind === 'dynamodb')!;
  // Stream records arrive at the design rate (1,200 per second), not at moto's pace, so the aggregator's
  // tumbling windows hold what they would in production (decision 0013).
  const arrival = new Map<string, number>();
  const poller = new DynamoStreamPoller({
    client: new DynamoDBStreamsClient(aws),
    source,
    arrivalSecondsOf: (r) => {
      const seq = r.dynamodb?.SequenceNumber ?? '';
      if (!arrival.has(seq)) arrival.set(seq, Math.floor(BASE_TIME_MS / 1000 + arrival.size / 1_200));
      return arrival.get(seq);
    },
    handler: createAggregateHandler({
      store: new DynamoAggregateStore(documentClient(client), state, 400),
      dimensionKeys: ['marketplace'],
      logger: process.env.BENCH_DEBUG ? new Logger({ serviceName: 'bench-aggregate' }) : silent,
    }),
    ...(process.env.BENCH_DEBUG && { log: (line: string) => console.error(line) }),
  });
  const sqs = stack.functions.flatMap((f) => f.eventSources).find((s) => s.kind === 'sqs')!;
  const batches = ingestBatchesOf(events, sqs, POLLERS);
  let failed = 0;
  const t0 = performance.now();
  for (const [i, batch] of batches.entries()) {
    const tb = performance.now();
    failed += (await ingest(sqsEvent(batch.messages))).batchItemFailures.length;
    if (process.env.BENCH_DEBUG) console.error(`batch ${i}: ${Math.round(performance.now() - tb)} ms`);
  }
  const t1 = performance.now();
  await poller.start();
  const progress = setInterval(() => {
    const st = poller.stats();
    process.stderr.write(`  … aggregator: ${st.delivered} of ${st.read} stream records applied\n`);
  }, 15_000);
  await poller.drain(30 * 60_000);
  clearInterval(progress);
  await poller.stop();
  const t2 = performance.now();
  return {
    batches: {
      count: batches.length,
      meanSize: events.length / batches.length,
      batchSize: sqs.batchSize,
      windowSeconds: sqs.maximumBatchingWindowSeconds,
    },
    ingestMs: t1 - t0,
    aggregateMs: t2 - t1,
    failed,
    ...(cost !== undefined && { cost: { ...cost, historyTable: history, stateTable: state } }),
  };
};

const fixed = (n: number, digits = 2) => n.toFixed(digits);

const main = async () => {
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMoto();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.endpoint;
  try {
    const events = generate();
    const tasks = new Set(events.map((e) => e.taskId)).size;
    console.log(`Taskpulse bench: ${events.length} events from ${tasks} tasks, moto_server at ${endpoint}\n`);

    if (!COST_ONLY) {
      const speed = await runPass(endpoint, events, false);
      console.log('ingest handler (in-process, DynamoDB over the wire to moto)');
      console.log(`  events per second           ${fixed(events.length / (speed.ingestMs / 1000), 0)}`);
      console.log(`  aggregator changes drained  ${fixed(speed.aggregateMs / 1000, 1)} s`);
      console.log(`  records returned as failed  ${speed.failed}`);
    }

    const { cost, batches } = await runPass(endpoint, events, true);
    console.log(
      `\ningest batches (SQS event source model: batch size ${batches.batchSize}, window ${batches.windowSeconds} s, ${POLLERS} pollers)`,
    );
    console.log(`  invocations                 ${batches.count}`);
    console.log(`  events per invocation       ${fixed(batches.meanSize, 1)}`);
    const c = cost!;
    const per = (n: number) => fixed(n / events.length, 3);
    const historyUnits = c.writeUnitsByTable[cost!.historyTable] ?? 0;
    const stateUnits = c.writeUnitsByTable[cost!.stateTable] ?? 0;
    console.log('\nDynamoDB cost per event (billing rules applied to item sizes)');
    console.log(`  requests per event          ${per(Object.values(c.requests).reduce((a, b) => a + b, 0))}`);
    console.log(
      `    by operation              ${Object.entries(c.requests)
        .map(([k, v]) => `${k} ${per(v)}`)
        .join(', ')}`,
    );
    const byIndex = (pk: string) => per(c.indexWriteUnitsByIndex[pk] ?? 0);
    console.log(
      `  ingest write units          ${per(historyUnits)}  (history table ${per(historyUnits - c.indexWriteUnits)} + byType ${byIndex('gsi1pk')} + byStatus ${byIndex('gsi2pk')})`,
    );
    console.log(`  aggregator write units      ${per(stateUnits)}`);
    console.log(`  writes refused by condition ${per(c.failedConditionWrites)}  (billed, included above)`);
    console.log(`  total write units per event ${per(historyUnits + stateUnits)}`);
    console.log(`  read units per event        ${per(c.readUnits)}`);

    if (!COST_ONLY) {
      console.log('\nproducer SDK');
      for (const [k, v] of Object.entries(await benchSdk(endpoint)))
        console.log(`  ${k.replace(/^sdk\./, '').padEnd(40)}${v}`);
    }
  } finally {
    await moto?.stop();
  }
};

await main();
