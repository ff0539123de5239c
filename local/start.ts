import * as path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { Command, InvalidArgumentError } from 'commander';
import { CliError } from '../cli/errors';
import { explainError, formatError } from '../cli/explain';
import { formatFields } from '../cli/format/table';
import { removeLocalStackFile, writeLocalStackFile } from '../cli/local-stack-file';
import { DEBUG_ENV } from '../cli/run-cli';
import { EmfCapture } from '../dashboard/emf/capture-stdout';
import { startLocalDashboard } from '../dashboard/local-dashboard';
import type { TaskpulseProps } from '../infra/taskpulse';
import type { RollupOutcome } from '../lambdas/rollup/run-rollup';
import { ENV } from '../lambdas/shared/names/env';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/shared/names/metrics';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { formatAlert, monitorPrintingEmails } from './alert-email';
import { clientConfig } from './aws-config';
import { DEMO_TASK_TYPES, DemoProducer, describeBursts } from './demo-producer';
import { type AnyHandler, FUNCTION_HANDLERS } from './function-registry';
import { MetricsReporter } from './metrics-reporter';
import type { LocalRuntime } from './runtime';
import { startLocalRuntime } from './runtime';
import { nextFireMs } from './schedules';
import type { LocalEventSource, LocalSchedule, LocalStack } from './stack-types';
import { formatSummary, type LocalSummary, SummaryReader } from './summary';

/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed. Starts moto_server (or uses
 * `--endpoint` / AWS_ENDPOINT_URL), has the emulator's CloudFormation create the stack from the
 * synthesized template, runs the handlers in-process (ingest and aggregation behind their pollers,
 * monitor and rollup on accelerated schedules, the rollup once at start too), sends demo traffic unless
 * `--no-demo`, and prints: a summary line every few seconds, the metrics the ingest Lambda would send to
 * CloudWatch, and the email of every alert the monitor publishes. It records the running stack in
 * `.taskpulse/local-stack.json` for the CLI, and stops cleanly on Ctrl-C.
 */

const SUMMARY_EVERY_MS = 5_000;
/** How often the metrics lines are printed. */
const METRICS_EVERY_MS = 10_000;
/** Schedules run this much faster by default: the monitor's rate(5 minutes) fires every 10 s. */
const DEFAULT_ACCELERATE = 30;
/**
 * Local-only monitor settings. The deployed default failure-rate window is 1 h: the demo's bursts would
 * alarm once at start and then take an hour to recover (and never alarm again). With 5 minutes (one
 * aggregate bucket) they alarm within a minute or two and recover within minutes. Thresholds stay the
 * defaults (above 20%, at least 10 finished).
 */
const LOCAL_MONITOR_PROPS: TaskpulseProps['monitor'] = { failureRate: { window: Duration.minutes(5) } };
const LOCAL_MONITOR_NOTE =
  'failure rate alarms above 20% of ≥ 10 runs finished in the last 5 min (local setting; deployed default 1 h)';
/** A second Ctrl-C this long after the first exits at once (npm and tsx relay one Ctrl-C twice). */
const FORCE_AFTER_MS = 1_000;

const positiveNumber = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('must be a positive number');
  return value;
};

const program = new Command('npm start --')
  .description(
    'Run Taskpulse locally on moto_server: ingest, aggregation, monitor alerts, rollups and a demo producer.',
  )
  .option('--no-demo', 'do not send demo traffic')
  .option('--endpoint <url>', 'use a running emulator (default: AWS_ENDPOINT_URL, else start moto_server)')
  .option(
    '--accelerate <factor>',
    'run schedules this many times faster (30: the monitor every 10 s, the daily rollup every 48 min)',
    positiveNumber,
    DEFAULT_ACCELERATE,
  )
  .option('--no-metrics', 'do not print the metrics lines')
  .option('--rate <tasksPerSecond>', 'demo tasks started per second', positiveNumber, 5)
  .option('--stage <name>', 'stage of the synthesized stack', 'dev')
  .option('--verbose', 'show setup notes and the handlers’ own logs')
  .parse();

const opts = program.opts<{
  demo: boolean;
  metrics: boolean;
  endpoint?: string;
  accelerate: number;
  rate: number;
  stage: string;
  verbose?: boolean;
}>();

const time = () => new Date().toISOString().slice(11, 19);
const print = (line: string) => process.stdout.write(`${line}\n`);

const describeSource = (s: LocalEventSource): string =>
  s.kind === 'sqs'
    ? `SQS (batch ${s.batchSize}, window ${s.maximumBatchingWindowSeconds} s, max concurrency ${s.maximumConcurrency ?? '∞'})`
    : `table stream (batch ${s.batchSize}, ${s.filters.length > 0 ? 'filtered' : 'all records'}, retried until it succeeds)`;

const exampleCommand = (stack: LocalStack, queueUrl: string): string => {
  const before =
    '{"version":1,"eventId":"evt-$(date +%s%N)","taskId":"my-task-1","taskType":"send_invoice","status":"succeeded","attempt":1,"source":"my-laptop","durationMs":1200,"occurredAt":"';
  // The single quotes are closed around $(date ...) so the shell fills in the current time.
  return [
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.endpoint} --region ${stack.region} \\`,
    `    sqs send-message --queue-url ${queueUrl} \\`,
    `    --message-body '${before.replace('$(date +%s%N)', `'"$(date +%s%N)"'`)}'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}'`,
  ].join('\n');
};

/** How often a schedule fires at the chosen speed, e.g. `every 10 s` or `next in 26 min`. */
const describeTimer = ({ expression }: LocalSchedule, accelerate: number): string => {
  const ms = (nextFireMs(expression, Date.now()) - Date.now()) / accelerate;
  const human = ms < 120_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;
  return `${expression.startsWith('rate(') ? 'every' : 'next in'} ${human}${accelerate === 1 ? '' : ` at ${accelerate}×`}`;
};

const printBanner = (
  runtime: LocalRuntime,
  startedEmulator: boolean,
  demo: boolean,
  stateFile: string,
  dashboardUrl: string,
) => {
  const { stack } = runtime;
  const out = stack.outputs;
  const functionRows = stack.functions.map((fn): [string, string] => {
    if (runtime.unregistered.includes(fn.constructId)) {
      return [fn.constructId, 'not run locally (no handler registered)'];
    }
    const ranAtStart = runtime.stats().schedules.some((s) => s.constructId === fn.constructId && s.fired > 0);
    const triggers = [
      ...fn.eventSources.map(describeSource),
      ...fn.schedules.map(
        (s) =>
          `${s.expression} (${describeTimer(s, opts.accelerate)}${ranAtStart ? '; also run at start' : ''})`,
      ),
    ];
    return [fn.constructId, `← ${triggers.join(', ') || 'no trigger'}`];
  });
  print(`Taskpulse local mode · stack ${stack.stackName} (created by the emulator's CloudFormation)`);
  const fields = formatFields([
    [
      'endpoint',
      `${stack.endpoint}${startedEmulator ? '  (moto_server started here; stops with Ctrl-C)' : ''}`,
    ],
    ['region', stack.region],
    ['events queue', out[OUTPUT.eventsQueueUrl]],
    ['dead letters', out[OUTPUT.deadLetterQueueUrl]],
    ['history table', out[OUTPUT.historyTableName]],
    ['state table', out[OUTPUT.stateTableName]],
    ['alert topic', out[OUTPUT.alertTopicArn]],
    ...functionRows,
    ['monitor rules', LOCAL_MONITOR_NOTE],
    ['alerts', 'published to the alert topic and printed here as the email a subscriber gets'],
    [
      'metrics',
      opts.metrics
        ? `what ingest sends to CloudWatch, per task type every ${METRICS_EVERY_MS / 1000} s (--no-metrics to hide)`
        : 'not shown',
    ],
    [
      'demo producer',
      demo
        ? `~${opts.rate} tasks/s of ${Object.keys(DEMO_TASK_TYPES).join(', ')} (--no-demo to turn off)`
        : 'off',
    ],
    ['failure bursts', demo ? describeBursts() : undefined],
    ['state file', `${stateFile} (read by the CLI with --local)`],
    ['dashboard', `${dashboardUrl}  (the deployed dashboard, drawn from local metrics)`],
  ]);
  print(fields.replace(/^/gm, '  '));
  const queueUrl = out[OUTPUT.eventsQueueUrl];
  if (queueUrl !== undefined) {
    print('\nSend your own event (any producer that speaks SQS works the same way):');
    print(exampleCommand(stack, queueUrl));
  }
  print(`\nRoll up a day on this stack (in another terminal): ${ROLLUP_TODAY}`);
  print('\nCtrl-C to stop.\n');
};

const ROLLUP_TODAY = 'npx taskpulse backfill --local --from today --to today';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line on a rollup run: the days and what was written. */
const describeRollup = (outcome: RollupOutcome, trigger: string): string => {
  const days = outcome.days.map((d) => d.day);
  const range = days.length === 0 ? 'no days' : days.length === 1 ? days[0] : `${days[0]}..${days.at(-1)}`;
  const scopes = outcome.days.reduce((n, d) => n + d.scopes, 0);
  const written = outcome.days.reduce((n, d) => n + d.written, 0);
  const result =
    scopes === 0
      ? 'no task activity on those days'
      : `${plural(scopes, 'scope')}, ${plural(written, 'rollup')} written`;
  return `rollup (${trigger}) of ${range}: ${result}; today's: ${ROLLUP_TODAY}`;
};

const main = async () => {
  const startedAt = Date.now();
  let ready = false;
  // Lines that come in before the banner (a rollup run at start, an early alert) are shown after it.
  const early: string[] = [];
  const say = (line: string) => {
    if (ready) print(`${time()} ${line}`);
    else early.push(`${time()} ${line}`);
  };
  // The only signal handling: taken from the start, so a Ctrl-C during setup stops cleanly once setup
  // is done (a detached moto_server would otherwise outlive a process killed by the default handler).
  let shutdown: (() => Promise<void>) | undefined;
  let signalledAt: number | undefined;
  const onSignal = () => {
    if (signalledAt === undefined) {
      signalledAt = Date.now();
      if (shutdown !== undefined) void shutdown();
      else print('stopping once setup is done… (Ctrl-C again to exit at once)');
    } else if (Date.now() - signalledAt >= FORCE_AFTER_MS) {
      print('forced exit');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedEmulator = opts.endpoint === undefined && process.env.AWS_ENDPOINT_URL === undefined;
  if (startedEmulator) print('starting moto_server and synthesizing the stack…');
  let alertsPublished = 0;
  // Capture the functions' EMF output from the start, as CloudWatch Logs would (the dashboard graphs it).
  const emf = new EmfCapture({ echo: opts.verbose ?? false });
  const runtime = await startLocalRuntime({
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    accelerate: opts.accelerate,
    props: { stage: opts.stage, monitor: LOCAL_MONITOR_PROPS },
    handlers: {
      ...FUNCTION_HANDLERS,
      MonitorFunction: monitorPrintingEmails((email) => {
        alertsPublished++;
        say(`✉ alert email: ${email.subject}\n${formatAlert(email)}`);
      }),
      // The rollup as in Lambda, its outcome printed (the first run is the one at start).
      RollupFunction: {
        runAtStart: true,
        create: async () => {
          const { handler } = await import('../lambdas/rollup/handler');
          let runs = 0;
          return (async (event: never) => {
            const outcome = await handler(event);
            say(describeRollup(outcome, runs++ === 0 ? 'at start' : 'scheduled'));
            return outcome;
          }) as AnyHandler;
        },
      },
    },
    // Handlers log JSON and print EMF metrics (captured above); without --verbose only their errors show.
    environmentOverrides: opts.verbose ? {} : { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    log: (line) => {
      if (ready || opts.verbose) print(`${time()} ${line}`);
    },
  });

  const { stack } = runtime;
  const dashboard = await startLocalDashboard({ stack, template: runtime.template, capture: emf, log: say });
  const stateFile = await writeLocalStackFile({ ...stack, dashboardUrl: dashboard.url });
  const metrics = opts.metrics ? new MetricsReporter() : undefined;
  const relativeStateFile = path.relative(process.cwd(), stateFile) || stateFile;
  printBanner(runtime, startedEmulator, opts.demo, relativeStateFile, dashboard.url);
  ready = true;
  for (const line of early.splice(0)) print(line);

  const sqs = new SQSClient(clientConfig({ endpoint: stack.endpoint, region: stack.region }));
  const queueUrl = stack.outputs[OUTPUT.eventsQueueUrl];
  const producer =
    opts.demo && queueUrl !== undefined
      ? new DemoProducer({ client: sqs, queueUrl, tasksPerSecond: opts.rate, log: print })
      : undefined;
  if (signalledAt === undefined) producer?.start();

  const reader = new SummaryReader(runtime);
  let last: LocalSummary | undefined;
  const report = async () => {
    try {
      const summary = await reader.read();
      const burst = producer?.burst();
      const monitorRuns =
        runtime.stats().schedules.find((t) => t.constructId === 'MonitorFunction')?.fired ?? 0;
      const monitor =
        monitorRuns > 0
          ? ` · monitor ${plural(monitorRuns, 'run')}, ${plural(alertsPublished, 'alert')}`
          : '';
      print(
        `${time()} ${formatSummary(summary, last)}${monitor}${burst ? ` · demo: ${burst} failure burst` : ''}`,
      );
      last = summary;
    } catch (error) {
      print(`${time()} summary unavailable: ${(error as Error).message}`);
    }
  };
  const ticker = setInterval(() => void report(), SUMMARY_EVERY_MS);
  const ingestEnv = stack.functions.find((f) => f.constructId === 'IngestFunction')?.environment ?? {};
  const namespace = ingestEnv[ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE;
  const metricsTicker =
    metrics === undefined
      ? undefined
      : setInterval(() => {
          const lines = metrics.take();
          if (lines.length === 0) return;
          print(
            `${time()} metrics of the last ${METRICS_EVERY_MS / 1000} s (ingest → CloudWatch ${namespace}, Stage=${ingestEnv[ENV.stage] ?? opts.stage}):`,
          );
          for (const line of lines) print(`           ${line}`);
        }, METRICS_EVERY_MS);

  shutdown = async () => {
    const what = producer === undefined ? 'pollers, timers' : 'demo producer, pollers, timers';
    print(`\n${time()} stopping: ${what} (batches in flight finish)… (Ctrl-C again to force)`);
    clearInterval(ticker);
    clearInterval(metricsTicker);
    metrics?.close();
    await producer?.stop();
    await runtime.quiesce();
    let final = '';
    try {
      final = formatSummary(await reader.read());
    } catch {
      final = 'final counts unavailable';
    }
    reader.close();
    sqs.destroy();
    await dashboard.close();
    await removeLocalStackFile(stateFile).catch(() => {});
    await runtime.stop();
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    print(
      `${time()} stopped after ${seconds} s${startedEmulator ? ' (moto_server stopped, its data is gone)' : ''}: ${final}`,
    );
    process.exit(0);
  };
  if (signalledAt !== undefined) await shutdown();
};

/**
 * A known user error (no emulator, no credentials, an emulator that cannot be reached or cannot create
 * the stack) prints its message and fix only; anything else is a bug and shows its stack. With
 * `TASKPULSE_DEBUG=1` every error shows its stack, as in the CLI.
 */
main().catch((error: unknown) => {
  const endpointGiven = opts.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const explained = explainError(error, { ...(endpointGiven !== undefined && { endpoint: endpointGiven }) });
  const known = error instanceof CliError || explained.hint !== undefined;
  process.stderr.write(formatError(explained).replace(/^taskpulse:/, 'npm start:'));
  if (!known || process.env[DEBUG_ENV]) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
