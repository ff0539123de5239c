import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { TaskEvent } from '../lambdas/shared/contract/event';
import { isoAt, makeEvent, makeLifecycle, pick } from './lifecycle';

/**
 * The demo producer `npm start` runs: raw contract events, as any producer would send them, for a few
 * task types with realistic lives drawn from their profiles and built by the generator the bench and
 * tests use (`./lifecycle.ts`): retries (attempt 2), slow and stuck tasks, dimensions and custom metrics,
 * redelivered duplicates, now and then a malformed message (to show the quarantine) and failure bursts
 * of one task type at a time (to make alerts fire and recover, see `DEFAULT_BURSTS`). It is workload,
 * not emulation, so it lives beside its generator rather than in `local/`.
 */

/** How one kind of task behaves. */
interface TaskProfile {
  readonly source: string;
  /** Typical run time, ms. */
  readonly durationMs: number;
  /** Share of attempts that fail. */
  readonly failureRate: number;
  readonly errors: readonly { type: string; message: string }[];
  /** Custom metrics of one run. */
  readonly metrics?: (random: () => number) => Record<string, number>;
  readonly params?: (random: () => number) => Record<string, unknown>;
}

/** The demo's task types. */
export const DEMO_TASK_TYPES = {
  send_invoice: {
    source: 'billing-worker',
    durationMs: 400,
    failureRate: 0.03,
    errors: [
      { type: 'SmtpTimeout', message: 'SMTP server did not answer within 10 s' },
      { type: 'InvalidAddress', message: 'recipient address bounced: mailbox unavailable' },
    ],
    metrics: (r) => ({ amountCents: Math.round(1_000 + r() * 90_000) }),
    params: (r) => ({ invoiceId: `INV-${Math.floor(r() * 1e6)}`, currency: 'EUR' }),
  },
  resize_image: {
    source: 'media-worker',
    durationMs: 1_200,
    failureRate: 0.02,
    errors: [{ type: 'ImageDecodeError', message: 'unsupported JPEG marker 0xFFC3' }],
    metrics: (r) => ({ megapixels: Math.round((2 + r() * 46) * 10) / 10 }),
  },
  sync_inventory: {
    source: 'inventory-sync',
    durationMs: 3_000,
    failureRate: 0.05,
    errors: [
      { type: 'ThrottlingException', message: 'Rate exceeded for marketplace API' },
      { type: 'ConnectionReset', message: 'socket hang up' },
    ],
    metrics: (r) => ({ skus: Math.floor(50 + r() * 950) }),
  },
  generate_report: {
    source: 'report-runner',
    // Typical run times stay under the slow rule's 5 s (with jitter up to 1.5×): only the 3% tail is slow.
    durationMs: 2_500,
    failureRate: 0.04,
    errors: [{ type: 'TimeoutError', message: 'warehouse query exceeded 60 s' }],
    metrics: (r) => ({
      tokens: Math.floor(800 + r() * 6_000),
      confidence: Math.round((0.55 + r() * 0.45) * 100) / 100,
    }),
  },
} as const satisfies Record<string, TaskProfile>;

/** A demo task type name. */
export type DemoTaskType = keyof typeof DEMO_TASK_TYPES;

const MARKETPLACES = ['DE', 'FR', 'UK', 'US', 'JP'] as const;

/** How the world looks for one task. */
export interface PlanOptions {
  readonly random: () => number;
  /** Wall-clock time the task starts (occurredAt of its first event), ms. */
  readonly nowMs: number;
  /** The error of a failure burst of this task type: then every attempt fails with it. */
  readonly burst?: { type: string; message: string };
}

/** Run time with a long tail: mostly near the typical value, 3% ten times slower. */
const drawDuration = (typicalMs: number, random: () => number): number => {
  const jitter = 0.5 + random();
  const slow = random() < 0.03 ? 10 : 1;
  return Math.round(typicalMs * jitter * slow);
};

/**
 * The events of one task's life, drawn from its profile and built by the shared `makeLifecycle` (each is
 * sent when its `occurredAt` comes). Outcomes: success; failure; a failed attempt retried once
 * (`retrying` + attempt 2); cancellation; stuck (started, never finished); and an occasional duplicate
 * delivery (at-least-once on the producer side too). Pure given `random`, except for the ids.
 */
export const planTask = (taskType: DemoTaskType, options: PlanOptions): TaskEvent[] => {
  const { random, nowMs } = options;
  const profile: TaskProfile = DEMO_TASK_TYPES[taskType];
  const fails = () => options.burst !== undefined || random() < profile.failureRate;
  const retried = fails() && random() < 0.5;
  const fate = random();
  const outcome = fate < 0.01 ? 'cancelled' : fate < 0.015 ? 'running' : fails() ? 'failed' : 'succeeded';
  const error = options.burst ?? pick(random, profile.errors);
  const events = makeLifecycle({
    taskId: `${taskType}-${randomUUID().slice(0, 8)}`,
    taskType,
    startMs: nowMs,
    waitMs: Math.round(50 + random() * 1_500),
    runMs: drawDuration(profile.durationMs, random),
    backoffMs: Math.round(50 + random() * 3_000),
    attempts: retried ? 2 : 1,
    outcome,
    error: { ...error, stack: `${error.type}: ${error.message}\n    at ${taskType} (worker.js:42:13)` },
    source: `${profile.source}-${1 + Math.floor(random() * 3)}`,
    dimensions: { marketplace: pick(random, MARKETPLACES) },
    ...(profile.params !== undefined && { params: profile.params(random) }),
    ...(outcome === 'succeeded' && profile.metrics !== undefined && { metrics: profile.metrics(random) }),
  });
  if (random() < 0.02) events.push(pick(random, events));
  return events;
};

/** A malformed message of one of the kinds the ingest path must quarantine. Pure given `random`. */
export const malformedMessage = (nowMs: number, random: () => number): { kind: string; body: string } => {
  const valid = makeEvent({ taskId: `broken-${randomUUID().slice(0, 8)}`, occurredAt: isoAt(nowMs) });
  const kinds: [string, string][] = [
    ['not JSON', '{"taskId": "t-1", "status": started'],
    ['unknown status', JSON.stringify({ ...valid, status: 'exploded' })],
    ['missing taskType', JSON.stringify({ ...valid, taskType: undefined })],
    ['attempt as string', JSON.stringify({ ...valid, attempt: '1' })],
    ['oversize params', JSON.stringify({ ...valid, params: { blob: 'x'.repeat(3_000) } })],
    ['clock skew', JSON.stringify({ ...valid, occurredAt: isoAt(nowMs + 3_600_000) })],
  ];
  const [kind, body] = pick(random, kinds);
  return { kind, body };
};

/**
 * When one task type fails in a burst (its upstream is down: every attempt fails), ms after the producer
 * starts. Sized for the failure-rate rule (20% of the runs that finished in the window, at least 10),
 * with the 5-minute window local mode configures (aggregates are 5-minute buckets, so the window reaches
 * 5 to 10 minutes back):
 * - a short first burst (`firstAtMs` for `firstDurationMs`) soon after start: the window holds little
 *   traffic yet, so it alarms within a minute, and the successes after it dilute it below 20% within
 *   about two (OK);
 * - then, from `laterFromMs`, every `everyMs` the next task type fails for `durationMs`, long enough to
 *   be more than 20% of a full window; it alarms within a minute or two and recovers once the burst has
 *   left the window.
 * A task type that bursts again within the hour is damped as flapping (held in ALARM, said once).
 */
export const DEFAULT_BURSTS = {
  firstAtMs: 15_000,
  firstDurationMs: 15_000,
  laterFromMs: 150_000,
  everyMs: 300_000,
  durationMs: 150_000,
} as const;

/** The task type failing in a burst `elapsedMs` after the producer started; bursts rotate through the types. Pure. */
export const burstTypeAt = (elapsedMs: number): DemoTaskType | undefined => {
  const schedule = DEFAULT_BURSTS;
  const types = Object.keys(DEMO_TASK_TYPES) as DemoTaskType[];
  if (elapsedMs >= schedule.firstAtMs && elapsedMs < schedule.firstAtMs + schedule.firstDurationMs) {
    return types[0];
  }
  const later = elapsedMs - schedule.laterFromMs;
  if (later < 0 || later % schedule.everyMs >= schedule.durationMs) return undefined;
  return types[(1 + Math.floor(later / schedule.everyMs)) % types.length];
};

const seconds = (ms: number) =>
  ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 6_000) / 10} min`;

/** One line on the bursts, for the start banner. Pure. */
export const describeBursts = (): string => {
  const schedule = DEFAULT_BURSTS;
  return `${burstTypeAt(schedule.firstAtMs)} at +${seconds(schedule.firstAtMs)} for ${seconds(schedule.firstDurationMs)}, then from +${seconds(schedule.laterFromMs)} the next type every ${seconds(schedule.everyMs)} for ${seconds(schedule.durationMs)} (every attempt fails)`;
};

/** Where the demo traffic goes and how much of it. */
export interface DemoProducerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** New tasks per second, on average. @default 5 */
  readonly tasksPerSecond?: number;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

const TICK_MS = 200;
/** One malformed message per this many tasks, on average. */
const MALFORMED_EVERY = 60;

/** Sends the demo traffic (with `Math.random`) until stopped. */
export class DemoProducer {
  private timer: NodeJS.Timeout | undefined;
  private queue: { dueMs: number; body: string }[] = [];
  private sending: Promise<void> = Promise.resolve();
  private startedAtMs: number | undefined;

  constructor(private readonly options: DemoProducerOptions) {}

  start(): void {
    this.startedAtMs ??= Date.now();
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  /** Stop producing; messages already due are sent, later steps of running tasks are dropped. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sending;
  }

  /** The task type in a failure burst now, if any. */
  burst(nowMs = Date.now()): DemoTaskType | undefined {
    return this.startedAtMs === undefined ? undefined : burstTypeAt(nowMs - this.startedAtMs);
  }

  private tick(): void {
    const now = Date.now();
    const expected = ((this.options.tasksPerSecond ?? 5) * TICK_MS) / 1000;
    const burst = this.burst(now);
    // Whole tasks per tick plus a chance for the fraction, so the average rate is right.
    const count = Math.floor(expected) + (Math.random() < expected % 1 ? 1 : 0);
    for (let i = 0; i < count; i++) {
      const type = pick(Math.random, Object.keys(DEMO_TASK_TYPES) as DemoTaskType[]);
      const events = planTask(type, {
        random: Math.random,
        nowMs: now,
        ...(type === burst && {
          burst: {
            type: 'UpstreamUnavailable',
            message: `${type} upstream returned 503 Service Unavailable`,
          },
        }),
      });
      for (const e of events) this.queue.push({ dueMs: Date.parse(e.occurredAt), body: JSON.stringify(e) });
      if (Math.random() < 1 / MALFORMED_EVERY)
        this.queue.push({ dueMs: now, ...malformedMessage(now, Math.random) });
    }
    const due = this.queue.filter((m) => m.dueMs <= now);
    if (due.length === 0) return;
    this.queue = this.queue.filter((m) => m.dueMs > now);
    this.sending = this.sending.then(() => this.send(due));
  }

  private async send(messages: { body: string }[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 10) {
      try {
        const { Failed = [] } = await this.options.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: m.body })),
          }),
        );
        for (const f of Failed)
          this.options.log?.(`demo producer: send failed: ${f.Code} ${f.Message ?? ''}`);
      } catch (error) {
        this.options.log?.(`demo producer: send failed: ${(error as Error).message}`);
      }
    }
  }
}
