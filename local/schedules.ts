import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { CronExpressionParser } from 'cron-parser';
import { LocalModeError } from './errors';
import { type FunctionIdentity, lambdaContext } from './lambda-context';
import type { LocalSchedule } from './stack-types';

/**
 * Timers that stand in for the stack's EventBridge schedule rules, which the emulator does not fire.
 * `accelerate` makes time pass faster for the timer (rate(5 minutes) at 60× fires every 5 s), while the
 * event's `time` stays the wall clock so handlers see real timestamps.
 */

/** A schedule expression local mode cannot run: a known user error (message and fix, no stack trace). */
const unsupported = (why: string) =>
  new LocalModeError(why, { hint: 'use rate(N minutes|hours|days) or an AWS cron(...) with year *' });

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Milliseconds of a `rate(N unit)` expression. Pure. */
export const rateMs = (expression: string): number => {
  const m = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (!m) throw unsupported(`not a rate expression: ${expression}`);
  const unit = m[2]!.replace(/s$/, '');
  return Number(m[1]) * UNIT_MS[unit]!;
};

/**
 * The six-field cron of cron-parser (`sec min hour dom month dow`, which reads `?`, `L` and `#` too) of
 * an AWS cron expression (`min hour dom month dow year`): day-of-week 1-7 (SUN-SAT) becomes 0-6, and
 * the year field must be `*` (local mode does not schedule years ahead). Pure.
 */
export const toStandardCron = (expression: string): string => {
  const fields = /^cron\((.*)\)$/.exec(expression.trim())?.[1]?.trim().split(/\s+/) ?? [];
  if (fields.length !== 6) throw unsupported(`not an AWS cron expression: ${expression}`);
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (year !== '*') throw unsupported(`cron year field must be * locally: ${expression}`);
  // Shift day numbers only (`6#3` is the third Friday: the 3 is an occurrence, not a day).
  const day = dow.replace(/(^|[,-])([1-7])/g, (_, before: string, d: string) => `${before}${Number(d) - 1}`);
  return ['0', minute, hour, dom, month, day].join(' ');
};

/** Next fire time (ms) strictly after `afterMs`, on the schedule's own clock (UTC). Pure. */
export const nextFireMs = (expression: string, afterMs: number): number => {
  if (expression.startsWith('rate(')) return afterMs + rateMs(expression);
  const cron = CronExpressionParser.parse(toStandardCron(expression), {
    currentDate: new Date(afterMs),
    tz: 'UTC',
  });
  return cron.next().getTime();
};

/** The EventBridge scheduled event a rule sends. */
export const scheduledEventOf = (
  schedule: LocalSchedule,
  region: string,
  accountId: string,
): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: accountId,
  time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  region,
  resources: [schedule.arn],
  detail: {},
});

/** A scheduled Lambda handler. */
export type ScheduledHandler = (event: unknown, context: Context) => Promise<unknown>;

/** One schedule, the handler it invokes and how fast its clock runs. */
export interface ScheduleTimerOptions {
  readonly schedule: LocalSchedule;
  readonly handler: ScheduledHandler;
  readonly fn: FunctionIdentity;
  readonly region: string;
  readonly accountId: string;
  /** How many times faster than the wall clock the schedule runs. @default 1 */
  readonly accelerate?: number;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

/** Counters of one timer: invocations `fired`, firings `skipped` (the previous one still ran), `errors`. */
export type ScheduleTimerStats = Readonly<Record<'fired' | 'skipped' | 'errors', number>>;

/** Fires a handler on a schedule; an invocation never overlaps the previous one of the same timer. */
export class ScheduleTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly counters = { fired: 0, skipped: 0, errors: 0 };
  private readonly startedAtMs = Date.now();

  constructor(private readonly options: ScheduleTimerOptions) {
    nextFireMs(options.schedule.expression, Date.now()); // validates
  }

  start(): void {
    if (this.timer !== undefined) return;
    const speed = this.options.accelerate ?? 1;
    // The schedule's clock runs `speed` times faster than the wall clock, from when the timer was made.
    const virtualNow = this.startedAtMs + (Date.now() - this.startedAtMs) * speed;
    const delayMs = (nextFireMs(this.options.schedule.expression, virtualNow) - virtualNow) / speed;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fire();
      this.start();
    }, delayMs).unref();
  }

  /** Stop firing and wait for a running invocation. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  stats(): ScheduleTimerStats {
    return { ...this.counters };
  }

  /** Fire now (also what the timer calls); skipped while the previous invocation runs. */
  async fire(): Promise<void> {
    if (this.running !== undefined) {
      this.counters.skipped++;
      return;
    }
    const { schedule, handler, fn, log } = this.options;
    this.counters.fired++;
    this.running = handler(
      scheduledEventOf(schedule, this.options.region, this.options.accountId),
      lambdaContext(fn),
    )
      .then(
        () => {},
        (error: Error) => {
          this.counters.errors++;
          log?.(`schedule ${schedule.name}: ${fn.name} threw: ${error.message}`);
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }
}
