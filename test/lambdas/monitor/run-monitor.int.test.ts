import { describe, expect, it } from 'vitest';
import { type MonitorConfigInput, resolveMonitorConfig } from '../../../lambdas/domain/rules/config';
import { type MonitorDeps, runMonitor } from '../../../lambdas/monitor/run-monitor';
import { DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../../../lambdas/shared/store/alert-state-store';
import { DynamoRunLookup } from '../../../lambdas/shared/store/run-lookup';
import { makeEvent, makeLifecycle } from '../../support/events';
import { createTestTables, TestFeed, type TestTables } from '../../support/tables';
import { type AlertInbox, createAlertInbox } from './alert-inbox';
import { runs } from './runs';

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

/** A fresh stack (tables, topic, subscribed queue) and the monitor wired to it. */
const setUp = async (config: MonitorConfigInput = {}) => {
  const [tables, inbox]: [TestTables, AlertInbox] = await Promise.all([
    createTestTables(),
    createAlertInbox(),
  ]);
  const deps: MonitorDeps = {
    aggregates: new DynamoAggregateReader(tables.doc, tables.stateTable),
    runs: new DynamoRunLookup(tables.doc, tables.historyTable),
    states: new DynamoAlertStateStore(tables.doc, tables.stateTable),
    publisher: inbox.publisher,
    config: resolveMonitorConfig(config),
    stage: 'test',
  };
  const feed = new TestFeed(tables);
  /** Run the monitor at an instant and return what arrived in the queue. */
  const monitorAt = async (iso: string) => {
    const outcome = await runMonitor(deps, at(iso));
    expect(outcome.failures).toEqual([]);
    return inbox.take();
  };
  return { feed, monitorAt, deps };
};

describe('runMonitor on moto_server, asserting what an SQS subscriber of the topic receives', () => {
  it('a 35% failure hour gives one ALARM, a reminder only after the interval, and one OK on recovery', async () => {
    // Prepare: 20 runs in the hour, 7 of them failed (35%).
    const { feed, monitorAt } = await setUp({ defaults: { alerts: { reminderIntervalMs: 3_600_000 } } });
    const hour = runs('send_invoice', '2026-03-02T09:00:00Z', 55, 20, (i) => i % 3 === 0);
    expect(hour.failedIds).toHaveLength(7);
    await feed.send(hour.events, at('2026-03-02T10:00:00Z'));

    // Act + Assess: exactly one ALARM.
    const first = await monitorAt('2026-03-02T10:00:00Z');
    expect(first).toHaveLength(1);
    const alarm = first[0]!;
    expect(alarm.subject).toBe('[ALARM] send_invoice failure rate 35.0% > 20% (last 1h)');
    expect(alarm.attributes).toMatchObject({
      severity: 'critical',
      rule: 'failure-rate',
      taskType: 'send_invoice',
      state: 'ALARM',
      kind: 'ALARM',
    });
    expect(alarm.document).toMatchObject({
      schema: 'taskpulse.alert/v1',
      kind: 'ALARM',
      rule: 'failure-rate',
      taskType: 'send_invoice',
      counts: { finished: 20, failed: 7, succeeded: 13 },
      measurement: { name: 'failureRate', value: 0.35, threshold: 0.2 },
      historyCommand: 'taskpulse history --type send_invoice --status failed',
    });
    expect(alarm.document.topErrors[0]).toEqual({
      type: 'TimeoutError',
      count: 5,
      sample: 'upstream did not answer within 30 s',
    });
    expect(alarm.document.taskIds.length).toBeGreaterThan(0);
    expect(hour.failedIds).toEqual(expect.arrayContaining([...alarm.document.taskIds]));

    // Failures continue (4 of 12 in the next hour): nothing before the reminder interval…
    const next = runs('send_invoice', '2026-03-02T10:00:00Z', 55, 12, (i) => i % 3 === 1);
    await feed.send(next.events, at('2026-03-02T11:00:00Z'));
    expect(await monitorAt('2026-03-02T10:05:00Z')).toEqual([]);
    expect(await monitorAt('2026-03-02T10:30:00Z')).toEqual([]);
    // …then one reminder once it has passed.
    const reminder = await monitorAt('2026-03-02T11:00:00Z');
    expect(reminder.map((r) => r.subject)).toEqual([
      '[REMINDER] send_invoice failure rate 33.3% > 20% (last 1h)',
    ]);

    // Recovery: an hour of successes; OK after two good evaluations, said once.
    const good = runs('send_invoice', '2026-03-02T11:00:00Z', 70, 15);
    await feed.send(good.events, at('2026-03-02T12:15:00Z'));
    expect(await monitorAt('2026-03-02T12:05:00Z')).toEqual([]);
    const ok = await monitorAt('2026-03-02T12:10:00Z');
    expect(ok).toHaveLength(1);
    expect(ok[0]!.subject).toBe('[OK] send_invoice failure rate 0.0% <= 20% (last 1h)');
    expect(ok[0]!.attributes).toMatchObject({ state: 'OK', severity: 'critical' });
    expect(ok[0]!.document.firingSince).toBe('2026-03-02T10:00:00.000Z');
    expect(await monitorAt('2026-03-02T12:15:00Z')).toEqual([]);
  });

  it('fires nothing below the minimum number of finished runs', async () => {
    // Prepare: 9 finished runs, 5 failed (56%), below the default minimum of 10.
    const { feed, monitorAt, deps } = await setUp();
    await feed.send(
      runs('send_invoice', '2026-03-02T09:00:00Z', 50, 9, (i) => i < 5).events,
      at('2026-03-02T10:00:00Z'),
    );
    // Act + Assess
    expect(await monitorAt('2026-03-02T10:00:00Z')).toEqual([]);
    expect(await deps.states.list()).toEqual([]);
  });

  it('a stuck run fires once, listing every stuck run on its own', async () => {
    // Prepare: two runs that started and never finished, a younger running one, and finished ones.
    const { feed, monitorAt } = await setUp();
    const stuck = ['resize-a', 'resize-b'];
    const events = [
      ...makeLifecycle({
        taskId: stuck[0],
        taskType: 'resize_image',
        startMs: at('2026-03-02T09:00:00Z'),
        outcome: 'running',
      }),
      ...makeLifecycle({
        taskId: stuck[1],
        taskType: 'resize_image',
        startMs: at('2026-03-02T09:20:00Z'),
        outcome: 'running',
      }),
      ...makeLifecycle({
        taskId: 'resize-young',
        taskType: 'resize_image',
        startMs: at('2026-03-02T10:00:00Z'),
        outcome: 'running',
      }),
      ...runs('resize_image', '2026-03-02T09:00:00Z', 60, 5).events,
    ];
    await feed.send(events, at('2026-03-02T10:25:00Z'));
    // Act + Assess: nothing before the timeout…
    expect(await monitorAt('2026-03-02T09:55:00Z')).toEqual([]);
    // …one ALARM with both stuck runs after it…
    const alarm = await monitorAt('2026-03-02T10:25:00Z');
    expect(alarm).toHaveLength(1);
    expect(alarm[0]!.subject).toBe('[ALARM] resize_image 2 runs stuck > 1h');
    expect(alarm[0]!.attributes).toMatchObject({
      rule: 'stuck',
      taskType: 'resize_image',
      severity: 'warning',
    });
    expect(alarm[0]!.document.taskIds).toEqual(stuck);
    expect(alarm[0]!.document.runs.map((r) => r.taskId)).toEqual(stuck);
    // …and nothing more while they stay stuck.
    expect(await monitorAt('2026-03-02T10:30:00Z')).toEqual([]);
  });

  it('a missed run of a task type with a declared cadence fires once, naming the task type', async () => {
    // Prepare: nightly_report must start every 24 h (+1 h grace); it ran at 02:00 on day one only.
    const { feed, monitorAt } = await setUp({ cadences: { nightly_report: { everyMs: 86_400_000 } } });
    await feed.send(
      makeLifecycle({ taskId: 'nightly-1', taskType: 'nightly_report', startMs: at('2026-03-01T02:00:00Z') }),
      at('2026-03-01T02:10:00Z'),
    );
    // Act + Assess: in time until 03:00 on day two…
    expect(await monitorAt('2026-03-02T02:30:00Z')).toEqual([]);
    // …missed after that, said once.
    const missed = await monitorAt('2026-03-02T03:10:00Z');
    expect(missed).toHaveLength(1);
    expect(missed[0]!.subject).toBe(
      '[ALARM] nightly_report missed run: none started in 25h (every 24h + 1h grace)',
    );
    expect(missed[0]!.attributes).toMatchObject({
      rule: 'missed',
      taskType: 'nightly_report',
      severity: 'critical',
    });
    expect(missed[0]!.document.taskType).toBe('nightly_report');
    expect(await monitorAt('2026-03-02T03:15:00Z')).toEqual([]);
  });

  it('runs over 5 s fire the slow alert by default, naming the slow tasks', async () => {
    // Prepare: 20 runs in the hour, 5 of them took 6 s (25% > the default 10%).
    const { feed, monitorAt } = await setUp({ defaults: { stuck: { enabled: false } } });
    const slowIds = Array.from({ length: 5 }, (_, i) => `render-slow-${i}`);
    const events = Array.from({ length: 20 }, (_, i) =>
      makeLifecycle({
        taskId: i < 5 ? slowIds[i] : `render-fast-${i}`,
        taskType: 'render_pdf',
        startMs: at('2026-03-02T09:10:00Z') + i * 2 * MIN,
        runMs: i < 5 ? 6_000 : 1_000,
      }),
    ).flat();
    await feed.send(events, at('2026-03-02T10:00:00Z'));
    // Act
    const alarm = await monitorAt('2026-03-02T10:00:00Z');
    // Assess
    expect(alarm.map((m) => m.subject)).toEqual([
      '[ALARM] render_pdf slow runs 25.0% > 10% over 5s (last 1h)',
    ]);
    expect(alarm[0]!.attributes).toMatchObject({ rule: 'slow', severity: 'warning', taskType: 'render_pdf' });
    expect([...alarm[0]!.document.taskIds].sort()).toEqual(slowIds);
    expect(await monitorAt('2026-03-02T10:05:00Z')).toEqual([]);
  });

  it('runs enqueued and never started fire the queue-stuck alert once, naming them, and recover when they start', async () => {
    // Prepare: two runs enqueued at 09:00 and 09:10 that no worker picked up, a young one, and normal runs.
    const { feed, monitorAt } = await setUp({ defaults: { stuck: { enabled: false } } });
    const enqueued = (taskId: string, iso: string) =>
      makeEvent({
        taskId,
        taskType: 'resize_image',
        status: 'enqueued',
        occurredAt: iso,
        eventId: `${taskId}-e`,
      });
    await feed.send(
      [
        enqueued('queued-a', '2026-03-02T09:00:00.000Z'),
        enqueued('queued-b', '2026-03-02T09:10:00.000Z'),
        enqueued('queued-young', '2026-03-02T09:50:00.000Z'),
        ...runs('resize_image', '2026-03-02T09:00:00Z', 50, 5).events,
      ],
      at('2026-03-02T09:55:00Z'),
    );
    // Act + Assess: nothing while they are younger than the 30-minute timeout…
    expect(await monitorAt('2026-03-02T09:25:00Z')).toEqual([]);
    // …one ALARM naming both once they are older…
    const alarm = await monitorAt('2026-03-02T10:00:00Z');
    expect(alarm.map((m) => m.subject)).toEqual([
      '[ALARM] resize_image 2 runs enqueued and not started > 30m',
    ]);
    expect(alarm[0]!.attributes).toMatchObject({
      rule: 'queue-stuck',
      taskType: 'resize_image',
      severity: 'warning',
    });
    expect(alarm[0]!.document.taskIds).toEqual(['queued-a', 'queued-b']);
    expect(alarm[0]!.document.historyCommand).toBe('taskpulse history --type resize_image --status enqueued');
    // …nothing more while they wait; OK after they started (two good evaluations).
    expect(await monitorAt('2026-03-02T10:05:00Z')).toEqual([]);
    const start = (taskId: string) =>
      makeEvent({
        taskId,
        taskType: 'resize_image',
        status: 'started',
        occurredAt: '2026-03-02T10:06:00.000Z',
        eventId: `${taskId}-s`,
      });
    await feed.send(
      [start('queued-a'), start('queued-b'), start('queued-young')],
      at('2026-03-02T10:06:00Z'),
    );
    expect(await monitorAt('2026-03-02T10:10:00Z')).toEqual([]);
    const ok = await monitorAt('2026-03-02T10:15:00Z');
    expect(ok.map((m) => m.subject)).toEqual(['[OK] resize_image no runs waiting in the queue > 30m']);
  });
});
