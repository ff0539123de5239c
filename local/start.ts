import * as path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { Command, InvalidArgumentError } from 'commander';
import { CliError } from '../cli/errors';
import { explainError } from '../cli/explain';
import { formatFields } from '../cli/format/table';
import { localStackFilePath, removeLocalStackFile, writeLocalStackFile } from '../cli/local-stack-file';
import { DEBUG_ENV } from '../cli/run-cli';
import { tapOf } from '../dashboard/aws/local-invocations';
import { EmfCapture } from '../dashboard/emf/capture-stdout';
import { startLocalDashboard } from '../dashboard/local-dashboard';
import { DEMO_TASK_TYPES, DemoProducer, describeBursts } from '../demo/producer';
import { startLocalApi } from '../lambdas/api/local-server';
import type { RollupOutcome } from '../lambdas/rollup/run-rollup';
import { ENV } from '../lambdas/shared/names/env';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/shared/names/metrics';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { formatAlert, monitorPrintingEmails } from './alert-email';
import { clientConfig } from './aws-config';
import { type AnyHandler, FUNCTION_HANDLERS } from './function-registry';
import { MetricsReporter } from './metrics-reporter';
import { startLocalRuntime } from './runtime';
import { nextFireMs } from './schedules';
import type { LocalEventSource, LocalSchedule, LocalStack } from './stack-types';
import { formatSummary, type LocalSummary, SummaryReader } from './summary';

/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed (see `startLocalRuntime`), with
 * demo traffic unless `--no-demo`, the read API and the dashboard page. It prints a summary line every
 * 5 s, every 10 s the metrics the ingest Lambda would send to CloudWatch, and the email of every alert
 * the monitor publishes; records the running stack in `.taskpulse/local-stack.json` for the CLI; and
 * stops cleanly on Ctrl-C.
 */

const SUMMARY_EVERY_MS = 5_000;
/**
 * Local-only monitor window. With the deployed 1 h the demo's bursts would alarm once and take an hour
 * to recover; with 5 minutes (one aggregate bucket) they alarm and recover within minutes. Thresholds
 * stay the defaults (above 20%, at least 10 finished).
 */
const LOCAL_MONITOR_PROPS = { failureRate: { window: Duration.minutes(5) } };
const LOCAL_MONITOR_NOTE =
  'failure rate alarms above 20% of ≥ 10 runs finished in the last 5 min (local setting; deployed default 1 h)';
const ROLLUP_TODAY = 'npx taskpulse backfill --local --from today --to today';

const positiveNumber = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('must be a positive number');
  return value;
};

const opts = new Command('npm start --')
  .description(
    'Run Taskpulse locally on moto_server: ingest, aggregation, monitor alerts, rollups and a demo producer.',
  )
  .option('--no-demo', 'do not send demo traffic')
  .option('--endpoint <url>', 'use a running emulator (default: AWS_ENDPOINT_URL, else start moto_server)')
  .option(
    '--accelerate <factor>',
    'run schedules this many times faster (30: the monitor every 10 s, the daily rollup every 48 min)',
    positiveNumber,
    30,
  )
  .option('--no-metrics', 'do not print the metrics lines (every 10 s)')
  .option('--rate <tasksPerSecond>', 'demo tasks started per second', positiveNumber, 5)
  .option('--stage <name>', 'stage of the synthesized stack', 'dev')
  .option('--verbose', 'show the handlers’ own logs')
  .parse()
  .opts<{
    demo: boolean;
    metrics: boolean;
    endpoint?: string;
    accelerate: number;
    rate: number;
    stage: string;
    verbose?: boolean;
  }>();

const print = (line: string) => process.stdout.write(`${line}\n`);
/** A line with the time of day in front. */
const say = (line: string) => print(`${new Date().toISOString().slice(11, 19)} ${line}`);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const describeSource = (s: LocalEventSource): string =>
  s.kind === 'sqs'
    ? `SQS (batch ${s.batchSize}, window ${s.maximumBatchingWindowSeconds} s, max concurrency ${s.maximumConcurrency ?? '∞'})`
    : `table stream (batch ${s.batchSize}, ${s.filters.length > 0 ? 'filtered' : 'all records'}, retried until it succeeds)`;

/** How often a schedule fires at the chosen speed, e.g. `every 10 s at 30×` or `next in 26 min at 30×`. */
const describeTimer = ({ expression }: LocalSchedule): string => {
  const ms = (nextFireMs(expression, Date.now()) - Date.now()) / opts.accelerate;
  const human = ms < 120_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;
  return `${expression.startsWith('rate(') ? 'every' : 'next in'} ${human}${opts.accelerate === 1 ? '' : ` at ${opts.accelerate}×`}`;
};

/** A copy-paste `aws sqs send-message` of one event; the shell fills in the id and the time. */
const exampleCommand = (endpoint: string, region: string, queueUrl: string): string =>
  [
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${endpoint} --region ${region} \\`,
    `    sqs send-message --queue-url ${queueUrl} \\`,
    `    --message-body '{"version":1,"eventId":"evt-'"$(date +%s%N)"'","taskId":"my-task-1","taskType":"send_invoice","status":"succeeded","attempt":1,"source":"my-laptop","durationMs":1200,"occurredAt":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}'`,
  ].join('\n');

/** `urls`: the loopback servers local mode runs beside the stack. */
const printBanner = (
  stack: LocalStack,
  startedEmulator: boolean,
  urls: { api: string; dashboard: string },
) => {
  const out = stack.outputs;
  const moto = startedEmulator ? '  (moto_server started here; stops with Ctrl-C)' : '';
  const metrics = 'what ingest sends to CloudWatch, per task type every 10 s (--no-metrics to hide)';
  const functionRows = stack.functions.map(({ constructId, eventSources, schedules }): [string, string] => {
    const atStart = FUNCTION_HANDLERS[constructId]?.runAtStart ? '; also run at start' : '';
    const triggers = [
      ...eventSources.map(describeSource),
      ...schedules.map((s) => `${s.expression} (${describeTimer(s)}${atStart})`),
    ];
    // The API function's trigger is API Gateway, which moto does not run: the read API row serves it.
    const none = constructId === 'ApiFunction' ? 'API Gateway (served as the read API above)' : 'no trigger';
    return [constructId, `← ${triggers.join(', ') || none}`];
  });
  const demo = `~${opts.rate} tasks/s of ${Object.keys(DEMO_TASK_TYPES).join(', ')} (--no-demo to turn off)`;
  print(`Taskpulse local mode · stack ${stack.stackName} (created by the emulator's CloudFormation)`);
  const fields = formatFields([
    ['endpoint', `${stack.endpoint}${moto}`],
    ['region', stack.region],
    ['events queue', out[OUTPUT.eventsQueueUrl]],
    ['dead letters', out[OUTPUT.deadLetterQueueUrl]],
    ['history table', out[OUTPUT.historyTableName]],
    ['state table', out[OUTPUT.stateTableName]],
    ['alert topic', out[OUTPUT.alertTopicArn]],
    ['read API', `${urls.api}  (same handler as in Lambda; e.g. curl ${urls.api}/v1/executions)`],
    ...functionRows,
    ['monitor rules', LOCAL_MONITOR_NOTE],
    ['alerts', 'published to the alert topic and printed here as the email a subscriber gets'],
    ['metrics', opts.metrics ? metrics : 'not shown'],
    ['demo producer', opts.demo ? demo : 'off'],
    ['failure bursts', opts.demo ? describeBursts() : undefined],
    ['state file', `${path.relative(process.cwd(), localStackFilePath())} (read by the CLI with --local)`],
    ['dashboard', `${urls.dashboard}  (the deployed dashboard, drawn from local metrics)`],
  ]);
  print(fields.replace(/^/gm, '  '));
  const queueUrl = out[OUTPUT.eventsQueueUrl];
  if (queueUrl !== undefined) {
    print('\nSend your own event (any producer that speaks SQS works the same way):');
    print(exampleCommand(stack.endpoint, stack.region, queueUrl));
  }
  print(`\nRoll up a day on this stack (in another terminal): ${ROLLUP_TODAY}\n\nCtrl-C to stop.\n`);
};

/** One line on a rollup run: the days and what was written. */
const describeRollup = ({ days }: RollupOutcome, trigger: string): string => {
  const range = days.length <= 1 ? (days[0]?.day ?? 'no days') : `${days[0]!.day}..${days.at(-1)!.day}`;
  const scopes = days.reduce((n, d) => n + d.scopes, 0);
  const written = days.reduce((n, d) => n + d.written, 0);
  const result =
    scopes === 0
      ? 'no task activity on those days'
      : `${plural(scopes, 'scope')}, ${plural(written, 'rollup')} written`;
  return `rollup (${trigger}) of ${range}: ${result}; today's: ${ROLLUP_TODAY}`;
};

const main = async () => {
  const startedAt = Date.now();
  // The only signal handling, taken from the start: a Ctrl-C during setup stops cleanly once setup is
  // done (a detached moto_server would otherwise outlive a process killed by the default handler); a
  // second one at least a second later (npm and tsx relay one Ctrl-C twice) exits at once.
  let shutdown: (() => Promise<void>) | undefined;
  let signalledAt: number | undefined;
  const onSignal = () => {
    if (signalledAt !== undefined) {
      if (Date.now() - signalledAt < 1_000) return;
      print('forced exit');
      process.exit(130);
    }
    signalledAt = Date.now();
    if (shutdown === undefined) print('stopping once setup is done… (Ctrl-C again to exit at once)');
    else void shutdown();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const startedEmulator = opts.endpoint === undefined && process.env.AWS_ENDPOINT_URL === undefined;
  if (startedEmulator) print('starting moto_server and synthesizing the stack…');
  let alertsPublished = 0;
  let rollupRuns = 0;
  // The banner comes first: the rollup at start (not awaited by the runtime) prints once it is out.
  let bannerPrinted = () => {};
  const afterBanner = new Promise<void>((resolve) => {
    bannerPrinted = resolve;
  });
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
        ...FUNCTION_HANDLERS.RollupFunction,
        create: async () => {
          const { handler } = await import('../lambdas/rollup/handler');
          return (async (event: never) => {
            const outcome = await handler(event);
            await afterBanner;
            say(describeRollup(outcome, rollupRuns++ === 0 ? 'at start' : 'scheduled'));
            return outcome;
          }) as AnyHandler;
        },
      },
    },
    // Handlers log JSON and print EMF metrics (captured above, kept off the terminal); without --verbose
    // only their errors show, the summary and metrics lines say the rest.
    environmentOverrides: opts.verbose ? {} : { POWERTOOLS_LOG_LEVEL: 'ERROR' },
    log: say,
  });
  const { stack } = runtime;
  const api = await startLocalApi(stack, tapOf(stack, 'ApiFunction'));
  const dashboard = await startLocalDashboard({ stack, template: runtime.template, capture: emf, log: say });
  printBanner(stack, startedEmulator, { api: api.url, dashboard: dashboard.url });
  bannerPrinted();
  const stateFile = await writeLocalStackFile({ ...stack, apiUrl: api.url, dashboardUrl: dashboard.url });

  const sqs = new SQSClient(clientConfig(stack));
  const queueUrl = stack.outputs[OUTPUT.eventsQueueUrl];
  const producer =
    opts.demo && queueUrl !== undefined
      ? new DemoProducer({ client: sqs, queueUrl, tasksPerSecond: opts.rate, log: say })
      : undefined;
  if (signalledAt === undefined) producer?.start();

  const metrics = opts.metrics ? new MetricsReporter() : undefined;
  const ingestEnv = stack.functions.find((f) => f.constructId === 'IngestFunction')?.environment ?? {};
  const metricsHeader = `metrics of the last 10 s (ingest → CloudWatch ${ingestEnv[ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE}, Stage=${ingestEnv[ENV.stage] ?? opts.stage}):`;
  const reader = new SummaryReader(runtime);
  let last: LocalSummary | undefined;
  let ticks = 0;
  const ticker = setInterval(async () => {
    // The metrics every other tick, before the summary line.
    const lines = ++ticks % 2 === 0 ? (metrics?.take() ?? []) : [];
    if (lines.length > 0) say([metricsHeader, ...lines].join('\n           '));
    try {
      const summary = await reader.read();
      const burst = producer?.burst();
      const runs = runtime.stats().schedules.find((t) => t.constructId === 'MonitorFunction')?.fired ?? 0;
      const monitor =
        runs > 0 ? ` · monitor ${plural(runs, 'run')}, ${plural(alertsPublished, 'alert')}` : '';
      say(`${formatSummary(summary, last)}${monitor}${burst ? ` · demo: ${burst} failure burst` : ''}`);
      last = summary;
    } catch (error) {
      say(`summary unavailable: ${(error as Error).message}`);
    }
  }, SUMMARY_EVERY_MS);

  shutdown = async () => {
    const demo = producer === undefined ? '' : 'demo producer, ';
    print('');
    say(`stopping: ${demo}pollers, timers (batches in flight finish)… (Ctrl-C again to force)`);
    clearInterval(ticker);
    metrics?.close();
    await producer?.stop();
    await runtime.quiesce();
    const final = await reader.read().then(formatSummary, () => 'final counts unavailable');
    reader.close();
    sqs.destroy();
    await dashboard.close();
    await removeLocalStackFile(stateFile).catch(() => {});
    await api.close();
    await runtime.stop();
    const emulator = startedEmulator ? ' (moto_server stopped, its data is gone)' : '';
    say(`stopped after ${Math.round((Date.now() - startedAt) / 1000)} s${emulator}: ${final}`);
    process.exit(0);
  };
  if (signalledAt !== undefined) await shutdown();
};

/** Fixes that fit `npm start` better than the CLI's, by the start of the explained message. */
const START_FIXES: readonly [RegExp, string][] = [
  [
    /^no AWS credentials/,
    'unset AWS_PROFILE (local mode then uses dummy keys the emulator accepts), or fix that profile',
  ],
  [
    /^could not reach/,
    'start that emulator, or drop --endpoint and AWS_ENDPOINT_URL to have npm start run moto_server',
  ],
];

/**
 * A known user error (no emulator, no credentials, an emulator that cannot be reached or cannot create
 * the stack) prints its message and fix only; anything else is a bug and shows its stack. With
 * `TASKPULSE_DEBUG=1` every error shows its stack, as in the CLI.
 */
main().catch((error: unknown) => {
  const endpointGiven = opts.endpoint ?? process.env.AWS_ENDPOINT_URL;
  const explained = explainError(error, { ...(endpointGiven !== undefined && { endpoint: endpointGiven }) });
  const fix = START_FIXES.find(([pattern]) => pattern.test(explained.message))?.[1] ?? explained.hint;
  process.stderr.write(`npm start: ${explained.message}${fix === undefined ? '' : `\n  fix: ${fix}`}\n`);
  const known = error instanceof CliError || fix !== undefined;
  if (!known || process.env[DEBUG_ENV]) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
