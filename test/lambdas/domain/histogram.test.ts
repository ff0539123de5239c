import { describe, expect, it } from 'vitest';
import {
  binOf,
  countAbove,
  countOf,
  type Histogram,
  histogramOf,
  mergeHistograms,
  quantileOf,
  RELATIVE_ACCURACY,
  valueOfBin,
} from '../../../lambdas/domain/histogram';
import { randomInt, seededRandom } from '../../support/events';

/** Exact nearest-rank quantile: the value of rank ⌈q·n⌉ (at least 1) in sorted order. */
const exactQuantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};

/** Standard normal sample (Box–Muller). */
const normal = (rand: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const negate = (h: Histogram): Histogram =>
  Object.fromEntries(Object.entries(h).map(([bin, count]) => [bin, -count]));

/** Float slack on top of α: a value exactly on a bin boundary may land in either neighbouring bin. */
const BOUND = RELATIVE_ACCURACY * (1 + 1e-9);

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

const datasets: [string, (rand: () => number) => number[]][] = [
  // Task durations: lognormal around 2 s with a long tail.
  [
    'lognormal durations (ms)',
    (rand) => Array.from({ length: 5_000 }, () => Math.exp(7.6 + 1.2 * normal(rand))),
  ],
  ['uniform in [0, 1)', (rand) => Array.from({ length: 3_000 }, () => rand())],
  [
    'integers with many zeros',
    (rand) => Array.from({ length: 2_000 }, () => (rand() < 0.3 ? 0 : randomInt(rand, 1, 100_000))),
  ],
  [
    'negatives, zeros and positives',
    (rand) => Array.from({ length: 2_000 }, () => (rand() < 0.1 ? 0 : normal(rand) * 1_000)),
  ],
  ['a tiny sample', () => [42]],
  [
    'values spanning twelve orders of magnitude',
    (rand) => Array.from({ length: 1_000 }, () => 10 ** (rand() * 12 - 3)),
  ],
];

describe('histogram quantiles', () => {
  it.each(datasets)('are within RELATIVE_ACCURACY of the exact nearest-rank quantile: %s', (_, draw) => {
    // Prepare
    const values = draw(seededRandom(7));
    const h = histogramOf(values);

    for (const q of QUANTILES) {
      // Act
      const estimate = quantileOf(h, q)!;

      // Assess
      const exact = exactQuantile(values, q);
      const error = exact === 0 ? Math.abs(estimate) : Math.abs(estimate - exact) / Math.abs(exact);
      expect(error, `q=${q}: exact ${exact}, estimate ${estimate}`).toBeLessThanOrEqual(BOUND);
    }
    expect(countOf(h)).toBe(values.length);
  });

  it('reads every value back within RELATIVE_ACCURACY from its bin', () => {
    // Prepare
    const rand = seededRandom(11);
    const values = Array.from({ length: 20_000 }, () => (rand() < 0.5 ? -1 : 1) * 10 ** (rand() * 16 - 6));

    // Act
    const worst = Math.max(...values.map((v) => Math.abs(valueOfBin(binOf(v)) - v) / Math.abs(v)));

    // Assess
    expect(worst).toBeLessThanOrEqual(BOUND);
    expect(worst).toBeGreaterThan(RELATIVE_ACCURACY * 0.9);
  });

  it('keeps zero and the sign: zero has its own bin, negatives sort below it', () => {
    // Prepare
    const h = histogramOf([-5, 0, 0, 5]);

    // Act
    const quartiles = [0.25, 0.5, 0.75, 1].map((q) => quantileOf(h, q));

    // Assess
    expect(h.z).toBe(2);
    expect(quartiles[0]).toBeCloseTo(-5, 0);
    expect(quartiles.slice(1, 3)).toEqual([0, 0]);
    expect(quartiles[3]).toBeCloseTo(5, 0);
  });

  it('has no quantile when empty', () => {
    // Act / Assess
    expect(quantileOf({}, 0.5)).toBeUndefined();
    expect(countOf({})).toBe(0);
  });

  it('counts values above a threshold', () => {
    // Prepare
    const h = histogramOf([100, 200, 300, 10_000, 20_000]);

    // Act
    const above = countAbove(h, 1_000);

    // Assess
    expect(above).toBe(2);
  });
});

describe('mergeHistograms', () => {
  it('the merge of histograms is the histogram of the concatenated values', () => {
    // Prepare
    const rand = seededRandom(3);
    const parts = Array.from({ length: 5 }, () =>
      Array.from(
        { length: randomInt(rand, 0, 500) },
        () => Math.exp(6 + 2 * normal(rand)) * (rand() < 0.1 ? -1 : 1),
      ),
    );

    // Act
    const merged = mergeHistograms(...parts.map(histogramOf));

    // Assess
    expect(merged).toEqual(histogramOf(parts.flat()));
  });

  it('retracts values by subtracting their histogram, dropping empty bins', () => {
    // Prepare
    const rand = seededRandom(5);
    const kept = Array.from({ length: 300 }, () => randomInt(rand, 0, 60_000));
    const retracted = Array.from({ length: 200 }, () => randomInt(rand, 0, 60_000) + 0.5);
    const all = histogramOf([...kept, ...retracted]);

    // Act
    const result = mergeHistograms(all, negate(histogramOf(retracted)));

    // Assess
    expect(result).toEqual(histogramOf(kept));
    expect(Object.values(result).every((count) => count > 0)).toBe(true);
  });

  it('retracting everything leaves an empty histogram', () => {
    // Prepare
    const h = histogramOf([1, 2, 3, 0, -4]);

    // Act / Assess
    expect(mergeHistograms(h, negate(h))).toEqual({});
  });
});
