/**
 * Delay before retry number `retry` (1 for the first retry): exponential backoff with full jitter,
 * a uniform draw from `[0, min(capMs, baseMs * 2^(retry - 1)))`. Full jitter spreads retries of many
 * producers hit by the same throttling, so they do not come back in lockstep.
 *
 * Pure: `random` returns a number in `[0, 1)` (`Math.random` in production).
 */
export const backoffDelayMs = (
  retry: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number => {
  const exponent = Math.max(0, Math.min(retry - 1, 30));
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
};
