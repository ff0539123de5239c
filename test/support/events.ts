import { randomUUID } from 'node:crypto';
import { BASE_TIME_MS, isoAt, makeEvent, makeLifecycle, pick, randomInt } from '../../demo/lifecycle';
import type { TaskEvent } from '../../lambdas/shared/contract/event';

/**
 * Test-only event helpers over the shared generator in `demo/lifecycle.ts` (re-exported here, so tests
 * import their factories from one place): `makeRandomLifecycle` draws varied lifecycles from a seeded
 * generator for property-style tests, so a failure can be reproduced from its seed.
 */

export {
  BASE_TIME_MS,
  isoAt,
  type LifecycleOptions,
  makeEvent,
  makeLifecycle,
  pick,
  randomInt,
  seededRandom,
  shuffle,
} from '../../demo/lifecycle';

/** A copy of an object without some keys (to build events that miss a required field). */
export const without = <T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
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
