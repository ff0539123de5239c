import { describe, expect, it } from 'vitest';
import { toAlertDocument } from '../../../../lambdas/domain/alerts/document';
import { renderEmail, renderSubject } from '../../../../lambdas/domain/alerts/email';
import type { AlertNotification } from '../../../../lambdas/domain/alerts/notification';
import { JSON_PROTOCOLS, toAlertMessage } from '../../../../lambdas/domain/alerts/sns-message';
import { DEFAULT_RULE_SETTINGS } from '../../../../lambdas/domain/rules/config';
import { evaluateStuck } from '../../../../lambdas/domain/rules/stuck';
import { formatDurationMs, formatPercent, toSubject } from '../../../../lambdas/shared/format';
import { ALERT_NOW_MS, failureRateEvaluation } from '../../../support/alerts';

const NOW = ALERT_NOW_MS;

/** A failure-rate ALARM notification (34.5% of 200 failed), overridable. */
const failureAlarm = (
  overrides: Partial<AlertNotification> = {},
  scope = 'send_invoice',
): AlertNotification => {
  const evaluation = failureRateEvaluation(scope);
  return {
    id: 'n-1',
    kind: 'ALARM',
    evaluation: { ...evaluation, taskIds: ['inv-1', 'inv-2'] },
    stage: 'prod',
    firingSince: new Date(NOW).toISOString(),
    runbook: 'https://wiki.example.com/runbooks/send_invoice',
    reminderIntervalMs: 14_400_000,
    ...overrides,
  };
};

describe('alert subject', () => {
  it('reads like the issue example', () => {
    expect(renderSubject(failureAlarm())).toBe('[ALARM] send_invoice failure rate 34.5% > 20% (last 1h)');
    expect(renderSubject(failureAlarm({ kind: 'OK' }))).toBe(
      '[OK] send_invoice failure rate 34.5% <= 20% (last 1h)',
    );
  });

  it('is ASCII and at most 100 characters, whatever the scope', () => {
    const long = renderSubject(failureAlarm({}, `${'t'.repeat(64)}|marketplace=Zürich-${'x'.repeat(40)}`));
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long).toMatch(/^[\x20-\x7e]+$/);
    expect(long.endsWith('...')).toBe(true);
    expect(toSubject('ok')).toBe('ok');
  });
});

describe('alert email', () => {
  it('says what fired, the window, counts, top errors with a sample, task IDs, since, runbook and history', () => {
    const text = renderEmail(failureAlarm());
    expect(text).toContain('ALARM: failure-rate on send_invoice started firing.');
    expect(text).toContain('Window:   2026-03-02 09:05 UTC to 2026-03-02 10:05 UTC');
    expect(text).toContain('200 finished: 129 succeeded, 69 failed (34.5%), 2 cancelled; 14 needed retries');
    expect(text).toContain('TimeoutError (52): "upstream did not answer within 30 s"');
    expect(text).toContain('Example failed tasks:\n  inv-1\n  inv-2');
    expect(text).toContain('Since:    2026-03-02 10:05 UTC (just started)');
    expect(text).toContain('Runbook:  https://wiki.example.com/runbooks/send_invoice');
    expect(text).toContain('taskpulse history --type send_invoice --status failed');
  });

  it('names the stack in its CLI command and links the dashboard and the monitor logs', () => {
    // Prepare
    const deployment = {
      stackName: 'Taskpulse-prod',
      dashboardUrl:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/tp',
      logsUrl:
        'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/mon',
    };
    // Act
    const n = failureAlarm({ deployment });
    const text = renderEmail(n);
    const doc = toAlertDocument(n);
    // Assess
    expect(text).toContain('taskpulse history --type send_invoice --status failed --stack Taskpulse-prod');
    expect(text).toContain('Stage:    prod (stack Taskpulse-prod)');
    expect(text).toContain(`Dashboard: ${deployment.dashboardUrl}`);
    expect(text).toContain(`Logs:     ${deployment.logsUrl}`);
    expect(doc).toMatchObject({
      historyCommand: 'taskpulse history --type send_invoice --status failed --stack Taskpulse-prod',
      stackName: 'Taskpulse-prod',
      links: { dashboard: deployment.dashboardUrl, logs: deployment.logsUrl },
    });
  });

  it('tells how long an alert fired when it recovers', () => {
    const text = renderEmail(
      failureAlarm({ kind: 'OK', firingSince: '2026-03-02T08:35:00.000Z', runbook: null }),
    );
    expect(text).toContain('OK: failure-rate on send_invoice recovered.');
    expect(text).toContain('had been firing since 2026-03-02 08:35 UTC (1h30m)');
    expect(text).toContain('Runbook:  none configured');
  });

  it('lists every stuck run with its start', () => {
    const evaluation = evaluateStuck(
      'resize_image',
      ['a', 'b'].map((taskId) => ({
        taskId,
        taskType: 'resize_image',
        status: 'started' as const,
        attempt: 1,
        createdAt: '2026-03-02T08:00:00.000Z',
        startedAt: '2026-03-02T08:00:00.000Z',
        dimensions: {},
      })),
      DEFAULT_RULE_SETTINGS.stuck,
      NOW,
    );
    const n = failureAlarm({ evaluation });
    expect(renderSubject(n)).toBe('[ALARM] resize_image 2 runs stuck > 1h');
    expect(renderEmail(n)).toContain(
      'Stuck runs:\n  a  started 2026-03-02 08:00 UTC (2h5m ago), attempt 1, started',
    );
    expect(toAlertDocument(n).runs.map((r) => r.taskId)).toEqual(['a', 'b']);
  });
});

describe('SNS message', () => {
  it('carries text for people, the JSON document for machines, and filterable attributes', () => {
    // Act
    const message = toAlertMessage(failureAlarm({}, 'send_invoice|marketplace=DE'));
    const bodies = JSON.parse(message.message) as Record<string, string>;
    // Assess
    expect(bodies.default).toBe(bodies.email);
    expect(bodies.email).toContain('ALARM: failure-rate on send_invoice marketplace=DE started firing.');
    for (const protocol of JSON_PROTOCOLS) {
      const doc = JSON.parse(bodies[protocol]!);
      expect(doc).toMatchObject({
        schema: 'taskpulse.alert/v1',
        taskType: 'send_invoice',
        dimension: { key: 'marketplace', value: 'DE' },
        measurement: { name: 'failureRate', value: 0.345, threshold: 0.2, unit: 'ratio' },
        window: { start: '2026-03-02T09:05:00.000Z', end: '2026-03-02T10:05:00.000Z' },
      });
    }
    expect(message.attributes).toEqual({
      severity: 'critical',
      rule: 'failure-rate',
      taskType: 'send_invoice',
      scope: 'send_invoice|marketplace=DE',
      state: 'ALARM',
      kind: 'ALARM',
      stage: 'prod',
      notificationId: 'n-1',
    });
    expect(message.subject.length).toBeLessThanOrEqual(100);
  });
});

describe('formatting', () => {
  it('writes durations in at most two units and percentages with one decimal', () => {
    expect(
      [250, 5_000, 90_000, 3_600_000, 5_400_000, 90_000_000, 7 * 86_400_000].map(formatDurationMs),
    ).toEqual(['250 ms', '5s', '1m30s', '1h', '1h30m', '25h', '7d']);
    expect(formatPercent(0.345)).toBe('34.5%');
    expect(formatPercent(0.2, { exact: true })).toBe('20%');
    expect(formatPercent(0.125, { exact: true })).toBe('12.5%');
  });
});
