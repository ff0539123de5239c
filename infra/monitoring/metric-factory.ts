import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { TaskStatus } from '../../lambdas/shared/contract/event';
import {
  DIMENSION,
  type MetricName,
  type MonitorMetricName,
  PIPELINE_METRIC,
  type PipelineMetricName,
  STATUS_METRIC,
  type TASK_METRIC,
} from '../../lambdas/shared/names/metrics';

/**
 * Metric factories: the one place in CDK that turns metric names into `cloudwatch.Metric`s, math
 * expressions and SEARCH expressions. The dashboard and the alarms are built from these and never
 * name a metric themselves (the monitoring / metric-factory split of cdk-monitoring-constructs).
 */

/** Statistics the timing graphs use; CloudWatch percentiles need the millisecond samples EMF sends. */
type TimingStatistic = 'p50' | 'p95' | 'p99' | 'Average' | 'Maximum';

/** Timing metrics of the ingest Lambda. */
export type TimingMetricName =
  | typeof TASK_METRIC.runTime
  | typeof TASK_METRIC.waitTime
  | typeof TASK_METRIC.ingestLag;

export interface TaskMetricFactoryProps {
  /** CloudWatch namespace the ingest Lambda writes to. */
  readonly namespace: string;
  /** Value of the `Stage` dimension: this deployment's metrics only. */
  readonly stage: string;
  /** Period of graphs and alarms unless a method says otherwise. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/** Quote a name for a SEARCH schema when CloudWatch needs it (anything but letters and digits). */
const searchName = (name: string): string => (/^[A-Za-z0-9]+$/.test(name) ? name : `"${name}"`);

/** Task and pipeline metrics of one Taskpulse deployment, from `lambdas/shared/names/metrics.ts`. */
export class TaskMetricFactory {
  readonly namespace: string;
  readonly stage: string;
  readonly period: Duration;

  constructor(props: TaskMetricFactoryProps) {
    this.namespace = props.namespace;
    this.stage = props.stage;
    this.period = props.period ?? Duration.minutes(5);
  }

  /** Any Taskpulse metric, totalled over task types (`[Stage]`) or of one task type (`[Stage, TaskType]`). */
  metric(
    name: MetricName,
    options: { taskType?: string; statistic?: string; period?: Duration; label?: string } = {},
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: {
        [DIMENSION.stage]: this.stage,
        ...(options.taskType !== undefined && { [DIMENSION.taskType]: options.taskType }),
      },
      statistic: options.statistic ?? cloudwatch.Stats.SUM,
      period: options.period ?? this.period,
      ...(options.label !== undefined && { label: options.label }),
    });
  }

  /** Events of one status (sum). */
  statusCount(status: TaskStatus, taskType?: string, period?: Duration): cloudwatch.Metric {
    return this.metric(STATUS_METRIC[status], { taskType, period, label: status });
  }

  /** Finished tasks: succeeded + failed + cancelled. */
  finished(taskType?: string, period?: Duration): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'FILL(s, 0) + FILL(f, 0) + FILL(c, 0)',
      usingMetrics: {
        s: this.statusCount('succeeded', taskType, period),
        f: this.statusCount('failed', taskType, period),
        c: this.statusCount('cancelled', taskType, period),
      },
      label: 'finished',
      period: period ?? this.period,
    });
  }

  /**
   * Failure rate in percent: failed ÷ finished (succeeded + failed + cancelled), 0 while fewer than
   * `minFinished` tasks finished in the period (so one failure out of two is not a 50% alarm).
   */
  failureRatePercent(taskType?: string, period?: Duration, minFinished = 1): cloudwatch.MathExpression {
    const total = '(FILL(s, 0) + FILL(f, 0) + FILL(c, 0))';
    return new cloudwatch.MathExpression({
      expression: `IF(${total} >= ${minFinished}, 100 * FILL(f, 0) / ${total}, 0)`,
      usingMetrics: {
        s: this.statusCount('succeeded', taskType, period),
        f: this.statusCount('failed', taskType, period),
        c: this.statusCount('cancelled', taskType, period),
      },
      label: 'failure rate %',
      period: period ?? this.period,
    });
  }

  /** A timing metric (RunTime, WaitTime, IngestLag) at one statistic. */
  timing(name: TimingMetricName, statistic: TimingStatistic, taskType?: string, period?: Duration) {
    return this.metric(name, { taskType, statistic, period, label: `${name} ${statistic}` });
  }

  /** A pipeline count of the ingest Lambda (sum). */
  pipeline(name: PipelineMetricName, period?: Duration): cloudwatch.Metric {
    return this.metric(name, { period, label: name });
  }

  /** Quarantined share of delivered messages, percent: quarantined ÷ (accepted + quarantined). */
  quarantinePercent(period?: Duration): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF((FILL(a, 0) + FILL(q, 0)) > 0, 100 * FILL(q, 0) / (FILL(a, 0) + FILL(q, 0)), 0)',
      usingMetrics: {
        a: this.pipeline(PIPELINE_METRIC.eventsAccepted, period),
        q: this.pipeline(PIPELINE_METRIC.quarantined, period),
      },
      label: 'quarantined %',
      period: period ?? this.period,
    });
  }

  /** A gauge of the monitor Lambda (latest evaluation: maximum over the period). */
  monitorGauge(name: MonitorMetricName, taskType?: string, period?: Duration): cloudwatch.Metric {
    return this.metric(name, { taskType, statistic: cloudwatch.Stats.MAXIMUM, period, label: name });
  }

  /**
   * One line per task type that has the metric, configured on the dashboard or not:
   * `SEARCH('{ns,Stage,TaskType} MetricName="…" Stage="…"', stat, period)`. Only the `[Stage, TaskType]`
   * series match the schema exactly, so configured-dimension series are not double counted.
   */
  searchByTaskType(name: MetricName, statistic: string, period?: Duration): cloudwatch.SearchExpression {
    const p = period ?? this.period;
    const schema = [this.namespace, DIMENSION.stage, DIMENSION.taskType].map(searchName).join(',');
    return new cloudwatch.SearchExpression({
      expression: `SEARCH('{${schema}} MetricName="${name}" ${DIMENSION.stage}="${this.stage}"', '${statistic}', ${p.toSeconds()})`,
      // An empty label keeps only each series' own label: the task type.
      label: '',
      period: p,
    });
  }
}

/**
 * AWS service metrics of the pipeline that the alarms use (the dashboard's pipeline section gets
 * its own from cdk-monitoring-constructs). Wrappers over the resources' metric methods so every alarm
 * uses the same period and statistic.
 */
export class PipelineMetricFactory {
  constructor(readonly period: Duration = Duration.minutes(5)) {}

  /** Messages waiting in a queue (maximum over the period). */
  visibleMessages(queue: sqs.IQueue): cloudwatch.Metric {
    return queue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.period,
    });
  }

  /** Age of the oldest message in a queue, seconds (maximum over the period). */
  oldestMessageAgeSeconds(queue: sqs.IQueue): cloudwatch.Metric {
    return queue.metricApproximateAgeOfOldestMessage({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: this.period,
    });
  }

  /** Age of the last record a stream-fed function processed, ms (maximum over the period). */
  iteratorAgeMs(fn: lambda.IFunction): cloudwatch.Metric {
    return fn.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: this.period });
  }

  /** Failed invocations of a function (sum over the period). */
  functionErrors(fn: lambda.IFunction): cloudwatch.Metric {
    return fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period: this.period });
  }
}
