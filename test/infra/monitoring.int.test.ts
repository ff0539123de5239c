import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/synth';
import { TaskpulseStack } from '../../infra/taskpulse-stack';
import { ENV } from '../../lambdas/shared/names/env';
import {
  AGGREGATE_METRIC_NAMES,
  DIMENSION,
  INGEST_METRIC_NAMES,
  type MetricName,
  MONITOR_METRIC_NAMES,
} from '../../lambdas/shared/names/metrics';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { makeLifecycle } from '../support/events';
import {
  type Captured,
  captureIngestEmf,
  captureMonitorEmf,
  emfProblems,
  emittedMetrics,
} from './support/emf';
import {
  alarmMetricRefs,
  dashboardMetricRefs,
  type MetricRef,
  renderJoin,
} from './support/referenced-metrics';
import { resourcesOfType, type Synthesized, synthStack } from './support/synth';

type Widget = { type: string; properties: Record<string, unknown> };

const TASK_TYPES = ['send_invoice', 'resize.image'];
const RUNBOOK = 'https://wiki.example.com/taskpulse/runbook';

/** A function's environment in the template: what the deployed Lambda would read. */
const functionEnv = (s: Synthesized, fn: lambda.IFunction): Record<string, string> => {
  const id = s.stack.getLogicalId(fn.node.defaultChild as never);
  const environment = s.resources[id]?.Properties?.Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  const vars = Object.entries(environment?.Variables ?? {});
  return Object.fromEntries(vars.filter((e): e is [string, string] => typeof e[1] === 'string'));
};

/** One synthesis for the whole file: a non-default namespace, stage and dimension key, so wiring mistakes show. */
let synth: Synthesized;
beforeAll(() => {
  synth = synthStack({
    stage: 'qa',
    metricsNamespace: 'Taskpulse/QA',
    aggregateDimensions: ['marketplace'],
    monitoring: { dashboardTaskTypes: TASK_TYPES, runbookUrl: RUNBOOK, alarms: { failureRatePercent: 20 } },
  });
});

describe('dashboard and alarms reference only metrics the ingest and monitor Lambdas emit', () => {
  let captured: Captured;
  let monitorCaptured: Captured;
  let refs: MetricRef[];
  let env: Record<string, string>;

  beforeAll(async () => {
    // Prepare
    env = functionEnv(synth, synth.stack.taskpulse.ingestFunction);
    const start = Date.now() - 10 * 60_000;
    // Act: run the real handler with the environment CDK gives the function.
    captured = await captureIngestEmf(
      [
        ...makeLifecycle({ taskType: 'send_invoice', startMs: start, dimensions: { marketplace: 'DE' } }),
        ...makeLifecycle({ taskType: 'resize.image', startMs: start, outcome: 'failed' }),
        ...makeLifecycle({ taskType: 'sync_orders', startMs: start, attempts: 2, outcome: 'cancelled' }),
      ],
      {
        stage: env[ENV.stage],
        namespace: env[ENV.metricsNamespace],
        dimensionKeys: env[ENV.aggregateDimensions],
        extraBodies: ['{not json'],
      },
    );
    // Act: run the real monitor handler with its environment from the template, over a run that
    // started 2 hours ago and never finished (running and stuck).
    monitorCaptured = await captureMonitorEmf(
      makeLifecycle({ taskType: 'resize.image', startMs: Date.now() - 2 * 3_600_000, outcome: 'running' }),
      functionEnv(synth, synth.stack.taskpulse.alerting.monitorFunction),
    );
    refs = [...dashboardMetricRefs(synth.resources), ...alarmMetricRefs(synth.resources)];
  });

  it('gives the ingest function the namespace, stage and dimension keys', () => {
    expect(env[ENV.metricsNamespace]).toBe('Taskpulse/QA');
    expect(env[ENV.stage]).toBe('qa');
    expect(env[ENV.aggregateDimensions]).toBe('marketplace');
  });

  it('captures valid EMF from the handler runs, in the configured namespace', () => {
    for (const run of [captured, monitorCaptured]) {
      expect(run.documents.length).toBeGreaterThan(0);
      for (const doc of run.documents) expect(emfProblems(doc)).toEqual([]);
      expect(new Set(run.documents.flatMap((d) => d._aws.CloudWatchMetrics.map((m) => m.Namespace)))).toEqual(
        new Set(['Taskpulse/QA']),
      );
    }
  });

  it('has the monitor publish the running and stuck gauges it saw', () => {
    const doc = monitorCaptured.documents.find((d) => d.TaskType === 'resize.image');
    expect(doc).toMatchObject({ Stage: 'qa', Running: 1, Stuck: 1 });
  });

  it('references our namespace from the dashboard and from alarms', () => {
    expect(
      dashboardMetricRefs(synth.resources).filter((r) => r.namespace === 'Taskpulse/QA').length,
    ).toBeGreaterThan(20);
    expect(
      alarmMetricRefs(synth.resources).filter((r) => r.namespace === 'Taskpulse/QA').length,
    ).toBeGreaterThan(0);
  });

  it('names only metrics of the shared module', () => {
    const known = new Set<string>([
      ...INGEST_METRIC_NAMES,
      ...MONITOR_METRIC_NAMES,
      ...AGGREGATE_METRIC_NAMES,
    ]);
    const unknown = refs.filter((r) => r.namespace === 'Taskpulse/QA' && !known.has(r.metricName));
    expect(unknown).toEqual([]);
  });

  it('uses no Taskpulse-looking namespace other than the configured one', () => {
    const custom = refs.filter((r) => !r.namespace.startsWith('AWS/') && r.namespace !== 'TOKEN');
    expect(new Set(custom.map((r) => r.namespace))).toEqual(new Set(['Taskpulse/QA']));
  });

  it('references every metric under a dimension set a handler emitted it with (every widget and alarm)', () => {
    const emitted =
      emittedMetrics([...captured.documents, ...monitorCaptured.documents]).get('Taskpulse/QA') ??
      new Map<string, Set<string>>();
    // The aggregator's metrics are checked against its own EMF in test/lambdas/aggregate/metrics.test.ts.
    const elsewhere = new Set<string>(AGGREGATE_METRIC_NAMES);
    const missing = refs
      .filter((r) => r.namespace === 'Taskpulse/QA' && !elsewhere.has(r.metricName))
      .flatMap((r) => {
        const dims =
          r.searchSchema !== undefined ? [...r.searchSchema].sort() : Object.keys(r.dimensions ?? {}).sort();
        return emitted.get(r.metricName)?.has(dims.join(','))
          ? []
          : [`${r.source}: ${r.metricName} [${dims}]`];
      });
    expect(missing).toEqual([]);
  });

  it('filters every Taskpulse metric to this stage', () => {
    const ours = refs.filter((r) => r.namespace === 'Taskpulse/QA');
    for (const r of ours) {
      if (r.dimensions !== undefined) expect(r.dimensions[DIMENSION.stage]).toBe('qa');
      else expect(r.searchSchema).toContain(DIMENSION.stage);
    }
  });

  it('graphs the monitor gauges with the monitor metric names', () => {
    const names = new Set(refs.map((r) => r.metricName));
    for (const name of MONITOR_METRIC_NAMES) expect(names.has(name)).toBe(true);
  });

  it('graphs every ingest task metric somewhere', () => {
    const names = new Set<string>(refs.map((r) => r.metricName));
    const notGraphed = INGEST_METRIC_NAMES.filter((n: MetricName) => !names.has(n));
    expect(notGraphed).toEqual([]);
  });
});

describe('alert messages of the monitor', () => {
  it('get the one runbook URL, the stack name and console links to the dashboard and the monitor logs', () => {
    const env = synth.resources[
      synth.stack.getLogicalId(synth.stack.taskpulse.alerting.monitorFunction.node.defaultChild as never)
    ]?.Properties?.Environment as { Variables: Record<string, unknown> };
    const vars = env.Variables;
    expect(vars[ENV.runbookUrl]).toBe(RUNBOOK);
    expect(vars[ENV.stackName]).toBe(synth.stack.stackName);
    const dashboard = resourcesOfType(synth.resources, 'AWS::CloudWatch::Dashboard')[0]?.[1];
    expect(renderJoin(vars[ENV.dashboardUrl])).toMatch(
      /^https:\/\/.+\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=.+#dashboards\/dashboard\/.+$/,
    );
    expect(
      renderJoin(vars[ENV.dashboardUrl]).endsWith(renderJoin(dashboard?.Properties?.DashboardName)),
    ).toBe(true);
    expect(renderJoin(vars[ENV.logsUrl])).toMatch(/#logsV2:log-groups\/log-group\/.+$/);
  });
});

describe('alarms', () => {
  it('notify the alarm topic (forwarded, formatted, to the alert topic) when they fire and when they recover', () => {
    const topicId = synth.stack.getLogicalId(
      synth.stack.taskpulse.alarmRoute.alarmTopic.node.defaultChild as never,
    );
    const alarms = resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties?.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('say what to do and link the runbook, and leave naming to CloudFormation', () => {
    for (const [id, alarm] of resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm')) {
      const description = renderJoin(alarm.Properties?.AlarmDescription);
      expect(description, id).toContain('What to do:');
      expect(description, id).toContain(RUNBOOK);
      expect(description.length, id).toBeLessThanOrEqual(1024);
      expect(alarm.Properties?.AlarmName, id).toBeUndefined();
      expect(alarm.Properties?.TreatMissingData, id).toBe('notBreaching');
    }
  });

  it('cover the DLQ, oldest message age, the failure queue and the quarantine rate', () => {
    const t = synth.template;
    const tp = synth.stack.taskpulse;
    const queueName = (q: typeof tp.eventsQueue) => ({
      'Fn::GetAtt': [synth.stack.getLogicalId(q.node.defaultChild as never), 'QueueName'],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: queueName(tp.deadLetterQueue) }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: queueName(tp.eventsQueue) }],
      Threshold: 900,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: queueName(tp.aggregateFailureQueue) }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: Match.stringLikeRegexp('100 \\* FILL\\(q, 0\\)') }),
      ]),
    });
  });

  it('watch the errors of every function in the stack', () => {
    const functions = resourcesOfType(synth.resources, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const id of functions) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
      });
    }
  });

  it('watch a function added after the monitoring, and list its alarm on the dashboard', () => {
    // Prepare
    // Built-in template validation is covered by appStack (test/infra/support/synth.ts); skipping it here
    // saves about 1.5 s of CPU (it runs the cfn schema over every resource).
    const app = new App({
      builtinCloudFormationValidation: false,
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new TaskpulseStack(app, 'Taskpulse-late');
    const late = new lambda.Function(stack, 'LateFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });

    // Act
    stack.taskpulse.monitoring.monitorFunction({ label: 'Late', fn: late });

    // Assess
    const template = Template.fromStack(stack);
    const lateId = stack.getLogicalId(late.node.defaultChild as never);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: lateId } }],
    });
    const resources = template.toJSON().Resources as Synthesized['resources'];
    const [[, dashboard] = []] = resourcesOfType(resources, 'AWS::CloudWatch::Dashboard');
    const widgets = (JSON.parse(renderJoin(dashboard?.Properties?.DashboardBody)) as { widgets: Widget[] })
      .widgets;
    const status = widgets.find((w) => w.type === 'alarm');
    expect((status?.properties.alarms as unknown[] | undefined)?.length).toBe(
      resourcesOfType(resources, 'AWS::CloudWatch::Alarm').length,
    );
  });

  it('include one failure-rate alarm per dashboard task type when a threshold is set', () => {
    const rate = resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      renderJoin(a.Properties?.AlarmDescription).includes('failed in the last hour'),
    );
    expect(rate).toHaveLength(TASK_TYPES.length);
    for (const [, a] of rate) {
      expect(a.Properties?.Threshold).toBe(20);
      expect(a.Properties?.ComparisonOperator).toBe('GreaterThanThreshold');
    }
  });

  it('have no failure-rate alarms when no threshold is set', () => {
    const plain = synthStack({ monitoring: { dashboardTaskTypes: TASK_TYPES } });
    const rate = resourcesOfType(plain.resources, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      renderJoin(a.Properties?.AlarmDescription).includes('failed in the last hour'),
    );
    expect(rate).toHaveLength(0);
    expect(resourcesOfType(plain.resources, 'AWS::CloudWatch::Alarm')).toHaveLength(
      resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').length - TASK_TYPES.length,
    );
  });
});

describe('dashboard', () => {
  let body: { widgets: Widget[] };
  beforeAll(() => {
    const [[, dashboard] = []] = resourcesOfType(synth.resources, 'AWS::CloudWatch::Dashboard');
    body = JSON.parse(renderJoin(dashboard?.Properties?.DashboardBody));
  });

  it('is one per deployment, named after its stack and region (alerts link it), and exported as an output', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [[, dashboard] = []] = resourcesOfType(synth.resources, 'AWS::CloudWatch::Dashboard');
    expect(renderJoin(dashboard?.Properties?.DashboardName)).toBe(`${synth.stack.stackName}-TOKEN`);
    synth.template.hasOutput(OUTPUT.dashboardName, {});
  });

  it('starts with a header: what this is, the runbook and the CLI query commands', () => {
    const header = body.widgets[0]!;
    expect(header.type).toBe('text');
    const markdown = String(header.properties.markdown);
    expect(markdown).toContain('# Taskpulse · qa');
    expect(markdown).toContain(RUNBOOK);
    expect(markdown).toContain('npx taskpulse failures --since 1h --stack Taskpulse-test');
  });

  it('has an alarm status widget listing every alarm', () => {
    const widget = body.widgets.find((w) => w.type === 'alarm');
    expect((widget?.properties.alarms as unknown[] | undefined)?.length).toBe(
      resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').length,
    );
  });

  it('has SEARCH widgets so task types not in config still show', () => {
    const searches = dashboardMetricRefs(synth.resources).filter(
      (r) => r.searchSchema !== undefined && r.namespace === 'Taskpulse/QA',
    );
    expect(searches.map((r) => r.metricName)).toEqual(
      expect.arrayContaining(['Succeeded', 'Failed', 'RunTime']),
    );
    for (const s of searches) expect(s.searchSchema).toEqual([DIMENSION.stage, DIMENSION.taskType]);
  });

  it('has a row per configured task type with throughput, failure rate and run/wait percentiles', () => {
    const titles = body.widgets.map((w) => String(w.properties.title ?? w.properties.markdown ?? ''));
    for (const taskType of TASK_TYPES) {
      for (const what of ['throughput by status', 'failure rate %', 'run time (ms)', 'wait time (ms)'])
        expect(titles).toContain(`${taskType} · ${what}`);
    }
    const refs = dashboardMetricRefs(synth.resources).filter(
      (r) => r.dimensions?.TaskType === 'send_invoice',
    );
    const stats = JSON.stringify(
      body.widgets.filter((w) => String(w.properties.title).startsWith('send_invoice')),
    );
    for (const p of ['p50', 'p95', 'p99']) expect(stats).toContain(`"stat":"${p}"`);
    expect(new Set(refs.map((r) => r.metricName))).toEqual(
      new Set(['Enqueued', 'Started', 'Retrying', 'Succeeded', 'Failed', 'Cancelled', 'RunTime', 'WaitTime']),
    );
  });

  it('shows pipeline health: queues, DLQ, function errors/throttles/duration and DynamoDB throttles', () => {
    const aws = dashboardMetricRefs(synth.resources).filter((r) => r.namespace.startsWith('AWS/'));
    const names = (ns: string) => new Set(aws.filter((r) => r.namespace === ns).map((r) => r.metricName));
    expect([...names('AWS/SQS')]).toEqual(
      expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']),
    );
    expect([...names('AWS/Lambda')]).toEqual(expect.arrayContaining(['Errors', 'Throttles', 'Duration']));
    expect([...names('AWS/DynamoDB')].some((n) => n.includes('Throttle'))).toBe(true);
  });
});

describe('aggregator alarms and stream settings', () => {
  const alarmsMentioning = (text: string) =>
    resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      renderJoin(a.Properties?.AlarmDescription).includes(text),
    );

  it('alarm on the aggregate function falling behind its stream, pointing to rebuild', () => {
    const fnId = synth.stack.getLogicalId(synth.stack.taskpulse.aggregateFunction.node.defaultChild as never);
    const [alarm] = resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties?.MetricName === 'IteratorAge',
    );
    expect(alarm?.[1].Properties?.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: fnId } }]);
    expect(alarm?.[1].Properties?.Threshold).toBe(15 * 60_000);
    expect(renderJoin(alarm?.[1].Properties?.AlarmDescription)).toContain('rebuild --from DAY --to DAY');
  });

  it('alarm on skipped and retried aggregate changes, from the metrics the aggregator emits', () => {
    const byMetric = (name: string) =>
      resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm').filter(
        ([, a]) => a.Properties?.MetricName === name,
      );
    const [skipped] = byMetric('AggregateWritesSkipped');
    expect(skipped?.[1].Properties).toMatchObject({
      Threshold: 1,
      Namespace: 'Taskpulse/QA',
      EvaluationPeriods: 1,
    });
    const [retried] = byMetric('AggregateChangesRetried');
    expect(retried?.[1].Properties).toMatchObject({ Threshold: 1, EvaluationPeriods: 3 });
    expect(alarmsMentioning('rebuild --from DAY --to DAY').length).toBeGreaterThanOrEqual(4);
  });

  it('give up on stream records after 6 hours instead of retrying them for the 24 h retention', () => {
    Template.fromJSON({ Resources: synth.resources }).hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      {
        MaximumRecordAgeInSeconds: 6 * 3600,
        BisectBatchOnFunctionError: false,
        MaximumRetryAttempts: -1,
        TumblingWindowInSeconds: 30,
      },
    );
  });

  it('give the aggregate function the metrics namespace and stage', () => {
    const fn = synth.stack.taskpulse.aggregateFunction;
    const id = synth.stack.getLogicalId(fn.node.defaultChild as never);
    const environment = synth.resources[id]?.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    const vars = environment?.Variables ?? {};
    expect(vars[ENV.metricsNamespace]).toBe('Taskpulse/QA');
    expect(vars[ENV.stage]).toBe('qa');
  });
});
