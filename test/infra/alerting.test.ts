import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { monitorConfigInputOf } from '../../infra/alerting';
import type { TaskpulseProps } from '../../infra/taskpulse';
import { parseMonitorConfig, settingsFor } from '../../lambdas/domain/rules/config';
import { ENV } from '../../lambdas/shared/names/env';
import { defaultStack, synthStack } from './support/synth';

/** The default stack (shared, `defaultStack`) or one synthesized with `props`. */
const synth = (props?: TaskpulseProps) => {
  const { stack, template } = props === undefined ? defaultStack() : synthStack(props);
  return { stack, template, alerting: stack.taskpulse.alerting };
};

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every policy statement attached to a function's role. */
const statementsOf = (stack: Stack, template: Template, fn: lambda.IFunction): Statement[] => {
  const roleId = stack.getLogicalId((fn.role as iam.Role).node.defaultChild as never);
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
};
const actionsOf = (statements: Statement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

/** Environment variables of a function in the template. */
const envOf = (stack: Stack, template: Template, fn: lambda.IFunction): Record<string, unknown> =>
  template.findResources('AWS::Lambda::Function')[logicalId(stack, fn)]!.Properties.Environment.Variables;

describe('TaskpulseAlerting', () => {
  const { stack, template, alerting } = synth();

  it('creates the rollup and monitor functions with their construct ids beside ingest and aggregate', () => {
    // Assess: local mode finds functions by construct id under the Taskpulse construct.
    expect(alerting.rollupFunction.node.id).toBe('RollupFunction');
    expect(alerting.monitorFunction.node.id).toBe('MonitorFunction');
    expect(alerting.rollupFunction.node.scope).toBe(stack.taskpulse);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Taskpulse rollup'),
      Runtime: 'nodejs22.x',
      Timeout: 900,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Taskpulse monitor'),
      Timeout: 120,
    });
  });

  it('schedules the rollup daily at 00:30 UTC and the monitor every 5 minutes by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 0 * * ? *)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, alerting.rollupFunction), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack, alerting.monitorFunction), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack, alerting.monitorFunction), 'Arn'] },
    });
  });

  it('takes the schedules from props', () => {
    const custom = synth({
      rollupSchedule: events.Schedule.cron({ minute: '15', hour: '2' }),
      monitorSchedule: events.Schedule.rate(Duration.minutes(1)),
    });
    custom.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(15 2 * * ? *)' });
    custom.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    custom.template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { ScheduleExpression: 'rate(5 minutes)' },
      0,
    );
  });

  it('sets every environment variable the handlers require', () => {
    const rollup = envOf(stack, template, alerting.rollupFunction);
    expect(Object.keys(rollup)).toEqual(expect.arrayContaining([ENV.stateTable, ENV.rollupDays, ENV.stage]));
    expect(rollup[ENV.rollupDays]).toBe('2');
    const monitor = envOf(stack, template, alerting.monitorFunction);
    expect(Object.keys(monitor)).toEqual(
      expect.arrayContaining([
        ENV.stateTable,
        ENV.historyTable,
        ENV.alertTopicArn,
        ENV.monitorConfig,
        ENV.stage,
      ]),
    );
    expect(monitor[ENV.alertTopicArn]).toEqual({ Ref: logicalId(stack, stack.taskpulse.alertTopic) });
    // The JSON parses with the Lambda's own parser.
    expect(() => parseMonitorConfig(String(monitor[ENV.monitorConfig]))).not.toThrow();
  });

  it('passes thresholds, per-task-type overrides and cadences to the monitor as JSON', () => {
    // Prepare
    const custom = synth({
      monitor: {
        failureRate: { threshold: 0.1 },
        alerts: { reminderInterval: Duration.hours(1) },
        runbook: 'https://wiki.example.com/taskpulse',
        overrides: { send_invoice: { failureRate: { threshold: 0.05, window: Duration.minutes(30) } } },
      },
      expectedCadences: { nightly_report: { every: Duration.hours(24), grace: Duration.minutes(30) } },
    });
    // Act
    const config = parseMonitorConfig(
      String(envOf(custom.stack, custom.template, custom.alerting.monitorFunction)[ENV.monitorConfig]),
    );
    // Assess
    expect(config.defaults.failureRate.threshold).toBe(0.1);
    expect(config.defaults.failureRate.minFinished).toBe(10);
    expect(config.defaults.alerts.reminderIntervalMs).toBe(3_600_000);
    expect(settingsFor(config, 'send_invoice').failureRate).toMatchObject({
      threshold: 0.05,
      windowMs: 1_800_000,
    });
    expect(settingsFor(config, 'other').failureRate.threshold).toBe(0.1);
    expect(settingsFor(config, 'other').runbook).toBe('https://wiki.example.com/taskpulse');
    expect(config.cadences.nightly_report).toEqual({ everyMs: 86_400_000, graceMs: 1_800_000 });
  });

  it('lets typed props win over the raw JSON config', () => {
    const input = monitorConfigInputOf(
      {
        config: { defaults: { failureRate: { threshold: 0.3, minFinished: 50 } } },
        failureRate: { threshold: 0.25 },
      },
      {},
    );
    expect(input.defaults?.failureRate).toEqual({ threshold: 0.25, minFinished: 50 });
  });

  it('maps the typed queue-stuck props to the JSON form', () => {
    const input = monitorConfigInputOf(
      { queueStuck: { timeout: Duration.minutes(15), severity: 'critical' } },
      {},
    );
    expect(input.defaults?.queueStuck).toEqual({ timeoutMs: 900_000, severity: 'critical' });
  });

  it('fails at synth on an invalid threshold, naming the path', () => {
    expect(() =>
      synth({ monitor: { overrides: { send_invoice: { failureRate: { threshold: 1.5 } } } } }),
    ).toThrow(/overrides\.send_invoice\.failureRate\.threshold/);
  });

  it('grants the rollup read on the state table, PutItem (rollups) and DeleteItem (dirty-day marks) only', () => {
    const actions = actionsOf(statementsOf(stack, template, alerting.rollupFunction));
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
    );
    for (const write of ['dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'])
      expect(actions).not.toContain(write);
    expect(actions.some((a) => a.startsWith('sns:'))).toBe(false);
  });

  it('grants the monitor reads, PutItem on the state table, publish on the topic and its key', () => {
    // Prepare
    const statements = statementsOf(stack, template, alerting.monitorFunction);
    const historyId = logicalId(stack, stack.taskpulse.historyTable);
    const stateId = logicalId(stack, stack.taskpulse.stateTable);
    const on = (id: string) => statements.filter((s) => JSON.stringify(s.Resource).includes(id));
    // Assess
    expect(actionsOf(on(historyId))).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:BatchGetItem']),
    );
    expect(actionsOf(on(historyId)).filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    expect(actionsOf(on(stateId))).toContain('dynamodb:PutItem');
    expect(actionsOf(on(stateId)).filter((a) => /Update|Delete|Write/.test(a))).toEqual([]);
    expect(actionsOf(on(logicalId(stack, stack.taskpulse.alertTopic)))).toEqual(['sns:Publish']);
    expect(actionsOf(on(logicalId(stack, stack.taskpulse.alertKey)))).toEqual(
      expect.arrayContaining(['kms:Decrypt']),
    );
  });

  it('uses no wildcard actions or resources on our resources', () => {
    for (const fn of [alerting.rollupFunction, alerting.monitorFunction]) {
      const statements = statementsOf(stack, template, fn);
      expect(statements.length).toBeGreaterThan(0);
      for (const action of actionsOf(statements)) expect(action).not.toMatch(/^\*$|:\*$/);
      for (const s of statements) expect(s.Resource).not.toBe('*');
    }
  });
});
