import { randomUUID } from 'node:crypto';
import type { TaskEvent, TerminalStatus } from '../lambdas/shared/contract/event';

/**
 * The one generator of task events, shared by local mode's demo producer, the bench and the tests (so
 * all three send the same lives): `makeEvent` builds one valid event; `makeLifecycle` builds the events
 * one task sends through its life (enqueue, attempts, retries, outcome); `seededRandom` and its helpers
 * draw varied lives that replay exactly from their seed. Not test code: `npm start` imports it.
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
