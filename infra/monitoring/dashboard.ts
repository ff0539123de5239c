import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  DefaultDashboards,
  type IDynamicDashboardFactory,
  type IDynamicDashboardSegment,
  MonitoringFacade,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { TaskStatus } from '../../lambdas/shared/contract/event';
import {
  MONITOR_METRIC,
  PIPELINE_METRIC,
  STATUS_METRIC,
  TASK_METRIC,
} from '../../lambdas/shared/names/metrics';
import type { MonitoredFunction } from './alarms';
import type { TaskMetricFactory, TimingMetricName } from './metric-factory';
import { type ResolvedMonitoringOptions, RUNBOOK_PLACEHOLDER } from './options';
import { queryCommands } from './runbook';

/** A table shown in the pipeline section. */
export interface MonitoredTable {
  readonly label: string;
  readonly table: dynamodb.ITable;
}

export interface TaskpulseDashboardProps {
  readonly stage: string;
  readonly taskMetrics: TaskMetricFactory;
  readonly options: ResolvedMonitoringOptions;
  /** Alarms listed in the alarm status widget; read at synthesis, so alarms added later still show. */
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly eventsQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly aggregateFailureQueue: sqs.IQueue;
  readonly functions: readonly MonitoredFunction[];
  readonly tables: readonly MonitoredTable[];
  /** Functions triggered by a stream (an iterator-age graph is added). @default [] */
  readonly streamFunctions?: readonly MonitoredFunction[];
}

const STATUSES = Object.keys(STATUS_METRIC) as TaskStatus[];
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
const HOUR = Duration.hours(1);

/**
 * The dashboard's name: `<stack name>-<region>` (dashboards are global per account, stack names per
 * region). Known without a reference to the dashboard, so the monitor function can link it from its
 * alerts although the dashboard's alarms reference the function.
 */
export const dashboardNameOf = (scope: Construct): string => {
  const stack = Stack.of(scope);
  return `${stack.stackName}-${stack.region}`;
};

/**
 * Sends every cdk-monitoring-constructs segment's detail widgets to our one dashboard, instead of the
 * library's default set of three dashboards.
 */
class OneDashboardFactory implements IDynamicDashboardFactory {
  constructor(private readonly dashboard: cloudwatch.Dashboard) {}

  addDynamicSegment(segment: IDynamicDashboardSegment): void {
    const widgets = segment.widgetsForDashboard(DefaultDashboards.DETAIL);
    if (widgets.length > 0) this.dashboard.addWidgets(...widgets);
  }

  getDashboard(type: string): cloudwatch.Dashboard | undefined {
    return type === DefaultDashboards.DETAIL ? this.dashboard : undefined;
  }
}

const header = (markdown: string): cloudwatch.TextWidget =>
  new cloudwatch.TextWidget({
    markdown,
    width: 24,
    height: 1,
    background: cloudwatch.TextWidgetBackground.TRANSPARENT,
  });

/**
 * The one dashboard of a deployment, top to bottom: what this is (runbook, query commands), alarm
 * status, task health over all task types, SEARCH graphs with one line per task type (configured or
 * not), a row per configured task type, and pipeline health.
 *
 * Pipeline health uses cdk-monitoring-constructs: its SQS-with-DLQ, Lambda and DynamoDB segments
 * already draw queue depth, age of oldest message, DLQ depth, invocations, errors, throttles,
 * latency percentiles, iterator age and table throttles with consistent units and annotations, which
 * would be ~150 lines of hand-made widgets to maintain. The task sections are hand-made because they
 * graph our own EMF metrics (SEARCH expressions, metric math per task type) that the library has no
 * segment for. The library's alarm factory is not used: our alarms need their own descriptions, the
 * one alert topic and CloudFormation-generated names (the library sets physical alarm names).
 */
export class TaskpulseDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  private readonly facade: MonitoringFacade;
  private readonly taskMetrics: TaskMetricFactory;

  constructor(scope: Construct, id: string, props: TaskpulseDashboardProps) {
    super(scope, id);
    const { taskMetrics: tm, options, stage } = props;
    this.taskMetrics = tm;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardNameOf(this),
      defaultInterval: Duration.hours(3),
      periodOverride: cloudwatch.PeriodOverride.AUTO,
    });

    this.dashboard.addWidgets(this.headerWidget(props));
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        // A live view of the array: alarms added after this construct are listed too.
        alarms: props.alarms as cloudwatch.IAlarm[],
        width: 24,
        height: 3,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );

    this.dashboard.addWidgets(header('## Task health · all task types'));
    this.dashboard.addWidgets(
      new cloudwatch.SingleValueWidget({
        title: 'Last hour',
        metrics: [
          tm.finished(undefined, HOUR).with({ label: 'finished tasks' }),
          tm.statusCount('failed', undefined, HOUR).with({ label: 'failed' }),
          tm.failureRatePercent(undefined, HOUR).with({ label: 'failure rate %' }),
          tm.timing(TASK_METRIC.runTime, 'p95', undefined, HOUR).with({ label: 'run time p95 (ms)' }),
          tm.pipeline(PIPELINE_METRIC.quarantined, HOUR).with({ label: 'quarantined' }),
        ],
        start: '-PT1H',
        setPeriodToTimeRange: true,
        width: 16,
        height: 4,
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Now (monitor)',
        metrics: [
          tm.monitorGauge(MONITOR_METRIC.running).with({ label: 'running' }),
          tm.monitorGauge(MONITOR_METRIC.stuck).with({ label: 'stuck' }),
        ],
        width: 8,
        height: 4,
      }),
    );
    this.dashboard.addWidgets(
      this.graph(
        'Throughput by status',
        STATUSES.map((s) => tm.statusCount(s)),
      ),
      this.graph('Failure rate %', [tm.failureRatePercent()], { max: 100 }),
      this.graph(
        'Run time (ms)',
        PERCENTILES.map((p) => tm.timing(TASK_METRIC.runTime, p)),
      ),
    );

    this.dashboard.addWidgets(header('## Per task type · every task type that sent events (SEARCH)'));
    this.dashboard.addWidgets(
      this.graph('Finished OK by task type', [tm.searchByTaskType(STATUS_METRIC.succeeded, 'Sum')], {
        width: 6,
      }),
      this.graph('Failed by task type', [tm.searchByTaskType(STATUS_METRIC.failed, 'Sum')], { width: 6 }),
      this.graph('Run time p95 by task type (ms)', [tm.searchByTaskType(TASK_METRIC.runTime, 'p95')], {
        width: 6,
      }),
      this.graph(
        'Running / stuck by task type',
        [
          tm.searchByTaskType(MONITOR_METRIC.running, 'Maximum'),
          tm.searchByTaskType(MONITOR_METRIC.stuck, 'Maximum'),
        ],
        { width: 6 },
      ),
    );

    for (const taskType of options.dashboardTaskTypes) this.addTaskTypeRow(taskType);

    this.dashboard.addWidgets(header(`## Pipeline health · ${stage}`));
    this.dashboard.addWidgets(
      this.graph('Events accepted / quarantined / retried', [
        tm.pipeline(PIPELINE_METRIC.eventsAccepted),
        tm.pipeline(PIPELINE_METRIC.quarantined),
        tm.pipeline(PIPELINE_METRIC.recordsRetried),
        tm.pipeline(PIPELINE_METRIC.duplicates),
      ]),
      this.graph('Quarantined % of messages', [tm.quarantinePercent()]),
      this.graph(
        'Ingest lag: event time → stored (ms)',
        PERCENTILES.map((p) => tm.timing(TASK_METRIC.ingestLag, p)),
      ),
    );

    this.facade = new MonitoringFacade(this, 'Pipeline', {
      dashboardFactory: new OneDashboardFactory(this.dashboard),
    });
    this.facade.monitorSqsQueueWithDlq({
      queue: props.eventsQueue,
      deadLetterQueue: props.deadLetterQueue,
      humanReadableName: 'Events queue',
      alarmFriendlyName: 'EventsQueue',
    });
    this.facade.monitorSqsQueue({
      queue: props.aggregateFailureQueue,
      humanReadableName: 'Aggregate failure queue',
      alarmFriendlyName: 'AggregateFailureQueue',
    });
    const streamFns = new Set(props.streamFunctions?.map((f) => f.fn));
    for (const f of props.functions) this.addFunction(f, streamFns.has(f.fn));
    for (const { label, table } of props.tables) {
      this.facade.monitorDynamoTable({
        table,
        humanReadableName: `${label} table`,
        alarmFriendlyName: `${label}Table`,
      });
    }
  }

  /** Add the pipeline widgets of a function created after the dashboard (e.g. by another construct). */
  addFunction({ label, fn }: MonitoredFunction, isIterator = false): void {
    this.facade.monitorLambdaFunction({
      lambdaFunction: fn,
      humanReadableName: `${label} function`,
      alarmFriendlyName: `${label}Function`,
      isIterator,
    });
  }

  /** One row per configured task type: throughput by status, failure rate, run and wait time percentiles. */
  private addTaskTypeRow(taskType: string): void {
    const tm = this.taskMetrics;
    const timing = (name: TimingMetricName) => PERCENTILES.map((p) => tm.timing(name, p, taskType));
    this.dashboard.addWidgets(header(`### ${taskType}`));
    this.dashboard.addWidgets(
      this.graph(
        `${taskType} · throughput by status`,
        STATUSES.map((s) => tm.statusCount(s, taskType)),
        { width: 6 },
      ),
      this.graph(`${taskType} · failure rate %`, [tm.failureRatePercent(taskType)], { width: 6, max: 100 }),
      this.graph(`${taskType} · run time (ms)`, timing(TASK_METRIC.runTime), { width: 6 }),
      this.graph(`${taskType} · wait time (ms)`, timing(TASK_METRIC.waitTime), { width: 6 }),
    );
  }

  private graph(
    title: string,
    metrics: cloudwatch.IMetric[],
    options: { width?: number; max?: number } = {},
  ): cloudwatch.GraphWidget {
    return new cloudwatch.GraphWidget({
      title,
      left: metrics,
      width: options.width ?? 8,
      height: 6,
      leftYAxis: { min: 0, ...(options.max !== undefined && { max: options.max }), showUnits: false },
      legendPosition: cloudwatch.LegendPosition.BOTTOM,
    });
  }

  private headerWidget(props: TaskpulseDashboardProps): cloudwatch.TextWidget {
    const { stage, options, taskMetrics } = props;
    const stackName = Stack.of(this).stackName;
    const runbook =
      options.runbookUrl === RUNBOOK_PLACEHOLDER
        ? `not configured yet (deploy with \`-c runbookUrl=https://…\`)`
        : `[${options.runbookUrl}](${options.runbookUrl})`;
    const commands = queryCommands(stackName)
      .map(({ command, what }) => `\`${command}\` ${what}`)
      .join(' · ');
    return new cloudwatch.TextWidget({
      markdown: [
        `# Taskpulse · ${stage}`,
        `Task monitoring for stack \`${stackName}\`: producers send lifecycle events to the events queue, the ingest Lambda stores executions and writes these metrics (namespace \`${taskMetrics.namespace}\`, \`Stage=${stage}\`), counted in the minute each event happened. Exact counts and percentiles are in the daily rollups; alarms notify the stack's alert topic.`,
        `**Runbook:** ${runbook}`,
        `**Query:** ${commands}`,
      ].join('\n\n'),
      width: 24,
      height: 5,
    });
  }
}
