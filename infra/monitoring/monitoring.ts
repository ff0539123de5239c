import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { type MonitoredFunction, TaskpulseAlarms } from './alarms';
import { type MonitoredTable, TaskpulseDashboard } from './dashboard';
import { PipelineMetricFactory, TaskMetricFactory } from './metric-factory';
import { type MonitoringOptions, resolveMonitoringOptions } from './options';

export interface TaskpulseMonitoringProps {
  /** Stage: the `Stage` dimension of the metrics and the dashboard title. */
  readonly stage: string;
  /** Namespace the ingest Lambda writes its metrics to. */
  readonly namespace: string;
  /** Dashboard task types, runbook link, alarm thresholds. @default see MonitoringOptions */
  readonly options?: MonitoringOptions;
  /**
   * Every alarm notifies this topic when it fires and when it recovers (the internal alarm topic; its
   * formatter forwards to the alert topic).
   */
  readonly alarmTopic: sns.ITopic;
  readonly eventsQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly aggregateFailureQueue: sqs.IQueue;
  /** Receives before a message goes to the dead-letter queue (alarm text). */
  readonly maxReceiveCount: number;
  /** Functions that get an error alarm and pipeline widgets. */
  readonly functions: readonly MonitoredFunction[];
  /** The subset of `functions` fed by a stream (an iterator-age graph is drawn). @default [] */
  readonly streamFunctions?: readonly MonitoredFunction[];
  readonly tables: readonly MonitoredTable[];
}

/**
 * The CloudWatch side of a deployment: a metric factory over the shared metric names, the alarms
 * (→ alarm topic → formatter → alert topic) and the one dashboard. The `Taskpulse` construct creates it last so that it sees
 * every function; a function created later is added with `monitorFunction`.
 */
export class TaskpulseMonitoring extends Construct {
  readonly taskMetrics: TaskMetricFactory;
  readonly pipelineMetrics: PipelineMetricFactory;
  readonly alarms: TaskpulseAlarms;
  readonly dashboard: TaskpulseDashboard;

  constructor(scope: Construct, id: string, props: TaskpulseMonitoringProps) {
    super(scope, id);
    const options = resolveMonitoringOptions(props.options);
    this.taskMetrics = new TaskMetricFactory({ namespace: props.namespace, stage: props.stage });
    this.pipelineMetrics = new PipelineMetricFactory();
    this.alarms = new TaskpulseAlarms(this, 'Alarms', {
      stage: props.stage,
      taskMetrics: this.taskMetrics,
      pipelineMetrics: this.pipelineMetrics,
      topic: props.alarmTopic,
      eventsQueue: props.eventsQueue,
      deadLetterQueue: props.deadLetterQueue,
      aggregateFailureQueue: props.aggregateFailureQueue,
      maxReceiveCount: props.maxReceiveCount,
      functions: props.functions,
      streamFunctions: props.streamFunctions ?? [],
      options,
    });
    this.dashboard = new TaskpulseDashboard(this, 'Dashboard', {
      stage: props.stage,
      taskMetrics: this.taskMetrics,
      options,
      alarms: this.alarms.alarms,
      eventsQueue: props.eventsQueue,
      deadLetterQueue: props.deadLetterQueue,
      aggregateFailureQueue: props.aggregateFailureQueue,
      functions: props.functions,
      streamFunctions: props.streamFunctions,
      tables: props.tables,
    });

    const stack = Stack.of(this);
    if (stack.node.tryFindChild(OUTPUT.dashboardName) === undefined) {
      new CfnOutput(stack, OUTPUT.dashboardName, {
        value: this.dashboard.dashboard.dashboardName,
        key: OUTPUT.dashboardName,
      });
    }
  }

  /** Watch a function created after this construct: an error alarm and its pipeline widgets. */
  monitorFunction(f: MonitoredFunction, options: { isIterator?: boolean } = {}): void {
    this.alarms.addFunction(f);
    this.dashboard.addFunction(f, options.isIterator ?? false);
  }
}

/**
 * Every Lambda function in a construct tree, labelled by its construct id without a `Function`
 * suffix (`IngestFunction` → `Ingest`), so functions added by other constructs are monitored too.
 */
export const functionsIn = (scope: IConstruct): MonitoredFunction[] =>
  scope.node
    .findAll()
    .filter((c): c is lambda.Function => c instanceof lambda.Function)
    .map((fn) => ({ label: fn.node.id.replace(/Function$/, '') || fn.node.id, fn }));
