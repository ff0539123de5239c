import { CloudFormationClient, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { CfnTemplate } from '../infra/synth';
import { documentClient } from '../lambdas/shared/aws/clients';
import { ENV } from '../lambdas/shared/names/env';
import { DEFAULT_METRICS_NAMESPACE } from '../lambdas/shared/names/metrics';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { DynamoAggregateReader } from '../lambdas/shared/store/aggregate-reader';
import { clientConfig } from '../local/aws-config';
import type { LocalStack } from '../local/stack-types';
import { startServiceFeed } from './aws/service-feed';
import { buildPage } from './build-page';
import { alarmsOf, type BodyWidget, type ResolveContext, readDashboardBody } from './dashboard-body';
import { DashboardAssembler, durationMsOf } from './data/assemble';
import { MetricSink } from './data/metric-sink';
import { readStatus } from './data/status';
import type { EmfCapture } from './emf/capture-stdout';
import { startDashboardServer } from './server';
import type { LayoutView, RefreshView, WidgetView } from './view';

/**
 * The dashboard of local mode, in a browser: the functions' EMF output goes to the emulator's
 * CloudWatch, and a loopback page draws the synthesized dashboard body over it. `npm start` calls
 * `startLocalDashboard` once the stack runs.
 */

/** How to run the local dashboard. */
export interface LocalDashboardOptions {
  readonly stack: LocalStack;
  /** The synthesized template the stack was created from (its dashboard body is drawn). */
  readonly template: CfnTemplate;
  /**
   * The capture of the functions' metrics, started before they run (stopped by `close`): the page has
   * data from its start on.
   */
  readonly capture: EmfCapture;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** How often the page refreshes, seconds. @default 10 */
  readonly refreshSeconds?: number;
  /** How often received metrics are sent to the emulator, ms. @default 5_000 */
  readonly flushEveryMs?: number;
  /** How often the queues' attributes are read for the AWS/SQS gauges, ms. @default 60_000 */
  readonly queuePollEveryMs?: number;
  /** Send each minute's metrics only once it is over (see MetricSink). @default true */
  readonly holdCurrentMinute?: boolean;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

/** A running local dashboard. */
export interface LocalDashboard {
  readonly url: string;
  /**
   * Read the queues' gauges and send every metric received so far to the emulator now; once it
   * resolves, the page's next refresh draws all of it (tests; the page otherwise waits for the timers).
   */
  flush(): Promise<void>;
  /** Stop capturing, send what is left, stop serving. */
  close(): Promise<void>;
}

/** Dashboards draw this range unless the body says otherwise. */
const DEFAULT_RANGE = '-PT3H';

/** The widget as the page places and titles it. Pure. */
const widgetView = (widget: BodyWidget, index: number, alarms: ReturnType<typeof alarmsOf>): WidgetView => {
  const p = widget.properties;
  const left = (p.yAxis as { left?: { min?: number; max?: number } } | undefined)?.left;
  const annotations = p.annotations as
    | { horizontal?: { label?: string; value: number }[]; alarms?: string[] }
    | undefined;
  return {
    index,
    type: widget.type,
    x: widget.x,
    y: widget.y,
    width: widget.width,
    height: widget.height,
    ...(typeof p.title === 'string' && { title: p.title }),
    ...(typeof p.view === 'string' && { view: p.view }),
    ...(typeof p.markdown === 'string' && { markdown: p.markdown }),
    ...(Array.isArray(p.alarms) && {
      alarms: (p.alarms as string[]).map((arn) => ({
        arn,
        name: alarms.get(arn)?.logicalId ?? arn.slice(arn.lastIndexOf(':') + 1),
        description: alarms.get(arn)?.description ?? '',
      })),
    }),
    ...(left !== undefined && {
      yAxis: {
        ...(typeof left.min === 'number' && { min: left.min }),
        ...(typeof left.max === 'number' && { max: left.max }),
      },
    }),
    ...(annotations !== undefined && {
      annotations: [
        ...(annotations.horizontal ?? []).map((a) => ({ label: a.label ?? '', value: a.value })),
        ...(annotations.alarms ?? []).flatMap((arn) => {
          const alarm = alarms.get(arn);
          return alarm?.threshold === undefined ? [] : [{ label: alarm.logicalId, value: alarm.threshold }];
        }),
      ],
    }),
  };
};

/** The stack's resources as the emulator's CloudFormation created them. */
const stackResourcesOf = async (stack: LocalStack) => {
  const cfn = new CloudFormationClient(clientConfig(stack));
  try {
    const { StackResources } = await cfn.send(
      new DescribeStackResourcesCommand({ StackName: stack.stackName }),
    );
    return StackResources ?? [];
  } finally {
    cfn.destroy();
  }
};

/** Physical ids of the stack's resources, by logical id. */
const physicalIdsOf = async (stack: LocalStack): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await stackResourcesOf(stack)).flatMap((r) =>
      r.LogicalResourceId && r.PhysicalResourceId ? [[r.LogicalResourceId, r.PhysicalResourceId]] : [],
    ),
  );

/** The synthesized dashboard body with the local stack's names filled in, and its alarms. */
export const readLocalDashboardBody = async (stack: LocalStack, template: CfnTemplate) => {
  const ctx: ResolveContext = {
    region: stack.region,
    accountId: stack.accountId,
    stackName: stack.stackName,
    physicalIds: await physicalIdsOf(stack),
  };
  return { body: readDashboardBody(template, ctx), alarms: alarmsOf(template, ctx) };
};

/** Start capturing metrics and serving the page. */
export const startLocalDashboard = async (options: LocalDashboardOptions): Promise<LocalDashboard> => {
  const { stack, template } = options;
  // The SDK gzips large PutMetricData bodies; moto_server cannot read them (it answers 404).
  const cloudwatch = new CloudWatchClient({ ...clientConfig(stack), disableRequestCompression: true });
  const dynamo = new DynamoDBClient(clientConfig(stack));
  const doc = documentClient(dynamo);
  const sink = new MetricSink({
    cloudwatch,
    ...(options.flushEveryMs !== undefined && { flushEveryMs: options.flushEveryMs }),
    ...(options.holdCurrentMinute !== undefined && { holdCurrentMinute: options.holdCurrentMinute }),
    ...(options.log !== undefined && { log: options.log }),
  });
  options.capture.attach((data) => sink.add(data));
  // What the services would publish, from what the local runtime does (decision 0101): the queue
  // gauges here, invocations and DynamoDB requests through the capture.
  const sqs = new SQSClient(clientConfig(stack));
  const serviceFeed = startServiceFeed({
    sqs,
    queueUrls: (await stackResourcesOf(stack).catch(() => []))
      .filter((r) => r.ResourceType === 'AWS::SQS::Queue' && r.PhysicalResourceId !== undefined)
      .map((r) => r.PhysicalResourceId!),
    consumedQueueUrls: stack.functions.flatMap((f) =>
      f.eventSources.flatMap((e) => (e.kind === 'sqs' ? [e.queueUrl] : [])),
    ),
    add: (data) => sink.add(data),
    ...(options.queuePollEveryMs !== undefined && { pollEveryMs: options.queuePollEveryMs }),
    ...(options.log !== undefined && { log: options.log }),
  });
  const stopCapture = async () => {
    options.capture.stop();
    await serviceFeed.stop();
    sqs.destroy();
  };
  try {
    const ingestEnv = stack.functions.find((f) => f.constructId === 'IngestFunction')?.environment ?? {};
    const namespace = ingestEnv[ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE;
    const stage = ingestEnv[ENV.stage] ?? 'dev';
    const { body, alarms } = await readLocalDashboardBody(stack, template);
    const defaultRange = body.start ?? DEFAULT_RANGE;
    const layout: LayoutView = {
      title: `${stack.stackName}-${stack.region} (local)`,
      stackName: stack.stackName,
      region: stack.region,
      defaultRange,
      refreshSeconds: options.refreshSeconds ?? 10,
      widgets: body.widgets.map((w, i) => widgetView(w, i, alarms)),
    };
    const aggregates = new DynamoAggregateReader(doc, stack.outputs[OUTPUT.stateTableName] ?? '');
    const readData = async (): Promise<RefreshView> => {
      const nowMs = Date.now();
      const assembler = new DashboardAssembler(
        { cloudwatch, namespace, stage, aggregates, sink },
        nowMs,
        durationMsOf(defaultRange) ?? 3 * 3_600_000,
        options.capture.startedAtMs,
      );
      // All widgets at once: their GetMetricData requests are batched into a few calls.
      const metricWidgets = [...body.widgets.entries()].filter(([, w]) => w.type === 'metric');
      const data = await Promise.all(metricWidgets.map(([, w]) => assembler.widget(w)));
      const widgets = Object.fromEntries(metricWidgets.map(([i], j) => [i, data[j]!]));
      const range = assembler.rangeOf({});
      const status = await readStatus(
        {
          doc,
          historyTable: stack.outputs[OUTPUT.historyTableName] ?? '',
          stateTable: stack.outputs[OUTPUT.stateTableName] ?? '',
          aggregates,
        },
        range.fromMs,
        nowMs + 1,
      );
      return {
        generatedAtMs: nowMs,
        fromMs: range.fromMs,
        toMs: range.toMs,
        widgets,
        status,
        pointsReceived: sink.received,
      };
    };
    const server = await startDashboardServer({
      page: await buildPage(),
      layout,
      readData,
      ...(options.port !== undefined && { port: options.port }),
      ...(options.log !== undefined && { log: options.log }),
    });
    return {
      url: server.url,
      flush: async () => {
        await serviceFeed.poll();
        await sink.flush();
      },
      close: async () => {
        await stopCapture();
        await server.close();
        await sink.close();
        cloudwatch.destroy();
        dynamo.destroy();
      },
    };
  } catch (error) {
    await stopCapture();
    await sink.close();
    cloudwatch.destroy();
    dynamo.destroy();
    throw error;
  }
};
