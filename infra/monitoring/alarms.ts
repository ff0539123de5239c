import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_ALARM_SEVERITY, withSeverityTag } from '../../lambdas/alarm-format/severity';
import type { Severity } from '../../lambdas/domain/rules/rule';
import { AGGREGATE_METRIC } from '../../lambdas/shared/names/metrics';
import { AGGREGATE_MAX_RECORD_AGE } from '../aggregate-stream';
import type { PipelineMetricFactory, TaskMetricFactory } from './metric-factory';
import type { ResolvedMonitoringOptions } from './options';
import { alarmDescription, cliCommand, fitAlarmDescription } from './runbook';

/** A function the monitoring watches, with the short name shown on the dashboard and in alarms. */
export interface MonitoredFunction {
  readonly label: string;
  readonly fn: lambda.IFunction;
}

export interface TaskpulseAlarmsProps {
  readonly stage: string;
  readonly taskMetrics: TaskMetricFactory;
  readonly pipelineMetrics: PipelineMetricFactory;
  /** Receives every alarm's ALARM and OK notifications (the alarm topic, whose formatter forwards them). */
  readonly topic: sns.ITopic;
  readonly eventsQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** Receives stream records the aggregator could not apply. */
  readonly aggregateFailureQueue: sqs.IQueue;
  /** Receives that send an event to the dead-letter queue (for the description). */
  readonly maxReceiveCount: number;
  readonly functions: readonly MonitoredFunction[];
  /** Functions fed by the history table's stream (the aggregator): iterator-age and aggregator alarms. @default [] */
  readonly streamFunctions?: readonly MonitoredFunction[];
  readonly options: ResolvedMonitoringOptions;
}

/** A construct id from a free-form name (task types may hold `.`, `:`, `/`). */
const idPart = (name: string): string => name.replace(/[^A-Za-z0-9]/g, '_');

/**
 * The CloudWatch alarms of one deployment. Each notifies the alarm topic once when it fires and once
 * when it recovers (CloudWatch only acts on state changes), treats missing data as fine (no traffic
 * is not an incident), and says in its description what to do. The description starts with the
 * alarm's severity tag (`[warning] `; none means critical), which the alarm formatter turns into the
 * `severity` message attribute. No physical names: CloudFormation
 * names them, so stages coexist.
 */
export class TaskpulseAlarms extends Construct {
  /** Every alarm created, in creation order (the dashboard's alarm status widget lists them). */
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly props: TaskpulseAlarmsProps;
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: TaskpulseAlarmsProps) {
    super(scope, id);
    this.props = props;
    this.stackName = Stack.of(this).stackName;
    const { options, pipelineMetrics: pm, taskMetrics: tm, stage } = props;
    const runbook = options.runbookUrl;
    const cli = (command: string) => `\`${cliCommand(this.stackName, command)}\``;

    this.add('DeadLetterQueueAlarm', {
      metric: pm.visibleMessages(props.deadLetterQueue),
      threshold: 1,
      description: alarmDescription(
        `Taskpulse (${stage}): messages are in the dead-letter queue. Each failed ingest ${props.maxReceiveCount} times and its event is not stored.`,
        `look at the ingest function's errors in its log group to find the cause and fix it; then move the messages back with ${cli('redrive')}. They are kept 14 days.`,
        runbook,
      ),
    });

    this.add('OldestMessageAgeAlarm', {
      severity: 'warning',
      metric: pm.oldestMessageAgeSeconds(props.eventsQueue),
      threshold: options.alarms.oldestMessageAge.toSeconds(),
      description: alarmDescription(
        `Taskpulse (${stage}): the oldest event in the events queue has waited more than ${options.alarms.oldestMessageAge.toHumanString()}; ingest is falling behind or failing, and dashboards and alerts lag.`,
        `check the ingest function's errors, throttles and duration and DynamoDB throttles on the dashboard. If ingest is healthy but saturated, raise the ingest maxConcurrency; if it fails, fix the cause (failing messages go to the dead-letter queue after ${props.maxReceiveCount} receives).`,
        runbook,
      ),
    });

    for (const f of props.functions) this.addFunction(f);

    const rebuild = cli('rebuild --from DAY --to DAY');
    this.add('AggregateFailureQueueAlarm', {
      metric: pm.visibleMessages(props.aggregateFailureQueue),
      threshold: 1,
      description: alarmDescription(
        `Taskpulse (${stage}): the aggregator gave up on some execution changes (older than ${AGGREGATE_MAX_RECORD_AGE.toHumanString()}, the stream mapping's maximum record age). Execution history is intact, but aggregates, failure-rate checks and rollups miss those changes.`,
        `read the aggregate function's log group for the error and fix it; the failure queue messages name the stream shard, sequence numbers and times. Then recompute the affected days from the history with ${rebuild} and purge the failure queue.`,
        runbook,
      ),
    });

    for (const { label, fn } of props.streamFunctions ?? []) {
      this.add(`${idPart(label)}IteratorAgeAlarm`, {
        metric: pm.iteratorAgeMs(fn),
        threshold: options.alarms.iteratorAge.toMilliseconds(),
        description: alarmDescription(
          `Taskpulse (${stage}): the ${label} function is more than ${options.alarms.iteratorAge.toHumanString()} behind the history table's stream, so aggregates, failure-rate checks and rollups lag. Changes older than ${AGGREGATE_MAX_RECORD_AGE.toHumanString()} are given up and land in the aggregate failure queue.`,
          `check AggregateChangesRetried, the function's errors and duration and the state table's throttles on the dashboard and in the ${label} log group; fix the cause. If changes were given up, recompute those days with ${rebuild}.`,
          runbook,
        ),
      });
    }

    if ((props.streamFunctions ?? []).length > 0) {
      this.add('AggregateSkippedWritesAlarm', {
        metric: tm.metric(AGGREGATE_METRIC.writesSkipped),
        threshold: 1,
        description: alarmDescription(
          `Taskpulse (${stage}): DynamoDB refused some aggregate writes for good (e.g. ValidationException) and the aggregator skipped them. Each skip is stored in the state table under pk AS#<day> with the error, the fields and the changes it came from; aggregates and rollups of those days miss them.`,
          `read the "aggregate write skipped" entries in the aggregate log group or query the AS#<day> items, fix the cause, then recompute those days from the history with ${rebuild}.`,
          runbook,
        ),
      });
      this.add('AggregateRetriesAlarm', {
        severity: 'warning',
        metric: tm.metric(AGGREGATE_METRIC.changesRetried),
        threshold: 1,
        evaluationPeriods: 3,
        description: alarmDescription(
          `Taskpulse (${stage}): for 15 minutes the aggregator has handed changes back to the stream after transient errors (throttling, 5xx, timeouts), so aggregates lag. Nothing is lost while the changes are younger than ${AGGREGATE_MAX_RECORD_AGE.toHumanString()}.`,
          `check the state table's throttles and the aggregate log group ("aggregation will be retried"); the alarm recovers when a batch goes through. Changes given up after ${AGGREGATE_MAX_RECORD_AGE.toHumanString()} are repaired with ${rebuild}.`,
          runbook,
        ),
      });
    }

    this.add('QuarantineRateAlarm', {
      severity: 'warning',
      metric: tm.quarantinePercent(Duration.minutes(15)),
      threshold: options.alarms.quarantinePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: alarmDescription(
        `Taskpulse (${stage}): more than ${options.alarms.quarantinePercent}% of the messages in the last 15 minutes broke the event contract and were quarantined (kept with their reason, not counted).`,
        `see Quarantined by reason on the dashboard and the quarantine records (reason, producer body) in the history table; fix the producer (most often a wrong field or clock), then re-send the corrected events.`,
        runbook,
      ),
    });

    const rate = options.alarms.failureRatePercent;
    if (rate !== undefined) {
      for (const taskType of options.dashboardTaskTypes) {
        this.add(`FailureRateAlarm${idPart(taskType)}`, {
          metric: tm.failureRatePercent(taskType, Duration.hours(1), options.alarms.failureRateMinTasks),
          threshold: rate,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          description: alarmDescription(
            `Taskpulse (${stage}): more than ${rate}% of the finished ${taskType} tasks failed in the last hour (at least ${options.alarms.failureRateMinTasks} finished). This CloudWatch alarm is the AWS-native twin of the monitor's failure-rate rule.`,
            `list the failures and their errors with ${cli('failures --since 1h')}, fix the cause in the ${taskType} worker or its dependency; the alarm recovers when the hourly rate drops below the threshold.`,
            runbook,
          ),
        });
      }
    }
  }

  /** Add the error alarm of a function created after the monitoring (e.g. by another construct). */
  addFunction({ label, fn }: MonitoredFunction): cloudwatch.Alarm {
    const { stage, options } = this.props;
    return this.add(`${idPart(label)}ErrorsAlarm`, {
      severity: 'warning',
      metric: this.props.pipelineMetrics.functionErrors(fn),
      threshold: options.alarms.functionErrors,
      description: alarmDescription(
        `Taskpulse (${stage}): the ${label} function failed ${options.alarms.functionErrors} or more times in 5 minutes (errors, timeouts or out-of-memory).`,
        `open the ${label} function's log group and search for ERROR or "Task timed out"; fix the cause or raise its timeout/memory. Queue and stream triggers retry failed batches, so nothing is lost while it is fixed.`,
        options.runbookUrl,
      ),
    });
  }

  private add(
    id: string,
    spec: {
      metric: cloudwatch.IMetric;
      threshold: number;
      description: string;
      comparisonOperator?: cloudwatch.ComparisonOperator;
      /** Becomes the alert's `severity` attribute. @default 'critical' */
      severity?: Severity;
      /** Consecutive periods that must breach. @default 1 */
      evaluationPeriods?: number;
    },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator:
        spec.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: fitAlarmDescription(
        withSeverityTag(spec.severity ?? DEFAULT_ALARM_SEVERITY, spec.description),
      ),
    });
    const action = new actions.SnsAction(this.props.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}
