import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../../lambdas/domain/alerts/sns-message';
import { resolveMonitorConfig } from '../../../lambdas/domain/rules/config';
import { type MonitorDeps, PUBLISH_CLAIM_LEASE_MS, runMonitor } from '../../../lambdas/monitor/run-monitor';
import type { AlertPublisher } from '../../../lambdas/shared/aws/alert-publisher';
import { DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../../../lambdas/shared/store/alert-state-store';
import { DynamoRunLookup } from '../../../lambdas/shared/store/run-lookup';
import { makeLifecycle } from '../../support/events';
import {
  createTestTables,
  restoreTables,
  snapshotTables,
  type TablesSnapshot,
  TestFeed,
} from '../../support/tables';
import { createAlertInbox } from './alert-inbox';

/**
 * EventBridge delivers a scheduled invocation at least once, so two monitor runs for the same time
 * can overlap. Whatever the interleaving, an SQS subscriber of the topic gets one ALARM.
 */

const NOW = Date.parse('2026-03-02T10:00:00Z');

/** A publisher that holds its first publish until `release()` is called, and says when it got there. */
const gatedPublisher = (inner: AlertPublisher) => {
  let reached!: () => void;
  let release!: () => void;
  const atPublish = new Promise<void>((r) => {
    reached = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const publisher: AlertPublisher = {
    publish: async (m: AlertMessage) => {
      reached();
      await gate;
      await inner.publish(m);
    },
  };
  return { publisher, atPublish, release };
};

/** A failing hour of send_invoice (10 of 20 failed), run through the real ingest and aggregation once. */
const failingHour = async (): Promise<TablesSnapshot> => {
  const tables = await createTestTables();
  const events = Array.from({ length: 20 }, (_, i) =>
    makeLifecycle({
      taskId: `inv-${i}`,
      taskType: 'send_invoice',
      startMs: NOW - 50 * 60_000 + i * 60_000,
      outcome: i % 2 === 0 ? 'failed' : 'succeeded',
    }),
  ).flat();
  await new TestFeed(tables).send(events, NOW);
  return snapshotTables(tables);
};

let hour: TablesSnapshot;
beforeAll(async () => {
  hour = await failingHour();
});

/** A copy of the failing hour on fresh tables (no alert state yet) and a subscribed queue. */
const setUp = async () => {
  const [tables, inbox] = await Promise.all([restoreTables(hour), createAlertInbox()]);
  const depsWith = (publisher: AlertPublisher): MonitorDeps => ({
    aggregates: new DynamoAggregateReader(tables.doc, tables.stateTable),
    runs: new DynamoRunLookup(tables.doc, tables.historyTable),
    states: new DynamoAlertStateStore(tables.doc, tables.stateTable),
    publisher,
    config: resolveMonitorConfig({ defaults: { stuck: { enabled: false } } }),
    stage: 'test',
  });
  const alarms = async () => (await inbox.take()).filter((m) => m.attributes.kind === 'ALARM');
  return { inbox, depsWith, alarms };
};

describe('duplicate monitor invocations against moto_server (SNS topic → SQS subscriber)', () => {
  it('two runs for the same time, the second while the first is publishing, send one ALARM', async () => {
    // Prepare
    const { inbox, depsWith, alarms } = await setUp();
    const first = gatedPublisher(inbox.publisher);
    // Act: the first run stores its transition and stops at publishing; the duplicate runs in between.
    const running = runMonitor(depsWith(first.publisher), NOW);
    await first.atPublish;
    const duplicate = await runMonitor(depsWith(inbox.publisher), NOW);
    first.release();
    const outcome = await running;
    // Assess
    expect(outcome.failures).toEqual([]);
    expect(duplicate.failures).toEqual([]);
    const received = await alarms();
    expect(received.map((m) => m.subject)).toEqual([
      '[ALARM] send_invoice failure rate 50.0% > 20% (last 1h)',
    ]);
  });

  it('two runs for the same time started together send one ALARM', async () => {
    const { inbox, depsWith, alarms } = await setUp();
    // Count what the runs hand to SNS: on a loaded machine the SDK may retry a Publish whose answer was
    // lost, which delivers the same notification twice (at-least-once, same notificationId); the
    // defect under test is two runs each publishing the transition.
    const published: string[] = [];
    const counting: AlertPublisher = {
      publish: async (m: AlertMessage) => {
        await inbox.publisher.publish(m);
        published.push(m.attributes.kind ?? '');
      },
    };
    const outcomes = await Promise.all([
      runMonitor(depsWith(counting), NOW),
      runMonitor(depsWith(counting), NOW),
    ]);
    expect(outcomes.flatMap((o) => o.failures)).toEqual([]);
    expect(published.filter((kind) => kind === 'ALARM')).toHaveLength(1);
    const received = await alarms();
    expect(new Set(received.map((m) => m.attributes.notificationId)).size).toBe(1);
  });

  it('a run repeated after it finished sends nothing new', async () => {
    const { inbox, depsWith, alarms } = await setUp();
    await runMonitor(depsWith(inbox.publisher), NOW);
    await runMonitor(depsWith(inbox.publisher), NOW);
    await runMonitor(depsWith(inbox.publisher), NOW + 60_000);
    expect(await alarms()).toHaveLength(1);
  });

  it('a run that died after claiming the message is taken over once its claim has lapsed', async () => {
    // Prepare: the first run claims the transition and dies before publishing.
    const { inbox, depsWith, alarms } = await setUp();
    const dead: AlertPublisher = {
      publish: async () => {
        throw new Error('Lambda timed out');
      },
    };
    const crashed = await runMonitor(depsWith(dead), NOW);
    expect(crashed.failures).toHaveLength(1);
    // Act + Assess: a duplicate while the claim holds leaves it alone; the first run after it lapses sends it.
    expect((await runMonitor(depsWith(inbox.publisher), NOW + 60_000)).failures).toEqual([]);
    expect(await alarms()).toEqual([]);
    await runMonitor(depsWith(inbox.publisher), NOW + PUBLISH_CLAIM_LEASE_MS);
    const received = await alarms();
    expect(received).toHaveLength(1);
    expect(received[0]!.attributes.notificationId).toBe(received[0]!.document.id);
    await runMonitor(depsWith(inbox.publisher), NOW + PUBLISH_CLAIM_LEASE_MS + 60_000);
    expect(await alarms()).toEqual([]);
  });
});
