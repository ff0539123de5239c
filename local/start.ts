import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, InvalidArgumentError } from 'commander';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { clientConfig } from './aws-config';
import { DEMO_TASK_TYPES, DemoProducer } from './demo-producer';
import type { LocalRuntime } from './runtime';
import { startLocalRuntime } from './runtime';
import type { LocalEventSource, LocalStack } from './stack-types';
import { formatSummary, type LocalSummary, SummaryReader } from './summary';

/**
 * `npm start`: the whole pipeline on this machine, no AWS account needed. Starts moto_server (or uses
 * `--endpoint` / AWS_ENDPOINT_URL), creates the stack's resources from the synthesized template, runs
 * the handlers in-process, sends demo traffic unless `--no-demo`, prints a summary line every few
 * seconds, and stops cleanly on Ctrl-C.
 */

const SUMMARY_EVERY_MS = 5_000;
/** A second Ctrl-C this long after the first exits at once. */
const FORCE_AFTER_MS = 1_000;

const positiveNumber = (raw: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('must be a positive number');
  return value;
};

const program = new Command('npm start --')
  .description('Run Taskpulse locally on moto_server: ingest, aggregation and a demo producer.')
  .option('--no-demo', 'do not send demo traffic')
  .option('--endpoint <url>', 'use a running emulator (default: AWS_ENDPOINT_URL, else start moto_server)')
  .option('--accelerate <factor>', 'run schedules this many times faster', positiveNumber, 1)
  .option('--rate <tasksPerSecond>', 'demo tasks started per second', positiveNumber, 5)
  .option('--stage <name>', 'stage of the synthesized stack', 'dev')
  .option('--verbose', 'show setup notes and the handlers’ own logs')
  .parse();

const opts = program.opts<{
  demo: boolean;
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
    : `table stream (batch ${s.batchSize}, ${s.filters.length > 0 ? 'filtered' : 'all records'})`;

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

const printBanner = (runtime: LocalRuntime, startedEmulator: boolean, demo: boolean) => {
  const { stack } = runtime;
  const out = stack.outputs;
  const row = (label: string, value: string | undefined) => {
    if (value !== undefined) print(`  ${label.padEnd(15)} ${value}`);
  };
  print(`Taskpulse local mode · stack ${stack.stackName}`);
  row(
    'endpoint',
    `${stack.endpoint}${startedEmulator ? '  (moto_server started here; stops with Ctrl-C)' : ''}`,
  );
  row('region', stack.region);
  row('events queue', out[OUTPUT.eventsQueueUrl]);
  row('dead letters', out[OUTPUT.deadLetterQueueUrl]);
  row('history table', out[OUTPUT.historyTableName]);
  row('state table', out[OUTPUT.stateTableName]);
  row('alert topic', out[OUTPUT.alertTopicArn]);
  for (const fn of stack.functions) {
    const running = !runtime.unregistered.includes(fn.constructId);
    const triggers = [...fn.eventSources.map(describeSource), ...fn.schedules.map((s) => s.expression)].join(
      ', ',
    );
    row(
      fn.constructId,
      running ? `← ${triggers || 'no trigger'}` : 'not run locally (no handler registered)',
    );
  }
  row(
    'demo producer',
    demo
      ? `~${opts.rate} tasks/s of ${Object.keys(DEMO_TASK_TYPES).join(', ')} (--no-demo to turn off)`
      : 'off',
  );
  const queueUrl = out[OUTPUT.eventsQueueUrl];
  if (queueUrl !== undefined) {
    print('\nSend your own event (any producer that speaks SQS works the same way):');
    print(exampleCommand(stack, queueUrl));
  }
  print('\nCtrl-C to stop.\n');
};

const main = async () => {
  const startedAt = Date.now();
  let ready = false;
  // Signals are taken from the start: a Ctrl-C during setup stops cleanly once setup is done (a
  // detached moto_server would otherwise outlive a process killed by the default handler).
  let shutdown: (() => Promise<void>) | undefined;
  let signalledDuringSetupAt: number | undefined;
  const onSignal = () => {
    if (shutdown !== undefined) void shutdown();
    else if (signalledDuringSetupAt === undefined) {
      signalledDuringSetupAt = Date.now();
      print('stopping once setup is done… (Ctrl-C again to exit at once)');
    } else if (Date.now() - signalledDuringSetupAt >= FORCE_AFTER_MS) process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedEmulator = opts.endpoint === undefined && process.env.AWS_ENDPOINT_URL === undefined;
  if (startedEmulator) print('starting moto_server and synthesizing the stack…');
  const runtime = await startLocalRuntime({
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    accelerate: opts.accelerate,
    props: { stage: opts.stage },
    // Handlers log JSON and print EMF metrics; without --verbose only their errors show, the summary says the rest.
    environmentOverrides: opts.verbose
      ? {}
      : { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    log: (line) => {
      if (ready || opts.verbose) print(`${time()} ${line}`);
    },
  });
  printBanner(runtime, startedEmulator, opts.demo);
  ready = true;

  const sqs = new SQSClient(clientConfig({ endpoint: runtime.stack.endpoint, region: runtime.stack.region }));
  const queueUrl = runtime.stack.outputs[OUTPUT.eventsQueueUrl];
  const producer =
    opts.demo && queueUrl !== undefined
      ? new DemoProducer({ client: sqs, queueUrl, tasksPerSecond: opts.rate, log: print })
      : undefined;
  if (signalledDuringSetupAt === undefined) producer?.start();

  const reader = new SummaryReader(runtime);
  let last: LocalSummary | undefined;
  const report = async () => {
    try {
      const summary = await reader.read();
      const burst = producer?.stats().burst;
      print(`${time()} ${formatSummary(summary, last)}${burst ? ` · demo: ${burst} failure burst` : ''}`);
      last = summary;
    } catch (error) {
      print(`${time()} summary unavailable: ${(error as Error).message}`);
    }
  };
  const ticker = setInterval(() => void report(), SUMMARY_EVERY_MS);

  let stoppingSince: number | undefined;
  shutdown = async () => {
    if (stoppingSince !== undefined) {
      // npm and tsx relay the terminal's signal, so one Ctrl-C can arrive twice: only a later one forces.
      if (Date.now() - stoppingSince < FORCE_AFTER_MS) return;
      print('forced exit');
      process.exit(130);
    }
    stoppingSince = Date.now();
    const what = producer === undefined ? 'pollers' : 'demo producer, pollers';
    print(`\n${time()} stopping: ${what} (batches in flight finish)… (Ctrl-C again to force)`);
    clearInterval(ticker);
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
    await runtime.stop();
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    print(
      `${time()} stopped after ${seconds} s${startedEmulator ? ' (moto_server stopped, its data is gone)' : ''}: ${final}`,
    );
    process.exit(0);
  };
  if (signalledDuringSetupAt !== undefined) await shutdown();
};

main().catch((error: unknown) => {
  process.stderr.write(`local mode failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
