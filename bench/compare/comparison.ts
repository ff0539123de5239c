import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { seededRandom } from '../../demo/lifecycle';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { dayOf } from '../../lambdas/shared/names/keys';
import { cutBatches } from '../sqs-batches';
import { distinctEvents, generateStream, lastSentMs, type SentEvent } from '../stream';
import type { Baseline, BaselineOptions, Instrument, Role } from './design';
import { DesignMeter } from './metering';
import { checkBaseline } from './oracle';
import { createPerRecordBaseline } from './per-record';
import { describePrices, gbSeconds, PRICES, pricePerMillion } from './prices';
import { measureReadScaling } from './read-scaling';
import type { ComparisonReport, DesignFigures, Freshness } from './report';
import { createSeedBaseline } from './seed';
import type { PipelineSettings } from './settings';
import type { DailyStats } from './stats';
import { createTaskpulse } from './taskpulse';
import { batchCloseTimes, hottestKey, quantile, tumblingWindowEnd } from './timeline';

/**
 * One comparison run: the same stream, cut into the same SQS batches (the ingest mapping's batch size
 * and window applied to the send times), through Taskpulse and both baselines, each twice: a timing
 * pass without meters over the first `timingEvents` messages (handler times), and a metered pass over
 * everything (units, requests, items read, hot keys, oracle check). See docs/scale.md for how the
 * figures are used.
 */

export interface ComparisonOptions {
  /** Emulators: the timing passes use the first; the metered passes one each (repeated if fewer). */
  readonly endpoints: readonly string[];
  readonly events: number;
  readonly seed: number;
  /** Messages of the timing pass. */
  readonly timingEvents: number;
  /** Stored-event volumes of the monitor and rollup read check; undefined skips it. */
  readonly readScaling?: readonly [number, number];
  readonly command: string;
  readonly log: (line: string) => void;
}

/** The bench's stream rate, events per second (the design's 100 M events a day). */
const EVENTS_PER_SECOND = 1_200;
const TASK_TYPES = ['send_invoice', 'resize_image', 'sync_orders', 'generate_report'] as const;
/** SQS messages per SendMessageBatch, ReceiveMessage and DeleteMessageBatch request. */
const SQS_MESSAGES_PER_REQUEST = 10;

/**
 * Latency of one DynamoDB request from a Lambda function in the same region, ms: the price scales the
 * handler times measured on moto by this over moto's measured latency (the handlers wait on DynamoDB
 * almost all the time). DynamoDB documents single-digit milliseconds; 5 ms is an assumption.
 */
export const DYNAMODB_LATENCY_MS = 5;

const aws = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
});

/** The SQS event of one batch of the stream. */
const sqsEventOf = (stream: readonly SentEvent[], members: readonly number[]): SQSEvent => ({
  Records: members.map((i) => ({
    messageId: `m-${i}`,
    receiptHandle: 'bench',
    body: JSON.stringify(stream[i]!.event),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(stream[i]!.sentAtMs),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(stream[i]!.sentAtMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRegion: 'us-east-1',
  })),
});

/** The stream cut into the ingest mapping's batches. */
interface Batches {
  readonly members: number[][];
  readonly closeMs: number[];
  readonly batchOf: number[];
}

/**
 * Cut as the deployed SQS event source mapping would (`bench/sqs-batches.ts`: its batch size and
 * window, five concurrent pollers with each message going to one of them at random, seeded), so a
 * task's events share a batch only as often as they would on AWS. Batches are in invocation order.
 */
const batchesOf = (stream: readonly SentEvent[], settings: PipelineSettings, seed: number): Batches => {
  const cut = cutBatches(
    stream.map((s, i) => ({ message: i, arrivalMs: s.sentAtMs, bodyBytes: JSON.stringify(s.event).length })),
    {
      batchSize: settings.ingest.batchSize,
      windowMs: settings.ingest.batchingWindowSeconds * 1000,
      random: seededRandom(seed),
    },
  );
  const closeMs: number[] = new Array(stream.length);
  const batchOf: number[] = new Array(stream.length);
  cut.forEach((batch, b) => {
    for (const i of batch.messages) {
      closeMs[i] = batch.invokedAtMs;
      batchOf[i] = b;
    }
  });
  return { members: cut.map((b) => b.messages), closeMs, batchOf };
};

/**
 * Deliver batches one invocation at a time; failed records come back in later batches (as SQS
 * redelivers them), at most 5 rounds. `before` runs before each invocation with the batch index.
 * Returns the handler time of each first-round invocation, ms.
 */
const deliver = async (
  ingest: (event: SQSEvent) => Promise<SQSBatchResponse>,
  stream: readonly SentEvent[],
  batches: readonly (readonly number[])[],
  before: (batch: number) => void = () => {},
): Promise<{ ms: number[]; redelivered: number }> => {
  const ms: number[] = [];
  let failed: number[] = [];
  for (const [b, members] of batches.entries()) {
    before(b);
    const t0 = performance.now();
    const response = await ingest(sqsEventOf(stream, members));
    ms.push(performance.now() - t0);
    failed.push(...response.batchItemFailures.map((f) => Number(f.itemIdentifier.slice(2))));
  }
  let redelivered = 0;
  for (let round = 0; round < 5 && failed.length > 0; round++) {
    redelivered += failed.length;
    const again = failed;
    failed = [];
    for (let i = 0; i < again.length; i += batches[0]?.length ?? 10) {
      const response = await ingest(sqsEventOf(stream, again.slice(i, i + (batches[0]?.length ?? 10))));
      failed.push(...response.batchItemFailures.map((f) => Number(f.itemIdentifier.slice(2))));
    }
  }
  if (failed.length > 0) throw new Error(`${failed.length} records still failed after 5 redeliveries`);
  return { ms, redelivered };
};

/** Indexes of the first message of each distinct event (duplicates are not new to freshness). */
const firstSends = (stream: readonly SentEvent[]): number[] => {
  const seen = new Set<string>();
  const out: number[] = [];
  stream.forEach((s, i) => {
    if (seen.has(s.event.eventId)) return;
    seen.add(s.event.eventId);
    out.push(i);
  });
  return out;
};

/** SQS requests of the stream: producer sends, mapping receives and deletes (10 messages per request). */
const sqsRequestsOf = (stream: readonly SentEvent[], batches: Batches): number =>
  Math.ceil(stream.length / SQS_MESSAGES_PER_REQUEST) +
  2 * batches.members.reduce((s, m) => s + Math.ceil(m.length / SQS_MESSAGES_PER_REQUEST), 0);

/**
 * Median handler time per message over a pass's invocations, ms: robust to the first invocation's
 * warm-up and to the machine's load spikes, and applied to every modelled batch by its size.
 */
const perMessage = (ms: readonly number[], batches: readonly (readonly number[])[]): number =>
  quantile(
    ms.map((t, b) => t / Math.max(1, batches[b]!.length)),
    0.5,
  );

/** What every design's figures are built from. */
interface Measured {
  readonly name: string;
  readonly differences: number;
  readonly examples: readonly string[];
  readonly meter: DesignMeter;
  /** Median ingest handler time per message of the timing pass, ms. */
  readonly ingestMsPerMessage: number;
  readonly freshnessSeconds: readonly number[];
  readonly freshnessDefinition: string;
  readonly lambdaInvocations: number;
  /** Lambda GB-seconds with the handler times as measured on moto. */
  readonly lambdaGbSeconds: number;
  /** Mean latency of one DynamoDB request to moto in the timing pass, ms. */
  readonly motoLatencyMs: number;
}

const figuresOf = (
  m: Measured,
  stream: readonly SentEvent[],
  batches: Batches,
  events: number,
): DesignFigures => {
  const ingestRoles: Role[] = ['ingest', 'aggregate'];
  const writeUnits = m.meter.sum(ingestRoles, 'writeUnits');
  const readUnits = m.meter.sum(ingestRoles, 'readUnits');
  const rollupRead = m.meter.sum(['rollup'], 'readUnits');
  const rollupWrite = m.meter.sum(['rollup'], 'writeUnits');
  const hot = hottestKey(m.meter.writes);
  const latencyScale = Math.min(1, DYNAMODB_LATENCY_MS / Math.max(m.motoLatencyMs, 1e-9));
  const usage = {
    events,
    writeUnits,
    readUnits,
    sqsRequests: sqsRequestsOf(stream, batches),
    lambdaInvocations: m.lambdaInvocations,
    lambdaGbSeconds: m.lambdaGbSeconds,
  };
  const freshness: Freshness = {
    p50Seconds: quantile(m.freshnessSeconds, 0.5),
    p95Seconds: quantile(m.freshnessSeconds, 0.95),
    definition: m.freshnessDefinition,
  };
  return {
    name: m.name,
    differences: m.differences,
    writeUnitsPerEvent: writeUnits / events,
    readUnitsPerEvent: readUnits / events,
    requestsPerEvent: m.meter.sum(ingestRoles, 'requests') / events,
    writeUnitsByRole: {
      ingest: m.meter.sum(['ingest'], 'writeUnits') / events,
      aggregate: m.meter.sum(['aggregate'], 'writeUnits') / events,
    },
    handlerMsPer100: m.ingestMsPerMessage * 100,
    lambdaMsPer100: m.ingestMsPerMessage * 100 * latencyScale,
    freshness,
    rollup: {
      readUnits: rollupRead,
      writeUnits: rollupWrite,
      itemsRead: m.meter.itemsRead.rollup,
      usd: rollupRead * PRICES.dynamoReadUnit + rollupWrite * PRICES.dynamoWriteUnit,
    },
    monitorItemsRead: m.meter.itemsRead.monitor,
    price: pricePerMillion({
      ...usage,
      lambdaGbSeconds: m.lambdaGbSeconds * latencyScale,
    }),
    priceAsMeasured: pricePerMillion(usage),
    hotKey: {
      partitionKey: hot.partitionKey.replace(/^[^/]*\//, ''),
      unitsPerSecond: hot.unitsPerSecond,
      unitsPerSecondAt10k: (hot.unitsPerSecond * 10_000) / EVENTS_PER_SECOND,
    },
  };
};

/** What a timing pass gives a design's metered pass. */
interface Timing {
  /** Median over the timing pass's invocations of handler time per message, ms. */
  readonly ingestMsPerMessage: number;
  /** Median over the aggregator's invocations of handler time per stream record, ms. */
  readonly aggregateMsPerRecord: number;
  readonly motoLatencyMs: number;
}

/** A client middleware summing request latencies (the timing pass's calibration of moto). */
const latencyProbe = () => {
  const probe = { ms: 0, requests: 0 };
  const instrument: Instrument = (client) => {
    client.middlewareStack.add(
      (next) => async (args) => {
        const t0 = performance.now();
        try {
          return await next(args);
        } finally {
          probe.ms += performance.now() - t0;
          probe.requests++;
        }
      },
      { step: 'initialize', name: 'benchLatency' },
    );
  };
  return { probe, instrument, meanMs: () => probe.ms / Math.max(1, probe.requests) };
};

type BaselineFactory = (o: BaselineOptions) => Promise<Baseline>;
const BASELINES: readonly (readonly [string, string, BaselineFactory])[] = [
  ['per-record (Powertools)', 'perrecord', createPerRecordBaseline],
  ['seed pattern', 'seed', createSeedBaseline],
];

export const runComparison = async (options: ComparisonOptions): Promise<ComparisonReport> => {
  const started = performance.now();
  const log = (line: string) =>
    options.log(`${((performance.now() - started) / 1000).toFixed(0)} s: ${line}`);
  const [endpoint, ...others] = options.endpoints;
  const endpointOf = (n: number) => (n === 0 ? endpoint! : (others[n - 1] ?? endpoint!));
  const stream = generateStream({
    events: options.events,
    seed: options.seed,
    eventsPerSecond: EVENTS_PER_SECOND,
  });
  const events = distinctEvents(stream);
  const days = [...new Set(events.map((e) => dayOf(e.occurredAt)))].sort();
  const nowMs = lastSentMs(stream) + 60_000;
  const firsts = firstSends(stream);
  const timingCount = Math.min(options.timingEvents, stream.length);
  const prefix = `cmp-${Date.now().toString(36)}`;

  // Timing passes, one design at a time on one emulator (handler times without meters). Taskpulse's
  // template also gives the pipeline settings every design's stream is cut by.
  log(`Taskpulse: timing pass over ${timingCount} messages`);
  const tpLatency = latencyProbe();
  const tpAggregateMs: number[] = [];
  const timed = await createTaskpulse({
    endpoint: endpoint!,
    nowMs,
    eventsPerSecond: EVENTS_PER_SECOND,
    instrument: tpLatency.instrument,
    onAggregateBatch: (ids, ms) => tpAggregateMs.push(ms / Math.max(1, ids.length)),
  });
  const settings = timed.settings;
  const batches = batchesOf(stream, settings, options.seed);
  // The timing pass delivers the first messages, cut by the same model (five pollers scatter a
  // prefix of the stream over batches that also hold later messages, so the prefix is cut alone).
  const timingBatches = batchesOf(stream.slice(0, timingCount), settings, options.seed).members;
  let tpTiming: Timing;
  try {
    const { ms } = await deliver(timed.ingest, stream, timingBatches);
    await timed.drain();
    tpTiming = {
      ingestMsPerMessage: perMessage(ms, timingBatches),
      aggregateMsPerRecord: quantile(tpAggregateMs, 0.5),
      motoLatencyMs: tpLatency.meanMs(),
    };
  } finally {
    await timed.close();
  }
  const baselineTimings: Timing[] = [];
  for (const [name, tag, create] of BASELINES) {
    log(`${name}: timing pass over ${timingCount} messages`);
    const latency = latencyProbe();
    const design = await create({
      endpoint: endpoint!,
      taskTypes: TASK_TYPES,
      prefix: `${prefix}-${tag}-t`,
      instrument: latency.instrument,
    });
    const { ms } = await deliver(design.ingest, stream, timingBatches);
    baselineTimings.push({
      ingestMsPerMessage: perMessage(ms, timingBatches),
      aggregateMsPerRecord: 0,
      motoLatencyMs: latency.meanMs(),
    });
  }

  // Metered passes, each design on its own emulator, side by side.
  log(`metered passes over ${stream.length} messages, ${new Set(options.endpoints).size} emulator(s)`);
  const scaling =
    options.readScaling === undefined
      ? Promise.resolve(undefined)
      : measureReadScaling(endpoint!, options.readScaling, options.seed).then((r) => {
          log('read scaling measured');
          return r;
        });
  const measured = await Promise.all([
    meterTaskpulse(
      endpointOf(0),
      { stream, events, days, nowMs, firsts, batches, settings, timing: tpTiming },
      log,
    ),
    ...BASELINES.map(([name, tag, create], k) =>
      meterBaseline(
        endpointOf(k + 1),
        name,
        (instrument) =>
          create({
            endpoint: endpointOf(k + 1),
            taskTypes: TASK_TYPES,
            prefix: `${prefix}-${tag}-m`,
            instrument,
          }),
        { stream, events, days, nowMs, firsts, batches, settings, timing: baselineTimings[k]! },
        log,
      ),
    ),
  ]);

  const designs = measured.map((m) => figuresOf(m, stream, batches, events.length));
  return {
    measuredAt: `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    command: options.command,
    events: events.length,
    messages: stream.length,
    tasks: new Set(events.map((e: TaskEvent) => e.taskId)).size,
    eventsPerSecond: EVENTS_PER_SECOND,
    ingestBatchSize: settings.ingest.batchSize,
    prices: describePrices(),
    designs,
    ...((await scaling) !== undefined && { readScaling: (await scaling)! }),
    notes: [
      ...measured
        .filter((m) => m.differences > 0)
        .map((m) => `${m.name} differs from the oracle: ${m.examples.join('; ')}`),
      ...measured.map((m) => `freshness of ${m.name}: ${m.freshnessDefinition}`),
      'Units, requests and items read are counted per DynamoDB call with the billing rules of bench/cost-meter.ts (moto reports no consumed capacity). Ingest and aggregation count toward per-event figures; rollup and monitor are shown apart.',
      `Handler times are measured in-process against moto_server, in a pass without meters over the first ${timingCount} messages, as the median time per message of its invocations times each modelled batch's size (mean moto latency per DynamoDB request: ${measured.map((m) => `${m.name} ${m.motoLatencyMs.toFixed(1)} ms`).join(', ')}). The all-in price scales Lambda time by ${DYNAMODB_LATENCY_MS} ms / moto latency (the handlers wait on DynamoDB); the row "as measured" keeps moto's times (an upper bound).`,
      'SQS requests are modelled: producer SendMessageBatch, mapping ReceiveMessage and DeleteMessageBatch, 10 messages per request. Lambda invocations: one per modelled batch.',
      'Hottest key: write units of one partition key within one second of the model clock (batch close times), scaled linearly from the bench rate to 10,000 events/s.',
    ],
  };
};

/** What a metered pass works on. */
interface PassInput {
  readonly stream: readonly SentEvent[];
  readonly events: readonly TaskEvent[];
  readonly days: readonly string[];
  readonly nowMs: number;
  readonly firsts: readonly number[];
  readonly batches: Batches;
  readonly settings: PipelineSettings;
  readonly timing: Timing;
}

const meterTaskpulse = async (
  endpoint: string,
  input: PassInput,
  log: (line: string) => void,
): Promise<Measured> => {
  const { stream, events, days, nowMs, firsts, batches, settings, timing } = input;
  const handlerMs = (i: number) => timing.ingestMsPerMessage * batches.members[batches.batchOf[i]!]!.length;
  const storedAt = new Map<string, number>();
  stream.forEach((s, i) => {
    if (!storedAt.has(s.event.eventId)) storedAt.set(s.event.eventId, batches.closeMs[i]! + handlerMs(i));
  });
  let ingestClock = 0;
  let aggregateClock = 0;
  const meter = new DesignMeter(aws(endpoint), (role) =>
    role === 'aggregate' ? aggregateClock : ingestClock,
  );
  const tp = await createTaskpulse({
    endpoint,
    nowMs,
    eventsPerSecond: EVENTS_PER_SECOND,
    instrument: meter.instrument,
    onAggregateStart: (ids) => {
      aggregateClock = Math.max(0, ...ids.map((id) => storedAt.get(id) ?? 0));
    },
  });
  try {
    await meter.describeIndexes(tp.historyTable);
    await deliver(tp.ingest, stream, batches.members, (b) => {
      ingestClock = batches.closeMs[batches.members[b]![0]!]!;
    });
    log('Taskpulse: ingested, draining the aggregator');
    await tp.drain();
    for (const day of days) await tp.rollup(day);
    await tp.monitor(nowMs);
    const check = await tp.check(events, days);
    log('Taskpulse: metered pass done');
    // Freshness: SQS batch gathered (configured window, modelled on the send times) + ingest handler
    // (measured) + stream batch gathered (configured) and tumbling window end (configured) +
    // aggregator handler (measured). One stream record per event (an upper bound on records).
    const stored = firsts.map((i) => ({
      i,
      atMs: batches.closeMs[i]! + handlerMs(i),
    }));
    stored.sort((a, b) => a.atMs - b.atMs);
    const agg = batchCloseTimes(
      stored.map((s) => s.atMs),
      settings.aggregate.batchSize,
      settings.aggregate.batchingWindowSeconds * 1000,
    );
    const tumblingMs = settings.aggregate.tumblingWindowSeconds * 1000;
    const aggregateRecords = new Map<number, number>();
    for (const b of agg.batchOf) aggregateRecords.set(b, (aggregateRecords.get(b) ?? 0) + 1);
    const freshness = stored.map((s, k) => {
      const visible =
        Math.max(agg.closeMs[k]!, tumblingWindowEnd(s.atMs, tumblingMs)) +
        timing.aggregateMsPerRecord * aggregateRecords.get(agg.batchOf[k]!)!;
      return (visible - stream[s.i]!.sentAtMs) / 1000;
    });
    const ingestInvocations = batches.members.length;
    return {
      name: 'Taskpulse',
      differences: check.differences,
      examples: check.examples,
      meter,
      ingestMsPerMessage: timing.ingestMsPerMessage,
      freshnessSeconds: freshness,
      freshnessDefinition:
        `sent → aggregate item written: SQS batch (size ${settings.ingest.batchSize}, window ${settings.ingest.batchingWindowSeconds} s, configured; ` +
        `modelled on the send times) + ingest handler (measured) + stream batch (size ${settings.aggregate.batchSize}, window ${settings.aggregate.batchingWindowSeconds} s` +
        `${tumblingMs > 0 ? `, tumbling window ${settings.aggregate.tumblingWindowSeconds} s` : ''}, configured) + aggregator handler (measured)`,
      lambdaInvocations: ingestInvocations + agg.batches,
      lambdaGbSeconds:
        gbSeconds(
          ingestInvocations,
          (timing.ingestMsPerMessage * stream.length) / ingestInvocations,
          settings.ingest.memoryMb,
        ) +
        gbSeconds(
          agg.batches,
          (timing.aggregateMsPerRecord * stored.length) / agg.batches,
          settings.aggregate.memoryMb,
        ),
      motoLatencyMs: timing.motoLatencyMs,
    };
  } finally {
    await tp.close();
  }
};

const meterBaseline = async (
  endpoint: string,
  name: string,
  create: (instrument: Instrument) => Promise<Baseline>,
  input: PassInput,
  log: (line: string) => void,
): Promise<Measured> => {
  const { stream, events, days, nowMs, firsts, batches, settings, timing } = input;
  let clock = 0;
  const meter = new DesignMeter(aws(endpoint), () => clock);
  const design = await create(meter.instrument);
  await deliver(design.ingest, stream, batches.members, (b) => {
    clock = batches.closeMs[batches.members[b]![0]!]!;
  });
  const rollups = new Map<string, DailyStats>();
  for (const day of days) for (const [k, v] of await design.rollup(day)) rollups.set(k, v);
  await design.monitor(nowMs);
  const back = await design.readBack();
  const check = checkBaseline(events, { ...back, rollups }, days);
  log(`${name}: metered pass done`);
  return {
    name,
    differences: check.differences,
    examples: check.examples,
    meter,
    ingestMsPerMessage: timing.ingestMsPerMessage,
    // Visible when the invocation that counted it returns (an upper bound: the stats write of a
    // record lands before the end of its invocation).
    freshnessSeconds: firsts.map(
      (i) =>
        (batches.closeMs[i]! +
          timing.ingestMsPerMessage * batches.members[batches.batchOf[i]!]!.length -
          stream[i]!.sentAtMs) /
        1000,
    ),
    freshnessDefinition:
      'sent → stats item written: SQS batch (same mapping settings, modelled on the send times) + handler time (measured; the end of the invocation, an upper bound)',
    lambdaInvocations: batches.members.length,
    lambdaGbSeconds: gbSeconds(
      batches.members.length,
      (timing.ingestMsPerMessage * stream.length) / batches.members.length,
      settings.ingest.memoryMb,
    ),
    motoLatencyMs: timing.motoLatencyMs,
  };
};
