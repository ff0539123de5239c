import { describe, expect, it } from 'vitest';
import { assessHealth, DEFAULT_HEALTH_THRESHOLDS, type HealthSignals } from '../../../lambdas/domain/health';

const NOW = Date.parse('2026-03-02T12:00:00.000Z');

/** Signals of a pipeline that is keeping up. */
const healthy = (overrides: Partial<HealthSignals> = {}): HealthSignals => ({
  nowMs: NOW,
  queueDepth: 12,
  oldestMessageAgeSeconds: 3,
  deadLetterDepth: 0,
  aggregateFailureDepth: 0,
  aggregatorLagSeconds: 2,
  lastMonitorRunMs: NOW - 120_000,
  lastRollupRunMs: NOW - 11 * 3_600_000,
  ...overrides,
});

describe('assessHealth', () => {
  it('is healthy when every signal is within its limit', () => {
    expect(assessHealth(healthy())).toEqual({ healthy: true, reasons: [] });
  });

  it('names each signal over its limit, with value and limit', () => {
    // Act
    const result = assessHealth(
      healthy({
        queueDepth: 20_000,
        oldestMessageAgeSeconds: 900,
        deadLetterDepth: 3,
        aggregateFailureDepth: 1,
        aggregatorLagSeconds: 600,
        lastMonitorRunMs: NOW - 3_600_000,
        lastRollupRunMs: NOW - 30 * 3_600_000,
      }),
    );
    // Assess
    expect(result.healthy).toBe(false);
    expect(result.reasons.map((r) => [r.check, r.value, r.limit])).toEqual([
      ['queueDepth', 20_000, 10_000],
      ['oldestMessageAge', 900, 300],
      ['deadLetterQueue', 3, 0],
      ['aggregateFailureQueue', 1, 0],
      ['aggregatorLag', 600, 300],
      ['monitorRun', 3_600, 900],
      ['rollupRun', 30 * 3_600, 26 * 3_600],
    ]);
    expect(result.reasons[2]?.message).toContain('3 messages in the dead-letter queue');
  });

  it('is unhealthy with one message in the dead-letter queue', () => {
    expect(assessHealth(healthy({ deadLetterDepth: 1 })).reasons.map((r) => r.check)).toEqual([
      'deadLetterQueue',
    ]);
  });

  it('does not count a missing CloudWatch datapoint as a problem', () => {
    const result = assessHealth(healthy({ oldestMessageAgeSeconds: null, aggregatorLagSeconds: null }));
    expect(result.healthy).toBe(true);
  });

  it('counts a monitor that never completed, but not a rollup that has not run yet', () => {
    const result = assessHealth(healthy({ lastMonitorRunMs: null, lastRollupRunMs: null }));
    expect(result.reasons.map((r) => [r.check, r.value])).toEqual([['monitorRun', null]]);
  });

  it('takes caller thresholds', () => {
    const result = assessHealth(healthy({ queueDepth: 50 }), {
      ...DEFAULT_HEALTH_THRESHOLDS,
      maxQueueDepth: 10,
    });
    expect(result.reasons.map((r) => r.check)).toEqual(['queueDepth']);
  });
});
