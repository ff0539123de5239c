import { describe, expect, it, vi } from 'vitest';
import type { AggregateOutcome } from '../../../lambdas/aggregate/aggregate-changes';
import { aggregateMetricsOf, createAggregateMetricsPublisher } from '../../../lambdas/aggregate/metrics';
import { AGGREGATE_METRIC, AGGREGATE_METRIC_NAMES } from '../../../lambdas/shared/names/metrics';

const outcome: AggregateOutcome = {
  failedAt: '0005',
  retried: 3,
  applied: 7,
  itemsWritten: 4,
  skipped: [
    {
      intent: '0001',
      day: '2026-03-02',
      scope: 'a',
      slot: '10:00',
      part: 'err.1',
      fields: ['e_X'],
      error: { name: 'ValidationException', message: 'too big' },
      changes: [{ sequenceNumber: '0001', taskId: 't' }],
      changeCount: 1,
    },
  ],
};

describe('aggregator metrics', () => {
  it('counts applied, retried and skipped changes of a batch', () => {
    expect(aggregateMetricsOf(outcome)).toEqual({
      [AGGREGATE_METRIC.changesApplied]: 7,
      [AGGREGATE_METRIC.changesRetried]: 3,
      [AGGREGATE_METRIC.writesSkipped]: 1,
    });
  });

  it('writes one EMF document in the namespace with the Stage dimension only', () => {
    // Prepare
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    // Act
    try {
      createAggregateMetricsPublisher(
        { namespace: 'Taskpulse/QA', stage: 'qa' },
        { error: vi.fn() },
      )(outcome);
    } finally {
      write.mockRestore();
    }
    // Assess
    const docs = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('_aws'))
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(1);
    const [directive] = docs[0]._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe('Taskpulse/QA');
    expect(directive.Dimensions).toEqual([['Stage']]);
    expect(directive.Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual(
      [...AGGREGATE_METRIC_NAMES].sort(),
    );
    expect(docs[0]).toMatchObject({ Stage: 'qa', AggregateWritesSkipped: 1, AggregateChangesRetried: 3 });
  });
});
