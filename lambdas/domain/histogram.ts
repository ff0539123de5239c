/**
 * Mergeable log-bucketed histogram (the DDSketch idea): each value lands in bin
 * `ceil(log_γ |v|)` with γ = (1 + α) / (1 − α), so any quantile read back is within a relative error
 * α of a value of the exact rank. Bins are plain counters, so histograms merge by addition and can be
 * kept as DynamoDB `ADD` counters, and retracting a value is subtracting one.
 *
 * Written here rather than taken from a library because it has to be stored as flat counters in
 * DynamoDB items; the maths is twenty lines.
 */

/** Relative accuracy of every quantile read from a histogram (2%, the design target). */
export const RELATIVE_ACCURACY = 0.02;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below this count as zero (sub-microsecond durations, float noise). */
const MIN_MAGNITUDE = 1e-9;

/** Bin counts keyed by bin name: `z` (zero), `p<i>` (positive), `n<i>` (negative). */
export type Histogram = Record<string, number>;

/** The bin a value falls into. */
export const binOf = (value: number): string => {
  const magnitude = Math.abs(value);
  if (magnitude < MIN_MAGNITUDE) return 'z';
  const index = Math.ceil(Math.log(magnitude) / LOG_GAMMA);
  return `${value > 0 ? 'p' : 'n'}${index}`;
};

/** The representative value of a bin: within α of every value in it. */
export const valueOfBin = (bin: string): number => {
  if (bin === 'z') return 0;
  const index = Number(bin.slice(1));
  const magnitude = (2 * GAMMA ** index) / (GAMMA + 1);
  return bin.startsWith('n') ? -magnitude : magnitude;
};

/** A histogram of the given values. */
export const histogramOf = (values: readonly number[]): Histogram => {
  const out: Histogram = {};
  for (const v of values) {
    const bin = binOf(v);
    out[bin] = (out[bin] ?? 0) + 1;
  }
  return out;
};

/** Sum of histograms; bins whose count drops to zero are removed. */
export const mergeHistograms = (...parts: readonly Histogram[]): Histogram => {
  const out: Histogram = {};
  for (const part of parts) {
    for (const [bin, count] of Object.entries(part)) out[bin] = (out[bin] ?? 0) + count;
  }
  for (const [bin, count] of Object.entries(out)) if (count === 0) delete out[bin];
  return out;
};

const sortedBins = (h: Histogram): [number, number][] =>
  Object.entries(h)
    .filter(([, count]) => count > 0)
    .map(([bin, count]): [number, number] => [valueOfBin(bin), count])
    .sort((a, b) => a[0] - b[0]);

/** Total number of values. */
export const countOf = (h: Histogram): number => Object.values(h).reduce((sum, c) => sum + Math.max(0, c), 0);

/**
 * The q-quantile (0 ≤ q ≤ 1), nearest-rank definition: the value of rank ⌈q·n⌉ (at least 1), within
 * `RELATIVE_ACCURACY` of the exact one. `undefined` for an empty histogram.
 */
export const quantileOf = (h: Histogram, q: number): number | undefined => {
  const bins = sortedBins(h);
  const n = bins.reduce((sum, [, c]) => sum + c, 0);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (const [value, count] of bins) {
    seen += count;
    if (seen >= rank) return value;
  }
  return bins[bins.length - 1]![0];
};

/** Number of values above a threshold, deciding per bin by its representative value (error ≤ α around it). */
export const countAbove = (h: Histogram, threshold: number): number =>
  sortedBins(h).reduce((sum, [value, count]) => (value > threshold ? sum + count : sum), 0);
