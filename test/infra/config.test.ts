import { App, Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ContextError, configFromContext } from '../../infra/config';
import { RUNBOOK_PLACEHOLDER, resolveMonitoringOptions } from '../../infra/monitoring/options';
import { dashboardMetricRefs, renderJoin } from './support/referenced-metrics';
import { resourcesOfType, type Synthesized, synthStack } from './support/synth';

const contextProps = (context: Record<string, unknown>) => configFromContext(new App({ context }).node);

describe('configFromContext: read API keys', () => {
  it('enables the bearer token and sets the throttling limits', () => {
    expect(
      contextProps({ apiBearerToken: 'true', apiThrottleRate: '20', apiThrottleBurst: '40' }).api,
    ).toEqual({
      bearerToken: true,
      throttlingRateLimit: 20,
      throttlingBurstLimit: 40,
    });
    expect(contextProps({}).api).toBeUndefined();
  });

  it('rejects a bearer-token flag that is not true or false, naming the key', () => {
    expect(() => contextProps({ apiBearerToken: 'yes' })).toThrow(/apiBearerToken/);
  });
});

describe('configFromContext: monitoring keys', () => {
  it('reads namespace, dashboard task types, runbook and alarm thresholds', () => {
    // Act
    const props = contextProps({
      metricsNamespace: 'Acme/Tasks',
      dashboardTaskTypes: 'send_invoice, resize_image',
      runbookUrl: 'https://wiki.example.com/runbook',
      alarmOldestMessageAgeMinutes: '30',
      alarmFunctionErrors: '3',
      alarmQuarantinePercent: '0.5',
      alarmFailureRatePercent: '25',
      alarmFailureRateMinTasks: '20',
    });

    // Assess
    expect(props.metricsNamespace).toBe('Acme/Tasks');
    expect(props.monitoring?.dashboardTaskTypes).toEqual(['send_invoice', 'resize_image']);
    expect(props.monitoring?.runbookUrl).toBe('https://wiki.example.com/runbook');
    expect(props.monitoring?.alarms?.oldestMessageAge?.toMinutes()).toBe(30);
    expect(props.monitoring?.alarms).toMatchObject({
      functionErrors: 3,
      quarantinePercent: 0.5,
      failureRatePercent: 25,
      failureRateMinTasks: 20,
    });
  });

  it('leaves monitoring unset when no monitoring key is given', () => {
    expect(contextProps({ stage: 'prod' }).monitoring).toBeUndefined();
  });

  it('rejects malformed values with the key in the message', () => {
    expect(() => contextProps({ alarmQuarantinePercent: 'lots' })).toThrow(ContextError);
    expect(() => contextProps({ alarmFunctionErrors: '1.5' })).toThrow(/alarmFunctionErrors/);
    expect(() => contextProps({ runbookUrl: 'wiki page' })).toThrow(/runbookUrl/);
    expect(() => contextProps({ metricsNamespace: 'AWS/Lambda' })).toThrow(/metricsNamespace/);
  });
});

describe('configFromContext: alerting keys', () => {
  it('reads schedules and monitor thresholds with per-task-type overrides', () => {
    // Act
    const props = contextProps({
      rollupSchedule: 'cron(15 1 * * ? *)',
      monitorSchedule: 'rate(2 minutes)',
      monitorConfig: JSON.stringify({
        defaults: { failureRate: { threshold: 0.1 } },
        overrides: { send_invoice: { failureRate: { threshold: 0.05, minFinished: 20 } } },
      }),
    });

    // Assess
    expect(props.rollupSchedule?.expressionString).toBe('cron(15 1 * * ? *)');
    expect(props.monitorSchedule?.expressionString).toBe('rate(2 minutes)');
    expect(props.monitor?.config).toMatchObject({
      overrides: { send_invoice: { failureRate: { threshold: 0.05 } } },
    });
  });

  it('rejects a monitor configuration that does not parse, naming the key', () => {
    expect(() =>
      contextProps({ monitorConfig: JSON.stringify({ defaults: { failureRate: { threshold: 'high' } } }) }),
    ).toThrow(/monitorConfig/);
  });
});

describe('resolveMonitoringOptions', () => {
  it('fills defaults under the caller values, never over them', () => {
    const resolved = resolveMonitoringOptions({ alarms: { functionErrors: 5 } });
    expect(resolved.alarms.functionErrors).toBe(5);
    expect(resolved.alarms.oldestMessageAge.toSeconds()).toBe(Duration.minutes(15).toSeconds());
    expect(resolved.alarms.failureRatePercent).toBeUndefined();
    expect(resolved.runbookUrl).toBe(RUNBOOK_PLACEHOLDER);
    expect(resolved.dashboardTaskTypes).toEqual([]);
  });
});

describe('two deployments in one account', () => {
  let blueStack: Synthesized | undefined;
  const blue = (): Synthesized => {
    blueStack ??= synthStack({ stage: 'blue' }, { stackName: 'Taskpulse-blue' });
    return blueStack;
  };

  it('hard-codes no physical names, so two stages can be deployed side by side', () => {
    // The dashboard is named after its stack and region (decision 0032: alerts link it), so names differ per stage.
    const [[, dashboard] = []] = resourcesOfType(blue().resources, 'AWS::CloudWatch::Dashboard');
    expect(renderJoin(dashboard?.Properties?.DashboardName)).toBe('Taskpulse-blue-TOKEN');
    const named = [
      ['AWS::DynamoDB::Table', 'TableName'],
      ['AWS::SQS::Queue', 'QueueName'],
      ['AWS::SNS::Topic', 'TopicName'],
      ['AWS::Lambda::Function', 'FunctionName'],
      ['AWS::CloudWatch::Alarm', 'AlarmName'],
      ['AWS::IAM::Role', 'RoleName'],
      ['AWS::Logs::LogGroup', 'LogGroupName'],
    ] as const;
    const { resources } = blue();
    for (const [type, property] of named)
      for (const [id, r] of resourcesOfType(resources, type))
        expect(r.Properties?.[property], id).toBeUndefined();
  });

  it('separates the stages in the metrics by the Stage dimension', () => {
    const green = synthStack({ stage: 'green' }, { stackName: 'Taskpulse-green' });
    expect(blue().stack.taskpulse.monitoring.taskMetrics.stage).toBe('blue');
    expect(green.stack.taskpulse.monitoring.taskMetrics.stage).toBe('green');
    const stages = dashboardMetricRefs(green.resources).flatMap((r) =>
      r.dimensions?.Stage === undefined ? [] : [r.dimensions.Stage],
    );
    expect(new Set(stages)).toEqual(new Set(['green']));
  });
});
