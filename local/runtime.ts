import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TaskpulseProps } from '../infra/taskpulse';
import { clientConfig, DUMMY_CREDENTIALS, hasAmbientCredentials } from './aws-config';
import { deployLocalStack } from './deploy';
import { LocalModeError, NotIdleError } from './errors';
import { type AnyHandler, FUNCTION_HANDLERS, type HandlerModule } from './function-registry';
import { type RunningMoto, startMoto } from './moto';
import { type ScheduledHandler, ScheduleTimer, type ScheduleTimerStats } from './schedules';
import { SqsEventSourcePoller, type SqsHandler, type SqsPollerStats } from './sqs-poller';
import type { LocalFunction, LocalStack } from './stack-types';
import { DynamoStreamPoller, type StreamHandler, type StreamPollerStats } from './stream-poller';
import { type CfnTemplate, synthTemplate } from './template';

/**
 * Local mode: the whole stack on this machine. Synthesizes the CDK stack, has the emulator's
 * CloudFormation create it (moto_server, started here unless an endpoint is given), loads each
 * function's handler in-process with the function's environment as the emulator's Lambda API reports
 * it, and drives it like Lambda would, which moto cannot: SQS and DynamoDB stream pollers for the event
 * source mappings, timers for the schedules.
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
  /** Functions of the stack that have no handler registered (not run). */
  readonly unregistered: readonly string[];
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
const loadHandler = async (fn: LocalFunction, entry: HandlerModule): Promise<AnyHandler> => {
  if (entry.create !== undefined) return entry.create();
  const url = `${pathToFileURL(path.join(repoRoot, entry.module ?? '')).href}?local=${++loadGeneration}`;
  const handler = ((await import(url)) as Record<string, unknown>).handler;
  if (typeof handler !== 'function') {
    throw new LocalModeError(`${fn.constructId}: ${entry.module} exports no handler`, {
      hint: 'fix the module path in local/function-registry.ts',
    });
  }
  return handler as AnyHandler;
};

/** Set variables and remember the previous values, to restore them on stop. */
const setEnv = (saved: Map<string, string | undefined>, vars: Record<string, string>) => {
  for (const [k, v] of Object.entries(vars)) {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    process.env[k] = v;
  }
};

/** Start local mode. */
export const startLocalRuntime = async (options: LocalRuntimeOptions = {}): Promise<LocalRuntime> => {
  const log = options.log ?? (() => {});
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const given = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
  // The emulator boots in its own process while the stack is synthesized here.
  const motoStarting = given === undefined ? startMoto({ detached: true }) : undefined;
  let synthesized: ReturnType<typeof synthTemplate>;
  try {
    synthesized = synthTemplate({
      ...(options.stackName !== undefined && { stackName: options.stackName }),
      ...(options.props !== undefined && { props: options.props }),
    });
  } catch (error) {
    await motoStarting?.then((m) => m.stop()).catch(() => {});
    throw error;
  }
  const moto: RunningMoto | undefined = await motoStarting;
  const endpoint = given ?? moto!.endpoint;
  const savedEnv = new Map<string, string | undefined>();
  const sqsPollers: { constructId: string; queueUrl: string; poller: SqsEventSourcePoller }[] = [];
  const streamPollers: { constructId: string; streamArn: string; poller: DynamoStreamPoller }[] = [];
  const timers: { constructId: string; expression: string; timer: ScheduleTimer }[] = [];
  const runAtStart: ScheduleTimer[] = [];
  const sqs = new SQSClient(clientConfig({ endpoint, region }));
  const streams = new DynamoDBStreamsClient(clientConfig({ endpoint, region }));

  let quiescing: Promise<void> | undefined;
  const quiesce = (): Promise<void> => {
    quiescing ??= (async () => {
      await Promise.all(timers.map((t) => t.timer.stop()));
      await Promise.all(sqsPollers.map((p) => p.poller.stop()));
      await Promise.all(streamPollers.map((p) => p.poller.stop()));
    })();
    return quiescing;
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await quiesce();
      sqs.destroy();
      streams.destroy();
      for (const [k, v] of savedEnv) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await moto?.stop();
    })();
    return stopping;
  };

  try {
    const { stackName, template } = synthesized;
    const stack = await deployLocalStack({ endpoint, region, stackName, template });
    setEnv(savedEnv, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      ...(!hasAmbientCredentials() && {
        AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      }),
    });

    const registry = options.handlers ?? FUNCTION_HANDLERS;
    const unregistered: string[] = [];
    for (const fn of stack.functions) {
      const entry = registry[fn.constructId];
      if (entry === undefined) {
        unregistered.push(fn.constructId);
        log(`${fn.constructId}: no local handler registered (add it to local/function-registry.ts); not run`);
        continue;
      }
      setEnv(savedEnv, { ...fn.environment, ...options.environmentOverrides });
      const handler = await loadHandler(fn, entry);
      const { constructId } = fn;
      const common = { region, fn, log: (line: string) => log(`${constructId}: ${line}`) };
      for (const source of fn.eventSources) {
        if (source.kind === 'sqs') {
          const poller = new SqsEventSourcePoller({
            ...common,
            client: sqs,
            source,
            handler: handler as SqsHandler,
          });
          sqsPollers.push({ constructId, queueUrl: source.queueUrl, poller });
        } else {
          const poller = new DynamoStreamPoller({
            ...common,
            client: streams,
            source,
            handler: handler as StreamHandler,
          });
          streamPollers.push({ constructId, streamArn: source.streamArn, poller });
        }
      }
      for (const schedule of fn.schedules) {
        const timer = new ScheduleTimer({
          ...common,
          schedule,
          handler: handler as ScheduledHandler,
          accountId: stack.accountId,
          accelerate: options.accelerate ?? 1,
        });
        timers.push({ constructId, expression: schedule.expression, timer });
        if (entry.runAtStart) runAtStart.push(timer);
      }
    }

    await Promise.all(streamPollers.map((p) => p.poller.start()));
    for (const p of sqsPollers) p.poller.start();
    for (const t of timers) t.timer.start();
    // Not awaited: a first rollup must not hold up the start; `quiesce` waits for it.
    for (const timer of runAtStart) void timer.fire();

    const stats = (): LocalRuntimeStats => ({
      sqs: sqsPollers.map(({ poller, ...p }) => ({ ...poller.stats(), ...p })),
      streams: streamPollers.map(({ poller, ...p }) => ({ ...poller.stats(), ...p })),
      schedules: timers.map(({ timer, ...t }) => ({ ...timer.stats(), ...t })),
    });

    const waitIdle = async (timeoutMs = 60_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      // Work flows queue → table → stream → ...; repeat until a full round moved nothing.
      for (;;) {
        const before = JSON.stringify(stats());
        const left = () => Math.max(1, deadline - Date.now());
        for (const p of sqsPollers) await p.poller.waitIdle(left());
        for (const p of streamPollers) await p.poller.waitIdle(left());
        if (JSON.stringify(stats()) === before) return;
        if (Date.now() > deadline) throw new NotIdleError(`local runtime not idle after ${timeoutMs} ms`);
      }
    };

    return { stack, template, unregistered, quiesce, stop, stats, waitIdle };
  } catch (error) {
    await stop();
    throw error;
  }
};
