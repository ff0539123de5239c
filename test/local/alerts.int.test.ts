import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { type AlertEmail, monitorPrintingEmails } from '../../local/alert-email';
import { FUNCTION_HANDLERS } from '../../local/function-registry';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { motoClientConfig, uniqueName } from '../support/aws';
import { makeLifecycle } from '../support/events';
import { waitFor } from './fixtures/wait';

/**
 * Local mode's alert path on the test moto_server: the real monitor runs on its accelerated schedule
 * (rate(5 minutes) at 300×: every second), publishes to the alert topic, and the
 * publisher local mode wraps hands over the email a subscriber reads, once SNS has accepted it.
 */

const sqs = new SQSClient(motoClientConfig());
let runtime: LocalRuntime;
const received: AlertEmail[] = [];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    stackName: uniqueName('LocalAlerts'),
    handlers: {
      IngestFunction: FUNCTION_HANDLERS.IngestFunction!,
      AggregateFunction: FUNCTION_HANDLERS.AggregateFunction!,
      MonitorFunction: monitorPrintingEmails((email) => received.push(email)),
    },
    // As `npm start` runs it: a 5-minute failure-rate window, the default thresholds.
    props: { monitor: { failureRate: { window: Duration.minutes(5) } } },
    accelerate: 300,
    environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
});

afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
});

const send = async (events: readonly TaskEvent[]) => {
  const queueUrl = runtime.stack.outputs[OUTPUT.eventsQueueUrl]!;
  for (let i = 0; i < events.length; i += 10) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) })),
      }),
    );
    expect(result.Failed ?? []).toEqual([]);
  }
};

/** Finished runs of one task type a few seconds ago. */
const runs = (taskType: string, outcome: 'succeeded' | 'failed', count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) =>
    makeLifecycle({
      taskType,
      taskId: `${prefix}-${i}`,
      outcome,
      startMs: Date.now() - 10_000,
      waitMs: 500,
      runMs: 1_000,
      error: { type: 'UpstreamUnavailable', message: 'upstream returned 503' },
    }),
  ).flat();

const alertsOf = (taskType: string) => received.filter((a) => a.subject.includes(` ${taskType} `));
const kindOf = (alert: AlertEmail) => /^\[(\w+)\]/.exec(alert.subject)?.[1];

describe('local alerts', () => {
  it('runs the monitor on its schedule and prints its ALARM and OK emails', async () => {
    // Prepare: 5 of 12 runs failed (41.7%, above 20% with at least 10 finished)
    const taskType = `alerting_${randomUUID().slice(0, 6)}`;

    // Act
    await send([...runs(taskType, 'succeeded', 7, 'ok'), ...runs(taskType, 'failed', 5, 'bad')]);
    // Idle ends the aggregator's open tumbling window (0013) and the mappings' batching windows
    // instead of waiting up to 30 s for them.
    await runtime.waitIdle(30_000);
    const alarm = await waitFor('the ALARM email', async () => alertsOf(taskType)[0]);

    // Assess: the email as its subscribers read it
    expect(alarm.subject).toMatch(
      new RegExp(`^\\[ALARM\\] ${taskType} failure rate \\d+\\.\\d% > 20% \\(last 5m\\)$`),
    );
    expect(alarm.text).toContain(`ALARM: failure-rate on ${taskType} started firing.`);
    expect(alarm.text).toMatch(/Counts: {3}\d+ finished: \d+ succeeded, \d+ failed \(\d+\.\d%\)/);
    expect(alarm.text).toContain('UpstreamUnavailable');
    expect(alarm.text).toContain('"upstream returned 503"');
    expect(alarm.text).toMatch(/Example failed tasks:\n {2}bad-\d/);
    expect(alarm.text).toContain(`taskpulse history --type ${taskType} --status failed`);
    expect(alarm.text).toContain('a reminder every 4h while it fires');

    // Act: enough successes to bring the rate under 20% (5 of 28)
    await send(runs(taskType, 'succeeded', 16, 'later'));
    await runtime.waitIdle(30_000);
    const ok = await waitFor('the OK email', async () => alertsOf(taskType).find((a) => kindOf(a) === 'OK'));

    // Assess: one message per state change, nothing in between
    expect(ok.subject).toMatch(
      new RegExp(`^\\[OK\\] ${taskType} failure rate \\d+\\.\\d% <= 20% \\(last 5m\\)$`),
    );
    expect(ok.text).toContain(`OK: failure-rate on ${taskType} recovered.`);
    expect(alertsOf(taskType).map(kindOf)).toEqual(['ALARM', 'OK']);
    const monitor = runtime.stats().schedules.find((s) => s.constructId === 'MonitorFunction')!;
    expect(monitor.fired).toBeGreaterThan(2);
    expect(monitor.errors).toBe(0);
  });
});
