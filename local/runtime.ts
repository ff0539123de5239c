import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TaskpulseProps } from '../infra/taskpulse';
import { clientConfig, DUMMY_CREDENTIALS, hasAmbientCredentials } from './aws-config';
import { NotIdleError } from './errors';
import { FUNCTION_HANDLERS, type HandlerModule } from './function-registry';
import type { FunctionIdentity } from './lambda-context';
import { type RunningMoto, startMoto } from './moto';
import { createLocalResources, type LocalFunction, type LocalStack } from './resources';
import {
  type ScheduledHandler,
  type ScheduledInvocation,
  ScheduleTimer,
  type ScheduleTimerStats,
} from './schedules';
import { SqsEventSourcePoller, type SqsHandler, type SqsPollerStats } from './sqs-poller';
import {
  DynamoStreamPoller,
  type StreamBatchFailure,
  type StreamHandler,
  type StreamPollerStats,
} from './stream-poller';
import { synthTemplate } from './template';

/**
 * Local mode: the whole stack on this machine. Synthesizes the CDK stack, creates its resources in
 * moto_server (started here unless an endpoint is given), loads each function's handler in-process
 * with the function's resolved environment, and drives it like Lambda would: SQS and DynamoDB stream
 * pollers for the event source mappings, timers for the schedules.
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
  /** Visibility timeout of failed SQS messages, seconds (how soon they are retried). @default 1 */
  readonly retryVisibilitySeconds?: number;
  /** Handler modules by construct id. @default FUNCTION_HANDLERS */
  readonly handlers?: Record<string, HandlerModule>;
  /** Stop cleanly on SIGINT/SIGTERM (a second signal exits at once). @default false */
  readonly stopOnSignals?: boolean;
  /**
   * Told about every finished invocation of a scheduled function (timer or `runAtStart`), with what the
   * handler returned or threw, e.g. to print a rollup's outcome. @default ignore
   */
  readonly onScheduledInvocation?: (
    invocation: ScheduledInvocation & { readonly constructId: string; readonly schedule: string },
  ) => void;
}

/** What ran, per function. */
export interface LocalRuntimeStats {
  readonly sqs: readonly (SqsPollerStats & { constructId: string; mapping: string; queueUrl: string })[];
  readonly streams: readonly (StreamPollerStats & {
    constructId: string;
    mapping: string;
    streamArn: string;
  })[];
  readonly schedules: readonly (ScheduleTimerStats & {
    constructId: string;
    schedule: string;
    expression: string;
  })[];
}

/** A running local stack: resources, pollers and timers, and how to stop them. */
export interface LocalRuntime {
  readonly stack: LocalStack;
  /** Functions found in the template that have no handler registered (not run). */
  readonly unregistered: readonly string[];
  /**
   * Stop timers and pollers (batches in flight finish) but keep the emulator and its resources, e.g.
   * to read a final report. `stop()` does this first.
   */
  quiesce(): Promise<void>;
  /** Quiesce, restore the environment, stop moto if it was started here. */
  stop(): Promise<void>;
  /** Resolves once `stop()` has completed, whoever called it (a signal included). */
  readonly stopped: Promise<void>;
  stats(): LocalRuntimeStats;
  /** Resolve when every queue is drained and every stream is processed, repeatedly until nothing moves. */
  waitIdle(timeoutMs?: number): Promise<void>;
}

/** Raised when a registered handler cannot be loaded. */
export class LocalRuntimeError extends Error {
  override readonly name = 'LocalRuntimeError';
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each load gets its own module instance, so two runtimes in one process keep their own config. */
let loadGeneration = 0;

type AnyHandler = (event: never, context: never) => Promise<unknown>;

/**
 * Import a function's handler with its environment in `process.env` (handlers read their
 * configuration once, at import, like a cold start).
 */
const loadHandler = async (fn: LocalFunction, entry: HandlerModule): Promise<AnyHandler> => {
  const url = `${pathToFileURL(path.join(repoRoot, entry.module)).href}?local=${++loadGeneration}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new LocalRuntimeError(
      `${fn.constructId}: cannot load ${entry.module}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const handler = mod[entry.exportName ?? 'handler'];
  if (typeof handler !== 'function') {
    throw new LocalRuntimeError(
      `${fn.constructId}: ${entry.module} exports no ${entry.exportName ?? 'handler'}`,
    );
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

const restoreEnv = (saved: Map<string, string | undefined>) => {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
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
  const sqsPollers: { fn: LocalFunction; mapping: string; poller: SqsEventSourcePoller; queueUrl: string }[] =
    [];
  const streamPollers: {
    fn: LocalFunction;
    mapping: string;
    poller: DynamoStreamPoller;
    streamArn: string;
  }[] = [];
  const timers: {
    fn: LocalFunction;
    schedule: string;
    expression: string;
    timer: ScheduleTimer;
    runAtStart: boolean;
  }[] = [];
  const aws = { endpoint, region };
  const sqs = new SQSClient(clientConfig(aws));
  const streams = new DynamoDBStreamsClient(clientConfig(aws));
  const sns = new SNSClient(clientConfig(aws));

  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<void> | undefined;
  let quiescing: Promise<void> | undefined;
  const quiesce = (): Promise<void> => {
    quiescing ??= (async () => {
      await Promise.all(timers.map((t) => t.timer.stop()));
      await Promise.all(sqsPollers.map((p) => p.poller.stop()));
      await Promise.all(streamPollers.map((p) => p.poller.stop()));
    })();
    return quiescing;
  };
  let signalledAt: number | undefined;
  const onSignal = () => {
    if (signalledAt !== undefined) {
      // One Ctrl-C often arrives twice (relayed by npm and tsx); only a later one forces the exit.
      if (Date.now() - signalledAt > 1_000) process.exit(130);
      return;
    }
    signalledAt = Date.now();
    log('stopping (Ctrl-C again to exit at once)');
    void stop();
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await quiesce();
      sqs.destroy();
      streams.destroy();
      sns.destroy();
      restoreEnv(savedEnv);
      await moto?.stop();
      resolveStopped();
    })();
    return stopping;
  };

  try {
    const { stackName, template } = synthesized;
    const stack = await createLocalResources(template, { endpoint, region, stackName, log });
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
    const sendToDestination = (destinationArn: string, failure: StreamBatchFailure, fn: LocalFunction) =>
      failureDestination(destinationArn, failure, fn, stack, { sqs, sns }, log);

    for (const fn of stack.functions) {
      const entry = registry[fn.constructId];
      if (entry === undefined) {
        unregistered.push(fn.constructId);
        log(`${fn.constructId}: no local handler registered (add it to local/function-registry.ts); not run`);
        continue;
      }
      const env = { ...fn.environment, ...options.environmentOverrides };
      setEnv(savedEnv, env);
      const handler = await loadHandler(fn, entry);
      const identity: FunctionIdentity = { name: fn.name, arn: fn.arn, timeoutSeconds: fn.timeoutSeconds };
      for (const source of fn.eventSources) {
        if (!source.enabled) {
          log(`${source.logicalId}: disabled in the template; not polled`);
          continue;
        }
        if (source.kind === 'sqs') {
          const poller = new SqsEventSourcePoller({
            client: sqs,
            source,
            handler: handler as SqsHandler,
            region,
            fn: identity,
            retryVisibilitySeconds: options.retryVisibilitySeconds ?? 1,
            log: (line) => log(`${fn.constructId}: ${line}`),
          });
          sqsPollers.push({ fn, mapping: source.logicalId, poller, queueUrl: source.queueUrl });
        } else {
          if (source.parallelizationFactor > 1 || source.bisectBatchOnFunctionError) {
            log(
              `${source.logicalId}: ParallelizationFactor/BisectBatchOnFunctionError are not simulated locally`,
            );
          }
          const destination = source.onFailureDestinationArn;
          const poller = new DynamoStreamPoller({
            client: streams,
            source,
            handler: handler as StreamHandler,
            region,
            fn: identity,
            log: (line) => log(`${fn.constructId}: ${line}`),
            ...(destination !== undefined && {
              onFailure: (failure: StreamBatchFailure) => sendToDestination(destination, failure, fn),
            }),
          });
          streamPollers.push({ fn, mapping: source.logicalId, poller, streamArn: source.streamArn });
        }
      }
      for (const schedule of fn.schedules) {
        if (!schedule.enabled) continue;
        if (schedule.expression.startsWith('at(')) {
          log(`${schedule.logicalId}: one-time schedule ${schedule.expression} is not run locally`);
          continue;
        }
        const timer = new ScheduleTimer({
          schedule,
          handler: handler as ScheduledHandler,
          fn: identity,
          region,
          accountId: stack.accountId,
          accelerate: options.accelerate ?? 1,
          log: (line) => log(`${fn.constructId}: ${line}`),
          ...(options.onScheduledInvocation !== undefined && {
            onInvoked: (invocation: ScheduledInvocation) =>
              options.onScheduledInvocation?.({
                ...invocation,
                constructId: fn.constructId,
                schedule: schedule.logicalId,
              }),
          }),
        });
        timers.push({
          fn,
          schedule: schedule.logicalId,
          expression: schedule.expression,
          timer,
          runAtStart: entry.runAtStart === true,
        });
      }
    }

    await Promise.all(streamPollers.map((p) => p.poller.start()));
    for (const p of sqsPollers) p.poller.start();
    for (const t of timers) t.timer.start();
    // Not awaited: a first rollup must not hold up the start; `quiesce` waits for it.
    for (const t of timers) if (t.runAtStart) void t.timer.fire('manual');
    if (options.stopOnSignals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }

    const stats = (): LocalRuntimeStats => ({
      sqs: sqsPollers.map((p) => ({
        ...p.poller.stats(),
        constructId: p.fn.constructId,
        mapping: p.mapping,
        queueUrl: p.queueUrl,
      })),
      streams: streamPollers.map((p) => ({
        ...p.poller.stats(),
        constructId: p.fn.constructId,
        mapping: p.mapping,
        streamArn: p.streamArn,
      })),
      schedules: timers.map((t) => ({
        ...t.timer.stats(),
        constructId: t.fn.constructId,
        schedule: t.schedule,
        expression: t.expression,
      })),
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

    return { stack, unregistered, quiesce, stop, stopped, stats, waitIdle };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** Send a stream batch that was given up on to the mapping's on-failure destination (SQS or SNS). */
const failureDestination = async (
  destinationArn: string,
  failure: StreamBatchFailure,
  fn: LocalFunction,
  stack: LocalStack,
  clients: { sqs: SQSClient; sns: SNSClient },
  log: (line: string) => void,
): Promise<void> => {
  // The record Lambda sends to an on-failure destination of a stream mapping.
  const message = JSON.stringify({
    requestContext: {
      requestId: randomUUID(),
      functionArn: fn.arn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: failure.attempts,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: failure.shardId,
      startSequenceNumber: failure.startSequenceNumber,
      endSequenceNumber: failure.endSequenceNumber,
      approximateArrivalOfFirstRecord: failure.approximateArrivalOfFirstRecord,
      approximateArrivalOfLastRecord: failure.approximateArrivalOfLastRecord,
      batchSize: failure.batchSize,
      streamArn: failure.streamArn,
    },
  });
  const queue = Object.values(stack.queues).find((q) => q.arn === destinationArn);
  if (queue !== undefined) {
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: message }));
    return;
  }
  if (Object.values(stack.topics).some((t) => t.arn === destinationArn)) {
    await clients.sns.send(new PublishCommand({ TopicArn: destinationArn, Message: message }));
    return;
  }
  log(`${fn.constructId}: on-failure destination ${destinationArn} is not local; batch info: ${message}`);
};
