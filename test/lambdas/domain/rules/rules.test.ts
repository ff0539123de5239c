import { describe, expect, it } from 'vitest';
import { AGG_FIELD } from '../../../../lambdas/domain/aggregate';
import { binOf } from '../../../../lambdas/domain/histogram';
import type { BucketAggregate } from '../../../../lambdas/domain/rules/buckets';
import { DEFAULT_RULE_SETTINGS as D } from '../../../../lambdas/domain/rules/config';
import { evaluateConsecutiveFailures } from '../../../../lambdas/domain/rules/consecutive-failures';
import { evaluateFailureRate } from '../../../../lambdas/domain/rules/failure-rate';
import { evaluateMissed } from '../../../../lambdas/domain/rules/missed';
import type { RunSummary } from '../../../../lambdas/domain/rules/run-summary';
import { evaluateSlow } from '../../../../lambdas/domain/rules/slow';
import { evaluateStuck, stuckCandidateRanges } from '../../../../lambdas/domain/rules/stuck';

const at = (hhmm: string) => Date.parse(`2026-03-02T${hhmm}:00Z`);

/** One bucket with some finished runs (by status), run times and open/started counters. */
const bucket = (
  hhmm: string,
  c: { succeeded?: number; failed?: number; runMs?: number[]; open?: number; started?: number } = {},
): BucketAggregate => {
  const fields: Record<string, number> = {};
  const add = (f: string, by = 1) => {
    fields[f] = (fields[f] ?? 0) + by;
  };
  for (const status of ['succeeded', 'failed'] as const) {
    const n = c[status] ?? 0;
    if (n > 0) {
      add(AGG_FIELD.finished, n);
      add(AGG_FIELD.statusCount(status), n);
    }
  }
  if (c.failed) add(AGG_FIELD.errorCount('TimeoutError'), c.failed);
  for (const ms of c.runMs ?? []) {
    add(AGG_FIELD.runCount);
    add(AGG_FIELD.runSum, ms);
    add(AGG_FIELD.runBin(binOf(ms)));
  }
  if (c.open) add(AGG_FIELD.open, c.open);
  if (c.started) add(AGG_FIELD.started, c.started);
  return { startMs: at(hhmm), fields };
};

describe('failure rate', () => {
  it('fires above the threshold over the window once enough runs finished', () => {
    const buckets = [bucket('08:50', { failed: 50 }), bucket('09:30', { succeeded: 13, failed: 7 })];
    const e = evaluateFailureRate('send_invoice', buckets, D.failureRate, at('10:00'));
    expect(e).toMatchObject({ firing: true, finished: 20, failed: 7, rate: 0.35 });
    // The 08:50 bucket is outside the last hour and does not count.
    expect(e.windowStartMs).toBe(at('09:00'));
    expect(e.topErrors).toEqual([{ type: 'TimeoutError', count: 7, sample: null }]);
  });

  it('does not fire at the threshold, below the minimum, or when disabled', () => {
    const exactly = [bucket('09:30', { succeeded: 8, failed: 2 })];
    expect(evaluateFailureRate('x', exactly, D.failureRate, at('10:00')).firing).toBe(false);
    const few = [bucket('09:30', { succeeded: 1, failed: 8 })];
    expect(evaluateFailureRate('x', few, D.failureRate, at('10:00')).firing).toBe(false);
    const many = [bucket('09:30', { failed: 20 })];
    expect(evaluateFailureRate('x', many, { ...D.failureRate, enabled: false }, at('10:00')).firing).toBe(
      false,
    );
  });
});

describe('consecutive failures', () => {
  const on = { ...D.consecutiveFailures, enabled: true };

  it('counts failures after the last bucket with a success', () => {
    const buckets = [
      bucket('08:00', { failed: 5 }),
      bucket('09:00', { succeeded: 1 }),
      bucket('09:20', { failed: 2 }),
      bucket('09:40', { failed: 1 }),
    ];
    const e = evaluateConsecutiveFailures('x', buckets, on, at('10:00'));
    expect(e).toMatchObject({ firing: true, streak: 3, lastSuccessMs: at('09:00') });
  });

  it('stops at a success and is off by default', () => {
    const buckets = [bucket('09:20', { failed: 5 }), bucket('09:40', { succeeded: 1, failed: 1 })];
    expect(evaluateConsecutiveFailures('x', buckets, on, at('10:00')).streak).toBe(0);
    const failing = [bucket('09:20', { failed: 5 })];
    expect(evaluateConsecutiveFailures('x', failing, D.consecutiveFailures, at('10:00')).firing).toBe(false);
  });
});

describe('slow runs', () => {
  it('counts runs above the threshold and fires above the alert share (default 10%), never without one', () => {
    const buckets = [
      bucket('09:30', {
        succeeded: 10,
        runMs: [1_000, 2_000, 6_000, 9_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
      }),
    ];
    const counted = evaluateSlow('x', buckets, { ...D.slow, alertShare: null }, at('10:00'));
    expect(counted).toMatchObject({ slow: 2, measured: 10, share: 0.2, firing: false });
    expect(evaluateSlow('x', buckets, D.slow, at('10:00')).firing).toBe(true);
    expect(evaluateSlow('x', buckets, { ...D.slow, alertShare: 0.2 }, at('10:00')).firing).toBe(false);
  });
});

describe('stuck runs', () => {
  const run = (taskId: string, startedAt: string, finishedAt?: string): RunSummary => ({
    taskId,
    taskType: 'resize_image',
    status: finishedAt === undefined ? 'started' : 'succeeded',
    attempt: 1,
    createdAt: startedAt,
    firstStartedAt: startedAt,
    startedAt,
    ...(finishedAt !== undefined && { finishedAt }),
    dimensions: {},
  });

  it('looks up only buckets with open runs created before the timeout, merged into ranges', () => {
    const buckets = [
      bucket('08:00', { open: 1 }),
      bucket('08:05', { open: 2 }),
      bucket('08:30', { started: 3 }),
      bucket('08:40', { open: 1 }),
      bucket('09:30', { open: 1 }),
    ];
    expect(stuckCandidateRanges(buckets, D.stuck, at('10:00'))).toEqual([
      { fromMs: at('08:00'), toMs: at('08:10') },
      { fromMs: at('08:40'), toMs: at('08:45') },
    ]);
  });

  it('lists every run stuck past the timeout, oldest first', () => {
    const runs = [
      run('b', '2026-03-02T08:40:00.000Z'),
      run('a', '2026-03-02T08:00:00.000Z'),
      run('a', '2026-03-02T08:00:00.000Z'),
      run('done', '2026-03-02T08:00:00.000Z', '2026-03-02T08:01:00.000Z'),
      run('young', '2026-03-02T09:30:00.000Z'),
    ];
    const e = evaluateStuck('resize_image', runs, D.stuck, at('10:00'));
    expect(e.firing).toBe(true);
    expect(e.taskIds).toEqual(['a', 'b']);
    expect(e.runs[0]).toMatchObject({ taskId: 'a', stuckForMs: 2 * 3_600_000 });
  });
});

describe('missed runs', () => {
  const cadence = { everyMs: 86_400_000, graceMs: 3_600_000, severity: 'critical' as const };

  it('fires when nothing started within the cadence plus grace', () => {
    const buckets = [{ ...bucket('02:00', { started: 1 }), startMs: Date.parse('2026-03-01T02:00:00Z') }];
    expect(evaluateMissed('nightly', buckets, cadence, Date.parse('2026-03-02T02:55:00Z')).firing).toBe(
      false,
    );
    const late = evaluateMissed('nightly', buckets, cadence, Date.parse('2026-03-02T03:10:00Z'));
    expect(late).toMatchObject({ firing: true, started: 0, lastStartMs: Date.parse('2026-03-01T02:00:00Z') });
  });
});
