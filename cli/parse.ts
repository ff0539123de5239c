import { InvalidArgumentError } from 'commander';
import { dayStartMs } from '../lambdas/shared/time';
import { UsageError } from './errors';

/**
 * Parsing of command-line values: durations (`90s`, `1h30m`), instants (ISO, a day, `now`, or a
 * duration ago), days and key=value labels. Pure; bad input throws `UsageError` (exit code 2) or,
 * inside commander option parsers, `InvalidArgumentError` (also exit code 2).
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** `90s`, `15m`, `1h30m`, `2d`, `500ms` → milliseconds. Throws `UsageError` for anything else. */
export const parseDurationMs = (raw: string, what = 'duration'): number => {
  const text = raw.trim();
  if (!DURATION.test(text))
    throw new UsageError(`${what} "${raw}" is not a duration`, { hint: 'use e.g. 30m, 1h, 1h30m, 2d' });
  let ms = 0;
  for (const [, value, unit] of text.matchAll(PART)) ms += Number(value) * UNIT_MS[unit!]!;
  if (ms <= 0) throw new UsageError(`${what} must be longer than zero`);
  return ms;
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const isCalendarDay = (text: string): boolean => {
  if (!DAY.test(text)) return false;
  try {
    return new Date(dayStartMs(text)).toISOString().slice(0, 10) === text;
  } catch {
    return false;
  }
};

/**
 * An instant: an ISO date-time (`2026-03-02T10:00:00Z`), a UTC day (its start, or for `edge: 'end'` the
 * start of the next day, so `--from D --to D` covers day D), `now`, or a duration ago (`2h`).
 */
export const parseInstantMs = (raw: string, nowMs: number, what: string, edge: 'start' | 'end'): number => {
  const text = raw.trim();
  if (text === 'now') return nowMs;
  if (isCalendarDay(text)) return dayStartMs(text) + (edge === 'end' ? 86_400_000 : 0);
  if (DURATION.test(text)) return nowMs - parseDurationMs(text, what);
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`${what} "${raw}" is not a time`, {
    hint: 'use a UTC day (2026-03-02), an ISO time (2026-03-02T10:00:00Z), now, or a duration ago (2h, 7d)',
  });
};

/** A UTC day: `YYYY-MM-DD`, `today`, `yesterday`, or the day a duration ago (`7d`). */
export const parseDay = (raw: string, nowMs: number, what: string): string => {
  const text = raw.trim();
  const dayOfMs = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  if (text === 'today') return dayOfMs(nowMs);
  if (text === 'yesterday') return dayOfMs(nowMs - 86_400_000);
  if (isCalendarDay(text)) return text;
  if (DURATION.test(text)) return dayOfMs(nowMs - parseDurationMs(text, what));
  throw new UsageError(`${what} "${raw}" is not a day`, {
    hint: 'use a UTC day (2026-03-02), today, yesterday, or a duration ago (7d)',
  });
};

/** Commander option parser of a positive integer at most `max`. */
export const positiveInt =
  (max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };

/** Commander option parser of a whole number from 0 to `max`. */
export const nonNegativeInt =
  (max = Number.MAX_SAFE_INTEGER) =>
  (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > max)
      throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
    return n;
  };

/** Commander option parser of a non-negative number. */
export const nonNegativeNumber = (raw: string): number => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('must be a number ≥ 0');
  return n;
};

/** Commander collector of repeatable `key=value` options into a record. */
export const keyValue = (raw: string, previous: Record<string, string> = {}): Record<string, string> => {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`"${raw}" is not key=value`);
  return { ...previous, [raw.slice(0, eq)]: raw.slice(eq + 1) };
};
