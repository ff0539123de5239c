import type { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricSink } from '../../dashboard/data/metric-sink';
import type { EmfDatum } from '../../dashboard/emf/parse-emf';

/** The local CloudWatch feed: folds data per metric and minute, holds the open minute, keeps percentiles. */

const MINUTE = 60_000;
const sent: PutMetricDataCommand['input'][] = [];
const fakeCloudWatch = {
  send: async (c: PutMetricDataCommand) => void sent.push(c.input),
} as unknown as CloudWatchClient;
const sinks: MetricSink[] = [];
afterEach(async () => {
  for (const s of sinks.splice(0)) await s.close();
  sent.length = 0;
});

const datum = (minute: number, values: number[], name = 'RunTime'): EmfDatum => ({
  namespace: 'Taskpulse',
  name,
  unit: 'Milliseconds',
  dimensions: { Stage: 'dev' },
  timestampMs: minute * MINUTE + 1_234,
  values,
});

const newSink = () => {
  const sink = new MetricSink({ cloudwatch: fakeCloudWatch, flushEveryMs: 3_600_000 });
  sinks.push(sink);
  return sink;
};

describe('MetricSink', () => {
  it('sends one statistic set per metric and minute, and only minutes that are over', async () => {
    const sink = newSink();
    sink.add([datum(10, [100, 300]), datum(10, [200]), datum(11, [50])]);

    await sink.flush(11 * MINUTE + 30_000);

    expect(sent).toHaveLength(1);
    expect(sent[0]!.MetricData).toEqual([
      {
        MetricName: 'RunTime',
        Dimensions: [{ Name: 'Stage', Value: 'dev' }],
        Timestamp: new Date(10 * MINUTE),
        Unit: 'Milliseconds',
        StatisticValues: { Sum: 600, Minimum: 100, Maximum: 300, SampleCount: 3 },
      },
    ]);

    await sink.flush();

    expect(sent[1]!.MetricData![0]!.StatisticValues).toEqual({
      Sum: 50,
      Minimum: 50,
      Maximum: 50,
      SampleCount: 1,
    });
  });

  it('answers percentiles over a range from the values received, within the histogram accuracy', () => {
    const sink = newSink();
    sink.add([
      datum(
        10,
        Array.from({ length: 100 }, (_, i) => i + 1),
      ),
      datum(20, [10_000]),
    ]);
    const id = { namespace: 'Taskpulse', name: 'RunTime', dimensions: { Stage: 'dev' } };

    const p95 = sink.percentile(id, 10 * MINUTE, 11 * MINUTE, 0.95)!;

    expect(Math.abs(p95 - 95) / 95).toBeLessThanOrEqual(0.02);
    expect(sink.percentile(id, 30 * MINUTE, 40 * MINUTE, 0.95)).toBeUndefined();
  });
});
