import { describe, expect, it } from 'vitest';
import type { IngestOutcome } from '../../lambdas/ingest/ingest-batch';
import { createMetricsPublisher, toMetricRecords } from '../../lambdas/ingest/metrics';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { linesOf, MetricsReporter } from '../../local/metrics-reporter';
import { BASE_TIME_MS, makeEvent, makeLifecycle } from '../support/events';
import { outcomeOf } from '../support/outcomes';

/** The metrics lines local mode prints: what the ingest Lambda would send to CloudWatch, per task type. */

const recordsOf = (accepted: TaskEvent[], extra: Partial<IngestOutcome> = {}) =>
  toMetricRecords(outcomeOf(accepted, extra), { stage: 'dev', nowMs: BASE_TIME_MS + 10_000 });

describe('linesOf', () => {
  it('prints one line per task type, sorted, then the pipeline line', () => {
    // Prepare
    const records = recordsOf(
      [
        ...makeLifecycle({ taskType: 'send_invoice', runMs: 2_000, waitMs: 1_500 }),
        ...makeLifecycle({ taskType: 'send_invoice', outcome: 'failed', runMs: 4_000, waitMs: 500 }),
        ...makeLifecycle({ taskType: 'resize_image', runMs: 1_000, waitMs: 200 }),
      ],
      {
        quarantined: [
          { messageId: 'm-1', rejection: { code: 'schema', reason: 'status: invalid' } },
          { messageId: 'm-2', rejection: { code: 'not-json', reason: 'not JSON' } },
        ],
        duplicates: 1,
      },
    );

    // Act
    const lines = linesOf(records);

    // Assess
    expect(lines).toEqual([
      'resize_image: 1 enqueued, 1 started, 1 succeeded (0.0% failed), run p95 1000ms, wait p95 200ms, lag p95 10.0s',
      'send_invoice: 2 enqueued, 2 started, 1 succeeded, 1 failed (50.0% failed), run p95 4000ms, wait p95 1500ms, lag p95 10.0s',
      'pipeline: 9 accepted, 2 quarantined, 1 duplicates',
    ]);
  });

  it('sums a period of several batches', () => {
    const batches = [1, 2, 3].map((i) =>
      recordsOf([makeEvent({ taskId: `t-${i}`, status: 'succeeded', durationMs: i * 1_000 })]),
    );

    expect(linesOf(batches.flat())).toEqual([
      'send_invoice: 3 succeeded (0.0% failed), run p95 3000ms, lag p95 10.0s',
      'pipeline: 3 accepted, 0 quarantined',
    ]);
  });

  it('has no lines for a quiet period', () => {
    expect(linesOf([])).toEqual([]);
  });
});

describe('MetricsReporter', () => {
  it('collects what every ingest metrics publisher of the process emits, period by period', () => {
    // Prepare: EMF output off, as local mode runs it; the records are observed all the same.
    const previous = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const reporter = new MetricsReporter();
    const publish = createMetricsPublisher(
      { namespace: 'Taskpulse', stage: 'dev', dimensionKeys: [] },
      { now: () => BASE_TIME_MS + 1_000 },
    );
    try {
      // Act
      publish(outcomeOf([makeEvent({ status: 'failed', durationMs: 800 })]));
      const first = reporter.take();
      const quiet = reporter.take();
      reporter.close();
      publish(outcomeOf([makeEvent()]));

      // Assess
      expect(first).toEqual([
        'send_invoice: 1 failed (100.0% failed), run p95 800ms, lag p95 1000ms',
        'pipeline: 1 accepted, 0 quarantined',
      ]);
      expect(quiet).toEqual([]);
      expect(reporter.take()).toEqual([]);
    } finally {
      reporter.close();
      if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = previous;
    }
  });
});
