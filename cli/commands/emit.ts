import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Option } from 'commander';
import { TASK_STATUSES, type TaskEvent, type TaskStatus } from '../../lambdas/shared/contract/event';
import { createTaskpulse } from '../../sdk/src/client';
import { TaskpulseError, TaskpulseValidationError } from '../../sdk/src/errors';
import type { EventInput } from '../../sdk/src/events';
import { type DropReport, SDK_ENV } from '../../sdk/src/options';
import { type CommandModule, withTarget } from '../context';
import { CliError, UsageError } from '../errors';
import { explainError } from '../explain';
import { readAll } from '../io';
import { keyValue, nonNegativeNumber, positiveInt } from '../parse';
import type { TargetOptions } from '../target';

interface EmitOptions extends TargetOptions {
  readonly type?: string;
  readonly status?: TaskStatus;
  readonly taskId?: string;
  readonly attempt?: number;
  readonly durationMs?: number;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly jobId?: string;
  readonly parentTaskId?: string;
  readonly source?: string;
  readonly occurredAt?: string;
  readonly dim?: Record<string, string>;
  readonly metric?: Record<string, string>;
  readonly params?: string;
  /** `true`: JSON output; a string: the event(s) as JSON (`-` stdin, `@file`), and JSON output. */
  readonly json?: boolean | string;
}

/** Source put on events the CLI sends when neither `--source` nor `TASKPULSE_SOURCE` says otherwise. */
const CLI_SOURCE = 'taskpulse-cli';

const parseJson = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
};

/** Events given as JSON: one object, an array, or (on stdin / in a file) one object per line. */
const eventsFromJson = async (raw: string, ctx: Parameters<CommandModule>[1]): Promise<EventInput[]> => {
  let text = raw;
  if (raw === '-') text = await readAll(ctx.io.stdin ?? process.stdin);
  else if (raw.startsWith('@')) {
    const file = path.resolve(ctx.io.cwd ?? process.cwd(), raw.slice(1));
    text = await readFile(file, 'utf8').catch((error: Error) => {
      throw new UsageError(`cannot read ${file}: ${error.message}`);
    });
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('no event given: the JSON input is empty');
  const lines = trimmed.split('\n').filter((l) => l.trim() !== '');
  const value =
    trimmed.startsWith('{') && lines.length > 1 && lines.every((l) => l.trim().startsWith('{'))
      ? lines.map((l, i) => parseJson(l, `line ${i + 1}`))
      : parseJson(trimmed, 'the event');
  const list = Array.isArray(value) ? value : [value];
  if (list.some((e) => typeof e !== 'object' || e === null || Array.isArray(e)))
    throw new UsageError('each event must be a JSON object');
  return list as EventInput[];
};

/** The event described by flags. */
const eventFromFlags = (o: EmitOptions): EventInput => {
  if (o.type === undefined || o.status === undefined)
    throw new UsageError("emit needs --type and --status (or the whole event with --json '{...}')");
  let params: Record<string, unknown> | undefined;
  if (o.params !== undefined) {
    const value = parseJson(o.params, '--params');
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new UsageError('--params must be a JSON object');
    params = value as Record<string, unknown>;
  }
  const metrics =
    o.metric === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(o.metric).map(([k, v]) => {
            const n = Number(v);
            if (v.trim() === '' || !Number.isFinite(n))
              throw new UsageError(`--metric ${k}=${v} is not a number`);
            return [k, n];
          }),
        );
  const error =
    o.errorType !== undefined
      ? { type: o.errorType, ...(o.errorMessage !== undefined && { message: o.errorMessage }) }
      : o.errorMessage !== undefined
        ? { type: 'Error', message: o.errorMessage }
        : undefined;
  return {
    taskType: o.type,
    status: o.status,
    taskId: o.taskId ?? randomUUID(),
    ...(o.attempt !== undefined && { attempt: o.attempt }),
    ...(o.durationMs !== undefined && { durationMs: o.durationMs }),
    ...(error !== undefined && { error }),
    ...(o.jobId !== undefined && { jobId: o.jobId }),
    ...(o.parentTaskId !== undefined && { parentTaskId: o.parentTaskId }),
    ...(o.occurredAt !== undefined && { occurredAt: o.occurredAt }),
    ...(o.source !== undefined && { source: o.source }),
    ...(o.dim !== undefined && { dimensions: o.dim }),
    ...(metrics !== undefined && { metrics }),
    ...(params !== undefined && { params }),
  };
};

/** `taskpulse emit`: send lifecycle events through the producer SDK (same validation, same batching). */
export const emitCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('emit')
    .description('send a lifecycle event to the events queue (from flags, or JSON with --json)')
    .option('--type <taskType>', 'task type')
    .addOption(new Option('--status <status>', 'lifecycle status').choices(TASK_STATUSES))
    .option('--task-id <id>', 'task id (default: a new UUID)')
    .option('--attempt <n>', 'attempt number', positiveInt(), undefined)
    .option('--duration-ms <ms>', 'run time measured by the producer', nonNegativeNumber)
    .option('--error-type <type>', 'error class or code (failed, retrying)')
    .option('--error-message <message>', 'error message')
    .option('--job-id <id>', 'the larger job the task belongs to')
    .option('--parent-task-id <id>', 'the task that spawned this one')
    .option('--source <name>', `producer name (default: $${SDK_ENV.source} or ${CLI_SOURCE})`)
    .option('--occurred-at <iso>', 'when it happened (default: now)')
    .option('--dim <key=value>', 'a dimension label (repeatable)', keyValue)
    .option('--metric <name=number>', 'a numeric sample (repeatable)', keyValue)
    .option('--params <json>', 'task parameters as a JSON object')
    .option(
      '--json [event]',
      "print JSON; with a value, send that event: '{...}', an array, - (stdin) or @file.json",
    );
  withTarget(command, ['eventsQueue']).action(async (options: EmitOptions) => {
    if (typeof options.json === 'string' && (options.type !== undefined || options.status !== undefined))
      throw new UsageError('give the event either with flags or with --json, not both');
    const inputs =
      typeof options.json === 'string' ? await eventsFromJson(options.json, ctx) : [eventFromFlags(options)];
    const { target, clients } = await ctx.connect(options);
    const queueUrl = await target.resource('eventsQueue');
    const drops: DropReport[] = [];
    const taskpulse = createTaskpulse(
      {
        queueUrl,
        sqs: clients.sqs,
        source: ctx.io.env[SDK_ENV.source] || CLI_SOURCE,
        maxRetries: 2,
        onDrop: (report) => drops.push(report),
      },
      { env: ctx.io.env as NodeJS.ProcessEnv },
    );
    const events: TaskEvent[] = [];
    try {
      for (const [i, input] of inputs.entries()) {
        try {
          events.push(taskpulse.emit(input));
        } catch (error) {
          if (error instanceof TaskpulseValidationError) {
            const which = inputs.length > 1 ? `event ${i + 1}: ` : '';
            throw new UsageError(`${which}${error.reason}`, { hint: 'see docs/event-contract.md' });
          }
          if (error instanceof TaskpulseError) throw new UsageError(error.message);
          throw error;
        }
      }
    } finally {
      await taskpulse.close();
    }
    if (drops.length > 0) {
      const dropped = drops.reduce((n, d) => n + d.count, 0);
      const cause = explainError(
        drops.find((d) => d.error !== undefined)?.error ?? new Error(drops[0]!.reason),
        {
          kind: target.kind,
          ...(target.aws.endpoint !== undefined && { endpoint: target.aws.endpoint }),
          label: target.label,
        },
      );
      throw new CliError(`${dropped} of ${events.length} events were not sent: ${cause.message}`, {
        ...(cause.hint !== undefined && { hint: cause.hint }),
        cause: cause.cause,
      });
    }
    if (options.json !== undefined) {
      ctx.printJson({ queueUrl, sent: events.length, events });
      return;
    }
    for (const e of events)
      ctx.print(`sent ${e.status} ${e.taskType} ${e.taskId} (attempt ${e.attempt}, event ${e.eventId})`);
    ctx.print(`to ${queueUrl}`);
  });
};
