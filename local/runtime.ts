import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { observeHandler } from '../dashboard/aws/local-invocations';
import { type CfnTemplate, synthTemplate } from '../infra/synth';
import type { TaskpulseProps } from '../infra/taskpulse';
import { clientConfig, DUMMY_CREDENTIALS, hasAmbientCredentials } from './aws-config';
import { deployLocalStack } from './deploy';
import { LocalModeError, waitUntil } from './errors';
import { type AnyHandler, FUNCTION_HANDLERS, type HandlerModule } from './function-registry';
import { startMoto } from './moto';
import { type ScheduledHandler, ScheduleTimer, type ScheduleTimerStats } from './schedules';
import { SqsEventSourcePoller, type SqsHandler, type SqsPollerStats } from './sqs-poller';
import type { LocalStack } from './stack-types';
import { DynamoStreamPoller, type StreamHandler, type StreamPollerStats } from './stream-poller';

/**
 * Local mode: the whole stack on this machine. The emulator's CloudFormation creates the synthesized
 * stack (moto_server, started here unless an endpoint is given); each triggered function's handler runs
 * in-process with its environment as the emulator's Lambda API reports it, driven as Lambda would and
 * moto cannot: SQS and DynamoDB stream pollers for the event source mappings, timers for the schedules.
 */

/** How to run local mode. Every option has a default. */
export interface LocalRuntimeOptions {
  /** Emulator endpoint. @default AWS_ENDPOINT_URL, else a moto_server started (and stopped) here */
  readonly endpoint?: string;
  /** @default AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /** @default `Taskpulse-<stage>` */
  readonly stackName?: string;
  /** Props of the Taskpulse construct. @default {} */
  readonly props?: TaskpulseProps;
  /** Schedules run this many times faster than the wall clock. @default 1 */
  readonly accelerate?: number;
  /** Receives one line per notable event (setup notes, handler errors). @default ignore */
  readonly log?: (line: string) => void;
  /** Variables set over every function's environment (e.g. `POWERTOOLS_LOG_LEVEL`). @default {} */
  readonly environmentOverrides?: Record<string, string>;
  /** Handler modules by construct id. @default FUNCTION_HANDLERS */
  readonly handlers?: Readonly<Record<string, HandlerModule>>;
  /**
   * Longest batching window of every event source mapping, seconds: tests that wait for `waitIdle`
   * need not wait out each mapping's window. @default each mapping's `MaximumBatchingWindowInSeconds`
   */
  readonly maxBatchingWindowSeconds?: number;
}

/** What ran, per function. */
export interface LocalRuntimeStats {
  readonly sqs: readonly (SqsPollerStats & { constructId: string; queueUrl: string })[];
  readonly streams: readonly (StreamPollerStats & { constructId: string; streamArn: string })[];
  readonly schedules: readonly (ScheduleTimerStats & { constructId: string; expression: string })[];
}

/** A running local stack: resources, pollers and timers, and how to stop them. */
export interface LocalRuntime {
  readonly stack: LocalStack;
  /** The synthesized template the stack was created from (the dashboard page draws its dashboard). */
  readonly template: CfnTemplate;
  /**
   * Stop timers and pollers (batches in flight finish) but keep the emulator and its resources, e.g.
   * to read a final report. `stop()` does this first.
   */
  quiesce(): Promise<void>;
  /** Quiesce, restore the environment, stop moto if it was started here. */
  stop(): Promise<void>;
  stats(): LocalRuntimeStats;
  /** Resolve when every queue is drained and every stream is processed, repeatedly until nothing moves. */
  waitIdle(timeoutMs?: number): Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each load gets its own module instance, so two runtimes in one process keep their own config. */
let loadGeneration = 0;

/**
 * The handler of a function, built or imported with its environment in `process.env` (handlers read
 * their configuration once, at import, like a cold start).
 */
const loadHandler = async (constructId: string, entry: HandlerModule): Promise<AnyHandler> => {
  if (entry.create !== undefined) return entry.create();
  const url = `${pathToFileURL(path.join(repoRoot, entry.module ?? '')).href}?local=${++loadGeneration}`;
  const { handler } = (await import(url)) as { handler?: unknown };
  if (typeof handler === 'function') return handler as AnyHandler;
  throw new LocalModeError(`${constructId}: ${entry.module} exports no handler`, {
    hint: 'fix the module path in local/function-registry.ts',
  });
};

/** A poller or timer of one function, with what identifies its source in the stats. */
type Driven<D, Id> = Id & { constructId: string; driver: D };

/** Each row's driver's counters next to its ids. */
const statsOf = <S, Id>(rows: readonly Driven<{ stats(): S }, Id>[]) =>
  rows.map(({ driver, ...ids }) => ({ ...driver.stats(), ...ids }) as S & Id & { constructId: string });

/** Start local mode. */
export const startLocalRuntime = async (options: LocalRuntimeOptions = {}): Promise<LocalRuntime> => {
  const { log = () => {}, accelerate = 1 } = options;
  const maxWindow = options.maxBatchingWindowSeconds ?? Number.POSITIVE_INFINITY;
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const given = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const moto = given === undefined ? await startMoto({ detached: true }) : undefined;
  const endpoint = given ?? moto!.endpoint;
  const sqs = new SQSClient(clientConfig({ endpoint, region }));
  const streams = new DynamoDBStreamsClient(clientConfig({ endpoint, region }));
  const sqsPollers: Driven<SqsEventSourcePoller, { queueUrl: string }>[] = [];
  const streamPollers: Driven<DynamoStreamPoller, { streamArn: string }>[] = [];
  const timers: Driven<ScheduleTimer, { expression: string }>[] = [];
  const savedEnv = new Map<string, string | undefined>();
  /** Set variables and remember the previous values, to restore them on stop. */
  const setEnv = (vars: Record<string, string>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!savedEnv.has(k)) savedEnv.set(k, process.env[k]);
      process.env[k] = v;
    }
  };

  let quiescing: Promise<void> | undefined;
  const quiesce = (): Promise<void> =>
    (quiescing ??= (async () => {
      // Timers first, then the queue, then the stream: work flows that way.
      for (const rows of [timers, sqsPollers, streamPollers])
        await Promise.all(rows.map((r) => r.driver.stop()));
    })());
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await quiesce();
      sqs.destroy();
      streams.destroy();
      for (const [k, v] of savedEnv) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await moto?.stop();
    })());

  try {
    const synthesized = synthTemplate(options);
    const stack = await deployLocalStack({ endpoint, region, ...synthesized });
    setEnv({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      ...(!hasAmbientCredentials() && {
        AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      }),
    });

    const registry = options.handlers ?? FUNCTION_HANDLERS;
    const runAtStart: ScheduleTimer[] = [];
    for (const fn of stack.functions) {
      const { constructId } = fn;
      if (fn.eventSources.length + fn.schedules.length === 0) continue;
      const entry = registry[constructId];
      if (entry === undefined) {
        log(`${constructId}: no local handler (add it to local/function-registry.ts); not run`);
        continue;
      }
      setEnv({ ...fn.environment, ...options.environmentOverrides });
      // Tapped as Lambda measures it: the local dashboard graphs AWS/Lambda, AWS/SQS and AWS/DynamoDB from it.
      const handler = observeHandler(fn.name, await loadHandler(constructId, entry)) as SqsHandler &
        StreamHandler &
        ScheduledHandler;
      const common = { region, fn, handler, log: (line: string) => log(`${constructId}: ${line}`) };
      for (const mapping of fn.eventSources) {
        const window = Math.min(mapping.maximumBatchingWindowSeconds, maxWindow);
        const source = { ...mapping, maximumBatchingWindowSeconds: window };
        if (source.kind === 'sqs') {
          const driver = new SqsEventSourcePoller({ ...common, client: sqs, source });
          sqsPollers.push({ constructId, queueUrl: source.queueUrl, driver });
        } else {
          const driver = new DynamoStreamPoller({ ...common, client: streams, source });
          streamPollers.push({ constructId, streamArn: source.streamArn, driver });
        }
      }
      for (const schedule of fn.schedules) {
        const driver = new ScheduleTimer({ ...common, schedule, accountId: stack.accountId, accelerate });
        timers.push({ constructId, expression: schedule.expression, driver });
        if (entry.runAtStart) runAtStart.push(driver);
      }
    }

    await Promise.all(streamPollers.map((p) => p.driver.start()));
    for (const { driver } of [...sqsPollers, ...timers]) driver.start();
    // Not awaited: a first rollup must not hold up the start; `quiesce` waits for it.
    for (const timer of runAtStart) void timer.fire();

    const stats = (): LocalRuntimeStats => ({
      sqs: statsOf(sqsPollers),
      streams: statsOf(streamPollers),
      schedules: statsOf(timers),
    });
    const waitIdle = (timeoutMs = 60_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      const left = () => Math.max(1, deadline - Date.now());
      // Work flows queue → table → stream → ...; repeat until a full round moved nothing.
      return waitUntil('local runtime', timeoutMs, async () => {
        const before = JSON.stringify(stats());
        for (const { driver } of [...sqsPollers, ...streamPollers]) await driver.waitIdle(left());
        return JSON.stringify(stats()) === before;
      });
    };
    return { stack, template: synthesized.template, quiesce, stop, stats, waitIdle };
  } catch (error) {
    await stop();
    throw error;
  }
};
