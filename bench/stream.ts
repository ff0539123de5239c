import { BASE_TIME_MS, makeLifecycle, pick, seededRandom } from '../demo/lifecycle';
import type { TaskEvent } from '../lambdas/shared/contract/event';

/**
 * The bench's one event stream, shared by every design it compares: task lifecycles from
 * `demo/lifecycle.ts` (retries, failures, cancels, runs that never finish, dimensions, metrics), sent
 * as a production fleet sends them: mostly soon after they happen, some late, some overtaking each
 * other, some sent twice.
 */

/** One message as the producer sends it. */
export interface SentEvent {
  readonly event: TaskEvent;
  /** When the producer sent it, ms (the SQS `SentTimestamp`). */
  readonly sentAtMs: number;
}

/** What the stream looks like. Every field has a default: the bench's default stream. */
export interface StreamOptions {
  /** Events at least (lifecycles are added whole). */
  readonly events: number;
  /** @default 2026 */
  readonly seed?: number;
  /** Tasks start at this rate, events per second. @default 1_200 (the design's 100 M events a day) */
  readonly eventsPerSecond?: number;
}

/** Share of events a producer sends late (buffered and flushed minutes later). */
const LATE_SHARE = 0.02;
/** Share of events held back a few seconds, so they overtake or are overtaken by the task's next event. */
const REORDER_SHARE = 0.05;
/** Share of events the producer sends twice (same eventId, another message), as retried sends do. */
const DUPLICATE_SHARE = 0.01;

/**
 * Generate the stream, in send order. The events are those of `npm run bench` before issue 11 (same
 * mix); what is new is the send time: a lognormal network delay (median 50 ms), 5% held back a few
 * seconds, 2% sent 1–10 minutes late, 1% sent again up to 30 s later. Deterministic for a seed, except
 * the eventIds (fresh uuids from `makeEvent`).
 */
export const generateStream = (options: StreamOptions): SentEvent[] => {
  const { events: count, seed = 2026, eventsPerSecond = 1_200 } = options;
  const rand = seededRandom(seed);
  const lognormalMs = (medianMs: number) => {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return Math.round(medianMs * Math.exp(0.8 * z));
  };
  const spanMs = (count / eventsPerSecond) * 1_000;
  const events: TaskEvent[] = [];
  for (let i = 0; events.length < count; i++) {
    const r = rand();
    events.push(
      ...makeLifecycle({
        taskId: `task-${seed}-${i}`,
        taskType: pick(rand, ['send_invoice', 'resize_image', 'sync_orders', 'generate_report']),
        startMs: BASE_TIME_MS + Math.floor(rand() * spanMs),
        enqueued: rand() < 0.8,
        waitMs: lognormalMs(800),
        runMs: lognormalMs(2_000),
        backoffMs: lognormalMs(500),
        attempts: r < 0.9 ? 1 : r < 0.98 ? 2 : 3,
        outcome: pick(rand, [
          ...Array(17).fill('succeeded'),
          'failed',
          'failed',
          'cancelled',
          'running',
        ] as const),
        withDuration: rand() < 0.7,
        error: pick(rand, [
          { type: 'TimeoutError', message: 'upstream did not answer within 30 s' },
          { type: 'ValidationError', message: 'amount must be positive' },
        ]),
        ...(rand() < 0.7 && { dimensions: { marketplace: pick(rand, ['DE', 'FR', 'US', 'JP']) } }),
        ...(rand() < 0.5 && { metrics: { tokens: Math.floor(rand() * 5_000), confidence: rand() } }),
        ...(rand() < 0.3 && { params: { orderId: i, priority: 'normal' } }),
      }),
    );
  }
  const sent: SentEvent[] = [];
  for (const event of events) {
    const at = Date.parse(event.occurredAt) + lognormalMs(50);
    const r = rand();
    const sentAtMs =
      r < LATE_SHARE
        ? at + 60_000 + Math.floor(rand() * 540_000)
        : r < LATE_SHARE + REORDER_SHARE
          ? at + lognormalMs(3_000)
          : at;
    sent.push({ event, sentAtMs });
    if (rand() < DUPLICATE_SHARE) sent.push({ event, sentAtMs: sentAtMs + Math.floor(rand() * 30_000) });
  }
  return sent.sort((a, b) => a.sentAtMs - b.sentAtMs);
};

/** The distinct events of a stream (what the producer meant to send once). */
export const distinctEvents = (stream: readonly SentEvent[]): TaskEvent[] => [
  ...new Map(stream.map((s) => [s.event.eventId, s.event])).values(),
];

/** The last send time of a stream, ms: the ingest clock of a bench run is after it. */
export const lastSentMs = (stream: readonly SentEvent[]): number =>
  stream.reduce((max, s) => Math.max(max, s.sentAtMs), BASE_TIME_MS);
