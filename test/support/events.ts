import { randomUUID } from 'node:crypto';
import type { TaskEvent, TerminalStatus } from '../../lambdas/shared/contract/event';

/**
 * Event factories for tests: small, valid by default, overridable field by field.
 *
 * `makeEvent` builds one valid event; `makeLifecycle` builds the events one task sends through its
 * life (enqueue, attempts, retries, outcome); `makeRandomLifecycle` draws varied lifecycles from a
 * seeded generator for property-style tests, so a failure can be reproduced from its seed.
 */

/** A fixed instant the factories count from (a Monday, mid-morning UTC). */
export const BASE_TIME_MS = Date.parse('2026-03-02T10:00:00.000Z');

/** UTC ISO timestamp with milliseconds. */
export const isoAt = (ms: number): string => new Date(ms).toISOString();

/** One valid event: a `started` event of attempt 1 at `BASE_TIME_MS` with a fresh uuid eventId. */
export const makeEvent = (overrides: Partial<TaskEvent> = {}): TaskEvent => ({
  version: 1,
  eventId: randomUUID(),
  taskId: 'task-0001',
  taskType: 'send_invoice',
  status: 'started',
  occurredAt: isoAt(BASE_TIME_MS),
  attempt: 1,
  source: 'billing-worker',
  ...overrides,
});

/** A copy of an object without some keys (to build events that miss a required field). */
export const without = <T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
};

/** How one task's life goes. Every field has a default that gives enqueued → started → succeeded. */
export interface LifecycleOptions {
  /** @default a fresh `task-<uuid>` */
  readonly taskId?: string;
  /** @default 'send_invoice' */
  readonly taskType?: string;
  /** When the first event happens. @default BASE_TIME_MS */
  readonly startMs?: number;
  /** Whether an `enqueued` event is sent first. @default true */
  readonly enqueued?: boolean;
  /** enqueued → first start, ms. @default 1_500 */
  readonly waitMs?: number;
  /** Run time of every attempt, ms. @default 2_000 */
  readonly runMs?: number;
  /** Pause between a `retrying` event and the next attempt's start, ms. @default 500 */
  readonly backoffMs?: number;
  /** Number of attempts; all but the last end in `retrying`. @default 1 */
  readonly attempts?: number;
  /** How the last attempt ends; `running` sends no terminal event. @default 'succeeded' */
  readonly outcome?: TerminalStatus | 'running';
  /** Whether terminal and retrying events carry the producer's `durationMs`. @default true */
  readonly withDuration?: boolean;
  /** Error carried by `retrying` and `failed` events. @default TimeoutError */
  readonly error?: TaskEvent['error'];
  /** Parameters carried by the first event. @default none */
  readonly params?: Record<string, unknown>;
  /** Dimensions carried by every event. @default none */
  readonly dimensions?: Record<string, string>;
  /** Metrics carried by the terminal event. @default none */
  readonly metrics?: Record<string, number>;
  /** Source of every event. @default 'billing-worker' */
  readonly source?: string;
}

/** The events of one task, in the order the producer sends them. */
export const makeLifecycle = (options: LifecycleOptions = {}): TaskEvent[] => {
  const {
    taskId = `task-${randomUUID()}`,
    taskType = 'send_invoice',
    startMs = BASE_TIME_MS,
    enqueued = true,
    waitMs = 1_500,
    runMs = 2_000,
    backoffMs = 500,
    attempts = 1,
    outcome = 'succeeded',
    withDuration = true,
    error = { type: 'TimeoutError', message: 'upstream did not answer within 30 s' },
    params,
    dimensions,
    metrics,
    source = 'billing-worker',
  } = options;
  const events: TaskEvent[] = [];
  const at = (
    status: TaskEvent['status'],
    ms: number,
    attempt: number,
    extra: Partial<TaskEvent> = {},
  ): void => {
    events.push(
      makeEvent({
        taskId,
        taskType,
        status,
        occurredAt: isoAt(ms),
        attempt,
        source,
        ...(events.length === 0 && params !== undefined && { params }),
        ...(dimensions !== undefined && { dimensions }),
        ...extra,
      }),
    );
  };
  let t = startMs;
  if (enqueued) {
    at('enqueued', t, 1);
    t += waitMs;
  }
  for (let attempt = 1; attempt <= attempts; attempt++) {
    at('started', t, attempt);
    t += runMs;
    const duration = withDuration ? { durationMs: runMs } : {};
    if (attempt < attempts) {
      at('retrying', t, attempt, { ...duration, ...(error !== undefined && { error }) });
      t += backoffMs;
    } else if (outcome !== 'running') {
      at(outcome, t, attempt, {
        ...duration,
        ...(outcome === 'failed' && error !== undefined && { error }),
        ...(metrics !== undefined && { metrics }),
      });
    }
  }
  return events;
};

/**
 * A small seeded uniform generator in [0, 1) (mulberry32), so demo runs, benchmarks and random tests
 * replay exactly from their seed. Not for anything that needs real randomness.
 */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/** A random integer in [min, max]. */
export const randomInt = (rand: () => number, min: number, max: number): number =>
  min + Math.floor(rand() * (max - min + 1));

/** A random element. */
export const pick = <T>(rand: () => number, items: readonly T[]): T =>
  items[Math.floor(rand() * items.length)]!;

/** A shuffled copy (Fisher–Yates). */
export const shuffle = <T>(rand: () => number, items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

/**
 * A random but realistic lifecycle: 1–3 attempts, any outcome (or still running), with or without
 * an `enqueued` event and `durationMs`, some timestamps sent with a UTC offset instead of `Z`, some
 * ties, and now and then a producer oddity (a second terminal event, a dimension that changes).
 * Event ids are drawn from `rand` as well.
 */
export const makeRandomLifecycle = (rand: () => number, taskId = `task-${randomUUID()}`): TaskEvent[] => {
  const events = makeLifecycle({
    taskId,
    taskType: pick(rand, ['send_invoice', 'resize_image', 'sync_orders']),
    startMs: BASE_TIME_MS + randomInt(rand, 0, 6 * 3_600_000),
    enqueued: rand() < 0.8,
    waitMs: pick(rand, [0, randomInt(rand, 1, 120_000)]),
    runMs: pick(rand, [0, randomInt(rand, 1, 600_000)]),
    backoffMs: randomInt(rand, 0, 60_000),
    attempts: randomInt(rand, 1, 3),
    outcome: pick(rand, ['succeeded', 'succeeded', 'failed', 'cancelled', 'running'] as const),
    withDuration: rand() < 0.5,
    error: pick(rand, [
      { type: 'TimeoutError', message: 'no answer in 30 s' },
      { type: 'ValidationError', message: 'amount must be positive', stack: 'ValidationError\n  at x' },
      undefined,
    ]),
    ...(rand() < 0.5 && { params: { invoiceId: randomInt(rand, 1, 1e6), currency: 'EUR' } }),
    ...(rand() < 0.7 && { dimensions: { marketplace: pick(rand, ['DE', 'FR', 'US']) } }),
    ...(rand() < 0.5 && { metrics: { tokens: randomInt(rand, 0, 5_000), confidence: rand() } }),
    source: pick(rand, ['billing-worker', 'billing-worker-2']),
  });
  const last = events[events.length - 1]!;
  if (rand() < 0.15) {
    // A producer that reports a second terminal status for the final attempt (e.g. a late cancel).
    events.push(
      makeEvent({
        ...last,
        eventId: randomUUID(),
        status: pick(rand, ['failed', 'cancelled', 'succeeded'] as const),
        occurredAt: isoAt(Date.parse(last.occurredAt) + randomInt(rand, 0, 1_000)),
        error: { type: 'LateError', message: 'reported after the fact' },
      }),
    );
  }
  if (rand() < 0.2) {
    // A dimension value that changes on the last event.
    events[events.length - 1] = { ...events[events.length - 1]!, dimensions: { marketplace: 'JP' } };
  }
  // Event ids from the seed too (they break ties in the canonical order), so a failure replays exactly.
  return events.map((e, i) => ({
    ...e,
    eventId: `${taskId}.${i}.${randomInt(rand, 0, 999_999)}`,
    ...(rand() < 0.2 && { occurredAt: withOffset(e.occurredAt, 2) }),
  }));
};

/** The same instant written with a `+HH:00` offset instead of `Z`. */
export const withOffset = (iso: string, hours: number): string => {
  const local = new Date(Date.parse(iso) + hours * 3_600_000).toISOString().slice(0, 23);
  return `${local}+${String(hours).padStart(2, '0')}:00`;
};
