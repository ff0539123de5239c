import { BASE_TIME_MS, seededRandom, shuffle } from '../../demo/lifecycle';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { dayOf } from '../../lambdas/shared/names/keys';
import { makeRandomLifecycle } from '../../test/support/events';
import { type FaultCount, FaultInjector, type FaultPlacement } from '../../test/support/faults';
import { checkOracle, diffSnapshots, type Snapshot, snapshotOf } from './compare';
import { deliverAll, type QueuedMessage } from './delivery';
import { createTortureStack, type TortureStack } from './stack';

/**
 * The torture scenarios of issue 12 (R1, R2; R3, R4 and R6 live beside this file), each against its
 * own stack on one moto_server, each returning one row of the report. Sizes and seeds are parameters,
 * so `npm run torture` runs them at full size and `npm test` runs a small version of the same code.
 */

/** What every scenario takes. */
export interface ScenarioOptions {
  readonly endpoint: string;
  /** Size of the scenario (events for R1–R3, failures for R6). */
  readonly events: number;
  readonly seed: number;
  /** Progress lines. @default ignore */
  readonly log?: (line: string) => void;
}

/** One row of the torture report. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** Messages delivered to the pipeline (each copy of a redelivered message counts once). */
  readonly events: number;
  readonly lost: number;
  readonly doubleCounted: number;
  readonly differences: number;
  readonly quarantined: number;
  /** Messages that reached the dead-letter queue. */
  readonly dlq: number;
  /** Handler invocations that threw. */
  readonly crashes: number;
  readonly pass: boolean;
  /** What failed, or figures worth knowing (faults injected, receives). */
  readonly notes: readonly string[];
  readonly faults?: readonly FaultCount[];
  readonly seconds: number;
}

/** The ingest clock of the scenarios: after every generated event, within the accepted age. */
export const TORTURE_NOW_MS = BASE_TIME_MS + 12 * 3_600_000;
const DIMENSIONS = ['marketplace'] as const;

/** Seeded task lifecycles (retries, failures, producer oddities), at least `count` events. */
export const generateEvents = (seed: number, count: number): TaskEvent[] => {
  const rand = seededRandom(seed);
  const events: TaskEvent[] = [];
  for (let i = 0; events.length < count; i++) events.push(...makeRandomLifecycle(rand, `task-${seed}-${i}`));
  return events;
};

/** One message per event, with ids and send times from the seed. */
export const messagesOf = (events: readonly TaskEvent[], prefix: string): QueuedMessage[] =>
  events.map((e, i) => ({
    messageId: `${prefix}-${i}`,
    body: JSON.stringify(e),
    sentAtMs: BASE_TIME_MS + i,
  }));

/** The UTC days the events span, first to last. */
const daysOf = (events: readonly TaskEvent[]): [string, string] => {
  const days = events.map((e) => dayOf(e.occurredAt)).sort();
  return [days[0]!, days[days.length - 1]!];
};

/** How long a scenario waits for the aggregator before calling it stalled, ms. */
const aggregateTimeoutMs = (events: number) => Math.max(120_000, events * 200);

/** Drain the aggregator; a stall is reported (returned as text) rather than thrown. */
const drainWithin = async (stack: TortureStack, timeoutMs: number): Promise<string | undefined> => {
  try {
    await stack.aggregate(timeoutMs);
    return undefined;
  } catch (error) {
    return `${(error as Error).message}; stream ${JSON.stringify(stack.streamStats())}`;
  }
};

const elapsed = (since: number) => Math.round((performance.now() - since) / 100) / 10;

/** Ingest the messages, let the aggregator finish, roll up the days; returns the delivery figures. */
const runPipeline = async (
  stack: TortureStack,
  messages: readonly QueuedMessage[],
  events: readonly TaskEvent[],
  rand: () => number,
  mode: 'in-order' | 'shuffled',
) => {
  const delivery = await deliverAll(stack.ingest, messages, {
    rand,
    batchSize: stack.batchSize,
    maxReceiveCount: stack.maxReceiveCount,
    ...(mode === 'in-order' ? { inOrder: true, concurrency: 1 } : { concurrency: 4 }),
  });
  await stack.aggregate();
  const [from, to] = daysOf(events);
  await stack.rollup(from, to, TORTURE_NOW_MS);
  return delivery;
};

/** The in-order reference of R1 (also used by the test to compare other runs with). */
const referenceRun = async (
  endpoint: string,
  events: readonly TaskEvent[],
  messages: readonly QueuedMessage[],
): Promise<Snapshot> => {
  const stack = await createTortureStack({ endpoint, nowMs: TORTURE_NOW_MS, dimensions: DIMENSIONS });
  try {
    const chronological = [...messages].sort(
      (a, b) => Date.parse(JSON.parse(a.body).occurredAt) - Date.parse(JSON.parse(b.body).occurredAt),
    );
    await runPipeline(stack, chronological, events, seededRandom(0), 'in-order');
    return await snapshotOf(stack);
  } finally {
    await stack.close();
  }
};

/**
 * R1: every message delivered three times in shuffled order, in batches of random size, failed records
 * coming back among other neighbours, several invocations at once, the aggregator running alongside:
 * executions, aggregates and rollups must equal one in-order pass and the oracle.
 */
export const runR1 = async (options: ScenarioOptions): Promise<ScenarioResult> => {
  const t0 = performance.now();
  const { endpoint, seed } = options;
  const events = generateEvents(seed, options.events);
  const messages = messagesOf(events, `r1-${seed}`);
  options.log?.(`R1: in-order reference pass over ${events.length} events`);
  const reference = await referenceRun(endpoint, events, messages);
  options.log?.(`R1: ${3 * messages.length} deliveries in shuffled, re-split batches`);
  const stack = await createTortureStack({ endpoint, nowMs: TORTURE_NOW_MS, dimensions: DIMENSIONS });
  try {
    const rand = seededRandom(seed + 1);
    const delivery = await runPipeline(
      stack,
      shuffle(rand, [...messages, ...messages, ...messages]),
      events,
      rand,
      'shuffled',
    );
    const replay = await snapshotOf(stack);
    const diff = diffSnapshots(reference, replay);
    const days = daysOf(events);
    const oracleReplay = checkOracle(events, replay, DIMENSIONS, days);
    const oracleReference = checkOracle(events, reference, DIMENSIONS, days);
    const differences = diff.total + oracleReplay.differences + oracleReference.differences;
    const notes = [
      ...(diff.total > 0
        ? [
            `replay vs in-order: ${diff.executions} executions, ${diff.buckets} buckets, ${diff.rollups} rollups differ (${diff.examples.join('; ')})`,
          ]
        : []),
      ...oracleReference.examples.map((e) => `in-order vs oracle: ${e}`),
      ...oracleReplay.examples.map((e) => `replay vs oracle: ${e}`),
    ];
    const result = {
      id: 'R1',
      title: 'every message 3x, shuffled, re-split',
      events: 3 * messages.length,
      // Either pass may lose or double count; the in-order one is no more trusted than the replay.
      lost: oracleReplay.lost + oracleReference.lost,
      doubleCounted: oracleReplay.doubleCounted + oracleReference.doubleCounted,
      differences,
      quarantined: replay.quarantine.size,
      dlq: delivery.deadLettered.length,
      crashes: delivery.crashes,
      notes,
      seconds: elapsed(t0),
    };
    return {
      ...result,
      pass:
        result.lost === 0 &&
        result.doubleCounted === 0 &&
        differences === 0 &&
        result.dlq === 0 &&
        result.crashes === 0 &&
        result.quarantined === 0,
    };
  } finally {
    await stack.close();
  }
};

/** Which protocol step a DynamoDB call is, for the fault counts (`ingest:PutItem`, …). */
const stepIn = (role: string) => (call: { operation: string }) => `${role}:${call.operation}`;

/**
 * R2: 10% of the DynamoDB calls of the ingest and the aggregator fail (throttling, timeouts, connection
 * resets, and answers lost after the write was applied), at every step of both protocols. Messages
 * that exhaust their receives are redriven from the DLQ (as an operator would, faults still on): the
 * result must have nothing lost and nothing counted twice.
 */
export const runR2 = async (
  options: ScenarioOptions & { readonly rate?: number; readonly placement?: FaultPlacement },
): Promise<ScenarioResult> => {
  const t0 = performance.now();
  const { endpoint, seed } = options;
  const rate = options.rate ?? 0.1;
  const placement = options.placement ?? 'wire';
  const events = generateEvents(seed + 2, options.events);
  const messages = messagesOf(events, `r2-${seed}`);
  const ingestFaults = new FaultInjector({ seed, rate, stepOf: stepIn('ingest') });
  const aggregateFaults = new FaultInjector({ seed: seed + 1, rate, stepOf: stepIn('aggregate') });
  const stack = await createTortureStack({
    endpoint,
    nowMs: TORTURE_NOW_MS,
    dimensions: DIMENSIONS,
    ingestFaults,
    aggregateFaults,
    placement,
  });
  try {
    const rand = seededRandom(seed + 3);
    options.log?.(`R2: ${messages.length} messages with ${rate * 100}% of DynamoDB calls failing`);
    const progress = setInterval(
      () =>
        options.log?.(
          `R2: ${stack.streamStats().succeeded} stream records aggregated, ${stack.streamStats().failedBatches} batches retried, ${ingestFaults.injected() + aggregateFaults.injected()} faults injected`,
        ),
      10_000,
    );
    let pending: readonly QueuedMessage[] = shuffle(rand, messages);
    let dlq = 0;
    let crashes = 0;
    let redrives = 0;
    for (; pending.length > 0 && redrives <= 10; redrives++) {
      const delivery = await deliverAll(stack.ingest, pending, {
        rand,
        batchSize: stack.batchSize,
        maxReceiveCount: stack.maxReceiveCount,
        concurrency: 4,
      });
      dlq += delivery.deadLettered.length;
      crashes += delivery.crashes;
      pending = delivery.deadLettered;
    }
    options.log?.('R2: delivered; draining the aggregator');
    const stalled = await drainWithin(stack, aggregateTimeoutMs(options.events));
    clearInterval(progress);
    ingestFaults.enabled = false;
    aggregateFaults.enabled = false;
    const [from, to] = daysOf(events);
    await stack.rollup(from, to, TORTURE_NOW_MS);
    const snapshot = await snapshotOf(stack);
    const oracle = checkOracle(events, snapshot, DIMENSIONS, [from, to]);
    const faults = [...ingestFaults.report(), ...aggregateFaults.report()];
    const injected = ingestFaults.injected() + aggregateFaults.injected();
    const calls = ingestFaults.callsSeen + aggregateFaults.callsSeen;
    const notes = [
      `${injected} faults in ${calls} DynamoDB calls (${((100 * injected) / Math.max(1, calls)).toFixed(1)}%)`,
      ...(dlq > 0
        ? [`${dlq} messages exhausted their receives and were redriven (${redrives - 1} redrives)`]
        : []),
      ...(pending.length > 0 ? [`${pending.length} messages still failing after 10 redrives`] : []),
      ...(stalled
        ? [`the aggregator made no progress for ${aggregateTimeoutMs(options.events) / 1000} s: ${stalled}`]
        : []),
      ...oracle.examples.map((e) => `vs oracle: ${e}`),
    ];
    const lost = oracle.lost + pending.length;
    return {
      id: 'R2',
      title: `${Math.round(rate * 100)}% of DynamoDB calls fail (${placement === 'wire' ? 'SDK retries on' : 'no SDK retries'})`,
      events: messages.length,
      lost,
      doubleCounted: oracle.doubleCounted,
      differences: oracle.differences,
      quarantined: snapshot.quarantine.size,
      dlq,
      crashes,
      pass: lost === 0 && oracle.doubleCounted === 0 && oracle.differences === 0 && crashes === 0,
      notes,
      faults,
      seconds: elapsed(t0),
    };
  } finally {
    await stack.close();
  }
};
