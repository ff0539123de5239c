import { describe, expect, it } from 'vitest';
import { histogramOf } from '../../../lambdas/domain/histogram';
import {
  cumulativeBucketsOf,
  escapeLabelValue,
  formatPrometheus,
  type MetricFamily,
} from '../../../lambdas/domain/prometheus';
import { readPrometheusText } from '../../support/prometheus';

describe('formatPrometheus', () => {
  it('writes counters, gauges and histograms that a Prometheus text parser reads back', () => {
    // Prepare
    const families: MetricFamily[] = [
      {
        name: 'jobs_total',
        help: 'Jobs.\nSecond line with a \\ backslash',
        type: 'counter',
        samples: [
          { labels: { task_type: 'send_invoice', status: 'succeeded' }, value: 41 },
          { labels: { task_type: 'send_invoice', status: 'failed' }, value: 2 },
        ],
      },
      { name: 'depth', help: 'Depth.', type: 'gauge', samples: [{ labels: {}, value: 7 }] },
      {
        name: 'run_seconds',
        help: 'Run time.',
        type: 'histogram',
        series: [
          {
            labels: { task_type: 'a' },
            buckets: [
              [0.1, 1],
              [1, 3],
            ],
            count: 4,
            sum: 5.5,
          },
        ],
      },
    ];
    // Act
    const text = formatPrometheus(families);
    const { families: parsed, sampleValue } = readPrometheusText(text);
    // Assess
    expect(text.endsWith('\n')).toBe(true);
    expect(parsed.map((f) => [f.name, f.type])).toEqual([
      ['jobs_total', 'COUNTER'],
      ['depth', 'GAUGE'],
      ['run_seconds', 'HISTOGRAM'],
    ]);
    expect(parsed[0]?.help).toBe('Jobs.\nSecond line with a \\ backslash');
    expect(parsed[0]?.metrics).toEqual([
      { labels: { task_type: 'send_invoice', status: 'succeeded' }, value: '41' },
      { labels: { task_type: 'send_invoice', status: 'failed' }, value: '2' },
    ]);
    expect(
      ['0.1', '1', '+Inf'].map((le) => sampleValue('run_seconds_bucket', { task_type: 'a', le })),
    ).toEqual([1, 3, 4]);
    expect(sampleValue('run_seconds_count', { task_type: 'a' })).toBe(4);
    expect(sampleValue('run_seconds_sum', { task_type: 'a' })).toBe(5.5);
  });

  it('escapes backslash, double quote and newline in label values so they round-trip', () => {
    // Prepare
    const nasty = 'C:\\jobs\\"quoted"\nnext';
    // Act
    const text = formatPrometheus([
      { name: 'g', help: 'h', type: 'gauge', samples: [{ labels: { task_type: nasty }, value: 1 }] },
    ]);
    // Assess
    expect(escapeLabelValue(nasty)).toBe('C:\\\\jobs\\\\\\"quoted\\"\\nnext');
    expect(text.split('\n').filter((l) => l.startsWith('g{'))).toHaveLength(1);
    expect(readPrometheusText(text).samples).toEqual([{ name: 'g', labels: { task_type: nasty }, value: 1 }]);
  });

  it('refuses a metric or label name Prometheus would reject', () => {
    expect(() => formatPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(
      RangeError,
    );
    expect(() =>
      formatPrometheus([
        { name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] },
      ]),
    ).toThrow(RangeError);
  });
});

describe('cumulativeBucketsOf', () => {
  it('turns a log-bucketed histogram of milliseconds into cumulative le buckets in seconds', () => {
    // Prepare: 3 runs near 50 ms, 2 near 2 s, 1 at 20 min.
    const h = histogramOf([48, 50, 52, 1_900, 2_100, 1_200_000]);
    // Act
    const { buckets, count } = cumulativeBucketsOf(h, [0.01, 0.1, 1, 2.5, 600, 3600]);
    // Assess
    expect(count).toBe(6);
    expect(buckets).toEqual([
      [0.01, 0],
      [0.1, 3],
      [1, 3],
      [2.5, 5],
      [600, 5],
      [3600, 6],
    ]);
  });

  it('is non-decreasing and ends at or below the count', () => {
    const h = histogramOf(Array.from({ length: 500 }, (_, i) => (i * 37) % 9_000));
    const { buckets, count } = cumulativeBucketsOf(h);
    for (let i = 1; i < buckets.length; i++)
      expect(buckets[i]![1]).toBeGreaterThanOrEqual(buckets[i - 1]![1]);
    expect(buckets.at(-1)![1]).toBeLessThanOrEqual(count);
    expect(count).toBe(500);
  });
});
