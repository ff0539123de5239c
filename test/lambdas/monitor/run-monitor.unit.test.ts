import { describe, expect, it } from 'vitest';
import { type MonitorConfigInput, resolveMonitorConfig } from '../../../lambdas/domain/rules/config';
import { type MonitorDeps, runMonitor } from '../../../lambdas/monitor/run-monitor';
import { makeLifecycle } from '../../support/events';
import { InMemoryFeed } from '../../support/fakes/feed';
import { InMemoryAlertStateStore, RecordingPublisher } from '../../support/fakes/stores';
import { runs } from './runs';

/**
 * The monitor use case over in-memory stores: the rules end to end from events, alert state
 * transitions, reminders and recovery, in milliseconds. run-monitor.int.test.ts runs the same use case
 * on the DynamoDB adapters and the SNS topic against moto; settle.test.ts covers publishing failures
 * and concurrent runs.
 */

const at = (iso: string) => Date.parse(iso);

const setUp = (config: MonitorConfigInput = {}) => {
  const feed = new InMemoryFeed();
  const states = new InMemoryAlertStateStore();
  const publisher = new RecordingPublisher();
  const deps: MonitorDeps = {
    aggregates: feed.aggregates,
    runs: feed.runs,
    states,
    publisher,
    config: resolveMonitorConfig(config),
    stage: 'test',
  };
  /** Run the monitor at an instant; the subjects it published. */
  const monitorAt = async (iso: string) => {
    const outcome = await runMonitor(deps, at(iso));
    expect(outcome.failures).toEqual([]);
    return publisher.take();
  };
  return { feed, states, monitorAt };
};

describe('runMonitor (in-memory stores)', () => {
  it('a failure-rate alarm is said once, reminded after the interval, and recovers once', async () => {
    const { feed, monitorAt } = setUp({ defaults: { alerts: { reminderIntervalMs: 3_600_000 } } });
    feed.send(runs('send_invoice', '2026-03-02T09:00:00Z', 55, 20, (i) => i % 3 === 0).events);

    const first = await monitorAt('2026-03-02T10:00:00Z');
    expect(first.map((a) => a.subject)).toEqual(['[ALARM] send_invoice failure rate 35.0% > 20% (last 1h)']);
    expect(first[0]!.document).toMatchObject({
      kind: 'ALARM',
      rule: 'failure-rate',
      counts: { finished: 20, failed: 7, succeeded: 13 },
    });
    expect(first[0]!.document.taskIds.length).toBeGreaterThan(0);

    feed.send(runs('send_invoice', '2026-03-02T10:00:00Z', 55, 12, (i) => i % 3 === 1).events);
    expect(await monitorAt('2026-03-02T10:30:00Z')).toEqual([]);
    expect((await monitorAt('2026-03-02T11:00:00Z')).map((a) => a.subject)).toEqual([
      '[REMINDER] send_invoice failure rate 33.3% > 20% (last 1h)',
    ]);

    feed.send(runs('send_invoice', '2026-03-02T11:00:00Z', 70, 15).events);
    expect(await monitorAt('2026-03-02T12:05:00Z')).toEqual([]);
    const ok = await monitorAt('2026-03-02T12:10:00Z');
    expect(ok.map((a) => a.subject)).toEqual(['[OK] send_invoice failure rate 0.0% <= 20% (last 1h)']);
    expect(ok[0]!.document.firingSince).toBe('2026-03-02T10:00:00.000Z');
    expect(await monitorAt('2026-03-02T12:15:00Z')).toEqual([]);
  });

  it('stores no state and says nothing below the minimum number of finished runs', async () => {
    const { feed, states, monitorAt } = setUp();
    feed.send(runs('send_invoice', '2026-03-02T09:00:00Z', 50, 9, (i) => i < 5).events);

    expect(await monitorAt('2026-03-02T10:00:00Z')).toEqual([]);
    expect(await states.list()).toEqual([]);
  });

  it('a stuck run fires once, naming every stuck run', async () => {
    const { feed, monitorAt } = setUp();
    // Two runs that started and never finished, a younger running one, and finished ones.
    const running = (taskId: string, startIso: string) =>
      makeLifecycle({ taskId, taskType: 'resize_image', startMs: at(startIso), outcome: 'running' });
    feed.send([
      ...running('resize-a', '2026-03-02T09:00:00Z'),
      ...running('resize-b', '2026-03-02T09:20:00Z'),
      ...running('resize-young', '2026-03-02T10:00:00Z'),
      ...runs('resize_image', '2026-03-02T09:00:00Z', 60, 5).events,
    ]);

    expect(await monitorAt('2026-03-02T09:55:00Z')).toEqual([]);
    const alarm = await monitorAt('2026-03-02T10:25:00Z');
    expect(alarm.map((a) => a.subject)).toEqual(['[ALARM] resize_image 2 runs stuck > 1h']);
    expect(alarm[0]!.document.taskIds).toEqual(['resize-a', 'resize-b']);
    expect(await monitorAt('2026-03-02T10:30:00Z')).toEqual([]);
  });

  it('a missed run of a declared cadence fires once', async () => {
    const { feed, monitorAt } = setUp({ cadences: { nightly_report: { everyMs: 86_400_000 } } });
    feed.send(
      makeLifecycle({ taskId: 'nightly-1', taskType: 'nightly_report', startMs: at('2026-03-01T02:00:00Z') }),
    );

    expect(await monitorAt('2026-03-02T02:30:00Z')).toEqual([]);
    expect((await monitorAt('2026-03-02T03:10:00Z')).map((a) => a.subject)).toEqual([
      '[ALARM] nightly_report missed run: none started in 25h (every 24h + 1h grace)',
    ]);
    expect(await monitorAt('2026-03-02T03:15:00Z')).toEqual([]);
  });
});
