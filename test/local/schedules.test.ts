import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalModeError } from '../../local/errors';
import { nextFireMs, rateMs, ScheduleTimer, scheduledEventOf, toStandardCron } from '../../local/schedules';
import type { LocalSchedule } from '../../local/stack-types';

const AT = Date.parse('2026-03-02T10:02:30Z'); // a Monday

describe('schedule expressions', () => {
  it('reads rate expressions', () => {
    expect(rateMs('rate(1 minute)')).toBe(60_000);
    expect(rateMs('rate(5 minutes)')).toBe(300_000);
    expect(rateMs('rate(2 hours)')).toBe(7_200_000);
    expect(() => rateMs('rate(5 fortnights)')).toThrow(LocalModeError);
  });

  it('turns AWS cron (1 = Sunday, year) into the six fields cron-parser reads', () => {
    expect(toStandardCron('cron(0/5 * * * ? *)')).toBe('0 0/5 * * * ?');
    expect(toStandardCron('cron(0 12 ? * 2-6 *)')).toBe('0 0 12 ? * 1-5');
    expect(toStandardCron('cron(0 8 ? * 6#3 *)')).toBe('0 0 8 ? * 5#3');
    expect(toStandardCron('cron(0 18 ? * MON-FRI *)')).toBe('0 0 18 ? * MON-FRI');
    expect(() => toStandardCron('cron(0 0 1 1 ? 2030)')).toThrow(/year/);
  });

  it('computes the next fire time', () => {
    expect(new Date(nextFireMs('cron(0/5 * * * ? *)', AT)).toISOString()).toBe('2026-03-02T10:05:00.000Z');
    expect(new Date(nextFireMs('cron(5 0 * * ? *)', AT)).toISOString()).toBe('2026-03-03T00:05:00.000Z');
    expect(new Date(nextFireMs('cron(0 12 ? * 2 *)', AT)).toISOString()).toBe('2026-03-02T12:00:00.000Z');
    expect(nextFireMs('rate(5 minutes)', AT)).toBe(AT + 300_000);
  });
});

describe('scheduledEventOf', () => {
  const schedule: LocalSchedule = {
    name: 'r',
    arn: 'arn:aws:events:us-east-1:123456789012:rule/r',
    expression: 'rate(1 minute)',
  };

  it('is an EventBridge scheduled event of the rule', () => {
    expect(scheduledEventOf(schedule, 'us-east-1', '123456789012')).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      resources: [schedule.arn],
      detail: {},
    });
  });
});

describe('ScheduleTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires on an accelerated clock and never overlaps itself', async () => {
    // Prepare: rate(1 minute) at 600× fires every 100 ms; the first invocation runs until released
    vi.useFakeTimers();
    const events: unknown[] = [];
    let release: () => void = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const timer = new ScheduleTimer({
      schedule: {
        name: 'r',
        arn: 'arn:aws:events:us-east-1:123456789012:rule/r',
        expression: 'rate(1 minute)',
      },
      handler: async (event) => {
        events.push(event);
        if (events.length === 1) await blocked;
      },
      fn: { name: 'monitor' },
      region: 'us-east-1',
      accountId: '123456789012',
      accelerate: 600,
    });

    // Act: one firing starts, the next one finds it running, then it finishes and the next one runs
    timer.start();
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(100);
    release();
    await vi.advanceTimersByTimeAsync(100);
    await timer.stop();

    // Assess
    expect(timer.stats()).toEqual({ fired: 2, skipped: 1, errors: 0 });
    expect(events).toHaveLength(2);
  });
});
