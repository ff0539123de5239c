import { z } from 'zod';
import { dayStartMs } from '../shared/time';

/**
 * What the rollup Lambda is asked to do. Three shapes are accepted:
 * - an EventBridge scheduled event: the `days` UTC days before the event's time (default: yesterday
 *   and the day before), plus the dirty days (older days that received late events);
 * - `{ "from": "YYYY-MM-DD", "to": "YYYY-MM-DD" }`: a backfill of that range (inclusive);
 * - `{ "day": "YYYY-MM-DD" }`: one day.
 */

/** Days a scheduled run recomputes by default: yesterday and the day before (late events). */
export const DEFAULT_SCHEDULED_ROLLUP_DAYS = 2;

/** Most days one invocation may recompute (a Lambda runs 15 minutes at most; split longer backfills). */
export const MAX_BACKFILL_DAYS = 92;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a UTC day YYYY-MM-DD')
  .refine((d) => {
    const ms = Date.parse(`${d}T00:00:00.000Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === d;
  }, 'is not a calendar day');

const backfillSchema = z.object({ from: day, to: day }).strict();
const oneDaySchema = z.object({ day }).strict();
const scheduledSchema = z.object({ 'detail-type': z.literal('Scheduled Event'), time: z.string() }).loose();

/** A rollup request the Lambda cannot run; the message says what is accepted. */
export class InvalidRollupRequestError extends Error {
  override readonly name = 'InvalidRollupRequestError';
}

/** Days a request covers. Pure. */
export const rollupRangeOf = (
  event: unknown,
  nowMs: number,
  scheduledDays: number,
): { from: string; to: string } => {
  const backfill = backfillSchema.safeParse(event);
  if (backfill.success) {
    const { from, to } = backfill.data;
    const span = (dayStartMs(to) - dayStartMs(from)) / 86_400_000 + 1;
    if (span < 1) throw new InvalidRollupRequestError(`backfill "from" ${from} is after "to" ${to}`);
    if (span > MAX_BACKFILL_DAYS)
      throw new InvalidRollupRequestError(
        `backfill of ${span} days is longer than ${MAX_BACKFILL_DAYS}; split it into several invocations`,
      );
    return { from, to };
  }
  const one = oneDaySchema.safeParse(event);
  if (one.success) return { from: one.data.day, to: one.data.day };
  const scheduled = scheduledSchema.safeParse(event);
  if (isScheduledRequest(event)) {
    const atMs =
      scheduled.success && !Number.isNaN(Date.parse(scheduled.data.time))
        ? Date.parse(scheduled.data.time)
        : nowMs;
    const today = Math.floor(atMs / 86_400_000) * 86_400_000;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return { from: iso(today - scheduledDays * 86_400_000), to: iso(today - 86_400_000) };
  }
  const detail =
    backfill.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ') ||
    'unknown shape';
  throw new InvalidRollupRequestError(
    `expected a scheduled event, {"from":"YYYY-MM-DD","to":"YYYY-MM-DD"} or {"day":"YYYY-MM-DD"}: ${detail}`,
  );
};

/** True for a scheduled request (an EventBridge scheduled event or an empty one), not a backfill. Pure. */
export const isScheduledRequest = (event: unknown): boolean =>
  scheduledSchema.safeParse(event).success || event === undefined || event === null || isEmptyObject(event);

const isEmptyObject = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
