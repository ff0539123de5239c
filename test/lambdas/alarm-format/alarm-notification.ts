/**
 * CloudWatch's SNS notification of an alarm state change, in the shape CloudWatch sends it (field
 * names and formats as in AWS's documentation), with overrides for one test.
 */
export const alarmNotification = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  AlarmName: 'Taskpulse-prod-TaskpulseMonitoringAlarmsDeadLetterQueue-1A2B3C4D5E6F',
  AlarmDescription:
    '[critical] Taskpulse (prod): messages are in the dead-letter queue. Each failed ingest 5 times and its event is not stored. What to do: look at the ingest errors. Runbook: https://wiki.example.com/taskpulse',
  AWSAccountId: '123456789012',
  AlarmConfigurationUpdatedTimestamp: '2026-03-01T08:00:00.000+0000',
  NewStateValue: 'ALARM',
  NewStateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (02/03/26 10:00:00)] was greater than or equal to the threshold (1.0).',
  StateChangeTime: '2026-03-02T10:05:00.123+0000',
  Region: 'US East (N. Virginia)',
  AlarmArn:
    'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Taskpulse-prod-TaskpulseMonitoringAlarmsDeadLetterQueue-1A2B3C4D5E6F',
  OldStateValue: 'OK',
  OKActions: ['arn:aws:sns:us-east-1:123456789012:Taskpulse-prod-AlarmTopic'],
  AlarmActions: ['arn:aws:sns:us-east-1:123456789012:Taskpulse-prod-AlarmTopic'],
  InsufficientDataActions: [],
  Trigger: {
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Namespace: 'AWS/SQS',
    StatisticType: 'Statistic',
    Statistic: 'MAXIMUM',
    Unit: null,
    Dimensions: [{ value: 'Taskpulse-prod-DeadLetterQueue', name: 'QueueName' }],
    Period: 300,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1.0,
    TreatMissingData: 'notBreaching',
  },
  ...overrides,
});

/** A metric-math failure-rate alarm of one task type. */
export const failureRateTrigger = (taskType: string) => ({
  Metrics: [
    { Id: 'rate', Expression: '100 * f / (s + f)', ReturnData: true },
    {
      Id: 'f',
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'Taskpulse',
          MetricName: 'TasksFailed',
          Dimensions: [
            { value: 'prod', name: 'Stage' },
            { value: taskType, name: 'TaskType' },
          ],
        },
        Period: 3600,
        Stat: 'Sum',
      },
    },
  ],
  Period: 3600,
  EvaluationPeriods: 1,
  ComparisonOperator: 'GreaterThanThreshold',
  Threshold: 20,
});
