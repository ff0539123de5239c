import { formatCount, formatDurationMs, formatPercent } from '../../lambdas/shared/format';

/**
 * Formatting of single values in the CLI's tables: durations, ratios, counts and UTC times. Numbers
 * stay exact in `--json` output; these are for people. Missing values print as `-`.
 */

/** What a table shows for a value that does not exist (no run time, no error, nothing finished). */
export const NONE = '-';

/**
 * A duration for a table: `850 ms`, `1.5s` under a minute (one decimal, so 1.5 s is not shown as 1 s),
 * then two units as in alerts (`2m5s`, `1h30m`).
 */
export const formatDuration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  const abs = Math.max(0, ms);
  if (abs < 1_000) return `${Math.round(abs)} ms`;
  if (abs < 59_950) return `${(abs / 1_000).toFixed(1)}s`;
  return formatDurationMs(abs);
};

/** A ratio as a percentage with one decimal (`0.345` → `34.5%`); `-` when undefined (nothing finished). */
export const formatRatio = (ratio: number | null | undefined): string =>
  ratio === null || ratio === undefined || !Number.isFinite(ratio) ? NONE : formatPercent(ratio);

/** An integer with thousands separators. */
export const formatInteger = (n: number): string => formatCount(n);

/** `2026-03-02T10:00:03.250Z` → `2026-03-02 10:00:03` (UTC, to the second); `-` when missing. */
export const formatTime = (iso: string | null | undefined): string =>
  iso === null || iso === undefined ? NONE : new Date(iso).toISOString().slice(0, 19).replace('T', ' ');

/** Cut a text to `max` characters with an ellipsis, on one line. */
export const truncate = (text: string | null | undefined, max: number): string => {
  if (text === null || text === undefined || text === '') return NONE;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1))}…`;
};

/** `{marketplace: 'DE', tenant: 't1'}` → `marketplace=DE,tenant=t1`; `-` when empty. */
export const formatLabels = (labels: Readonly<Record<string, string | number>> | undefined): string => {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(',');
};
