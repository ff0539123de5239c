import { describe, expect, it } from 'vitest';
import { evaluateMath, idsOf, MetricMathError, parseSearch } from '../../dashboard/data/metric-math';

/** Metric math and SEARCH as the dashboard body uses them, evaluated locally. */

const FAILURE_RATE =
  'IF((FILL(s, 0) + FILL(f, 0) + FILL(c, 0)) >= 1, 100 * FILL(f, 0) / (FILL(s, 0) + FILL(f, 0) + FILL(c, 0)), 0)';

describe('evaluateMath', () => {
  it('computes the failure rate point by point, filling missing operands and guarding empty periods', () => {
    const series = {
      s: new Map([[0, 3]]),
      f: new Map([
        [0, 1],
        [300_000, 2],
      ]),
      c: new Map<number, number>(),
    };

    const rate = evaluateMath(FAILURE_RATE, series, 300, [0, 300_000, 600_000]);

    expect([...rate]).toEqual([
      [0, 25],
      [300_000, 100],
      [600_000, 0],
    ]);
  });

  it('leaves out points where an operand is missing and not filled, and knows PERIOD', () => {
    const tps = evaluateMath(
      'requests / PERIOD(requests)',
      { requests: new Map([[0, 600]]) },
      300,
      [0, 300_000],
    );

    expect([...tps]).toEqual([[0, 2]]);
  });

  it('names its operands and refuses functions it does not implement', () => {
    expect(idsOf(FAILURE_RATE).sort()).toEqual(['c', 'f', 's']);
    expect(() => evaluateMath('ANOMALY_DETECTION_BAND(m, 2)', { m: new Map() }, 300, [0])).toThrow(
      MetricMathError,
    );
  });
});

describe('parseSearch', () => {
  it('reads the schema, metric name, filters, statistic and period', () => {
    expect(
      parseSearch(`SEARCH('{Taskpulse,Stage,TaskType} MetricName="Failed" Stage="dev"', 'Sum', 300)`),
    ).toEqual({
      namespace: 'Taskpulse',
      dimensionNames: ['Stage', 'TaskType'],
      metricName: 'Failed',
      filters: { Stage: 'dev' },
      stat: 'Sum',
      periodSeconds: 300,
    });
    expect(parseSearch('FILL(m, 0)')).toBeUndefined();
  });
});
