/**
 * Formatting of numbers, durations and times in alerts: short, unambiguous, UTC, ASCII (SNS subjects
 * must be ASCII).
 */

/** `0.345` → `34.5%`; whole percentages lose the decimal in thresholds (`0.2` → `20%`). */
export const formatPercent = (ratio: number, opts: { exact?: boolean } = {}): string => {
  const pct = ratio * 100;
  if (opts.exact && Number.isInteger(Math.round(pct * 1e6) / 1e6)) return `${Math.round(pct)}%`;
  return `${pct.toFixed(1)}%`;
};

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/**
 * A duration in at most two units: `3_600_000` → `1h`, `5_400_000` → `1h30m`, `90_000_000` → `25h`,
 * `5_000` → `5s`, `250` → `250 ms`. Days only from 72 h on, so cadences read naturally (`25h`).
 */
export const formatDurationMs = (ms: number): string => {
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1_000) return `${abs} ms`;
  const units = abs >= 72 * 3_600_000 ? UNITS : UNITS.slice(1);
  const first = units.findIndex(([, size]) => abs >= size);
  const [bigName, bigSize] = units[first]!;
  const big = Math.floor(abs / bigSize);
  const next = units[first + 1];
  const small = next === undefined ? 0 : Math.floor((abs - big * bigSize) / next[1]);
  return `${big}${bigName}${small > 0 && next !== undefined ? `${small}${next[0]}` : ''}`;
};

/** `2026-03-02 10:05 UTC`. */
export const formatUtc = (ms: number): string =>
  `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Replace what an SNS subject cannot hold (non-ASCII, control characters) and cut to `max` chars. */
export const toSubject = (text: string, max = 100): string => {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 3)}...`;
};

/** An integer with thousands separators: `12345` → `12,345`. */
export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');
