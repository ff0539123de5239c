import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { onLocalActivity, tapOf } from '../../dashboard/aws/local-invocations';
import type { InvocationRecord } from '../../dashboard/aws/service-metrics';
import type { BodyWidget } from '../../dashboard/dashboard-body';
import type { WidgetData } from '../../dashboard/data/assemble';
import { rowsOf } from '../../dashboard/data/assemble';
import { parseSearch } from '../../dashboard/data/metric-math';
import { EmfCapture } from '../../dashboard/emf/capture-stdout';
import {
  type LocalDashboard,
  readLocalDashboardBody,
  startLocalDashboard,
} from '../../dashboard/local-dashboard';
import type { LayoutView, RefreshView } from '../../dashboard/view';
import { DEMO_TASK_TYPES, type DemoTaskType } from '../../demo/producer';
import { type LocalApi, startLocalApi } from '../../lambdas/api/local-server';
import { summarizeAggregates } from '../../lambdas/domain/aggregate';
import { documentClient } from '../../lambdas/shared/aws/clients';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { parseScope } from '../../lambdas/shared/names/keys';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { launchChromium } from '../../scripts/chromium';
import { motoClientConfig, uniqueName } from '../support/aws';
import { makeLifecycle } from '../support/events';

/**
 * The local dashboard in a real browser (Debian's chromium driven by playwright-core): local mode on
 * the test's moto_server, the page served from the synthesized dashboard body. The test sends a fixed
 * set of events (every outcome of every demo task type, a duplicate and a malformed message), lets the
 * runtime settle (`waitIdle` ends the aggregator's tumbling window), waits for a monitor run after that,
 * sends the metrics (`flush`) and only then opens the page: so the first
 * refresh must draw everything, and nothing is waited on but signals (no producer rate, no window or
 * refresh period).
 */

const stage = uniqueName('dash').replace('-', '');
const sqs = new SQSClient(motoClientConfig());
const dynamo = new DynamoDBClient(motoClientConfig());
let runtime: LocalRuntime;
let dashboard: LocalDashboard;
let api: LocalApi;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
/** Every invocation the local runtime finished (the tap the dashboard's service feed listens to). */
const invocations: InvocationRecord[] = [];
let stopListening: (() => void) | undefined;
/** No event of the test is older than this: well inside the page's range (from when capturing began). */
let eventsFromMs: number;

beforeAll(async () => {
  stopListening = onLocalActivity({ invocation: (r) => invocations.push(r), dynamoRequest: () => {} });
  const capture = new EmfCapture();
  runtime = await startLocalRuntime({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    stackName: uniqueName('Dash'),
    props: { stage },
    // The monitor's rate(5 minutes) fires every second: a run after the events is a second away.
    accelerate: 300,
    // Batches go out as soon as records are there, instead of after the ingest's 2 s and the aggregator's 5 s.
    maxBatchingWindowSeconds: 0,
    environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  // The dashboard starts after the rollup at start has finished, as it may under `npm start` (nothing
  // orders them): its run must still be on the page.
  await invocationSince('RollupFunction', 0);
  dashboard = await startLocalDashboard({
    stack: runtime.stack,
    template: runtime.template,
    capture,
    // Metrics go out on the default timers, or when the test calls `flush`; the page refreshes every second.
    refreshSeconds: 1,
  });
  eventsFromMs = Date.now();
  // The read API as `npm start` serves it, through the same tap (its function widgets have data).
  api = await startLocalApi(runtime.stack, tapOf(runtime.stack, 'ApiFunction'));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

afterAll(async () => {
  stopListening?.();
  await browser?.close();
  await api?.close();
  await runtime?.stop();
  await dashboard?.close();
  sqs.destroy();
  dynamo.destroy();
});

/**
 * Longest wait for one signal, ms: each comes within a second or two, even under load; under the
 * test's 60 s so that a stalled step is named.
 */
const STEP_TIMEOUT_MS = 45_000;

/** How long the events of one task span at most, ms (they must not be in the future when sent). */
const TASK_SPAN_MS = 1_000;

/**
 * Every outcome of every demo task type, each once: succeeded (with a custom metric),
 * failed, retried then succeeded, cancelled, and still running. Run and wait times differ by task type
 * and outcome, so percentiles are not all one value. Pure but for the ids.
 */
const tasksOf = (startMs: number): TaskEvent[][] =>
  (Object.keys(DEMO_TASK_TYPES) as DemoTaskType[]).flatMap((taskType, i) => {
    const common = {
      taskType,
      startMs,
      waitMs: 20 + 40 * i,
      runMs: 100 + 50 * i,
      backoffMs: 30,
      source: DEMO_TASK_TYPES[taskType].source,
      dimensions: { marketplace: ['DE', 'FR', 'UK', 'US'][i]! },
      error: { type: 'TimeoutError', message: `${taskType} timed out` },
    };
    return [
      makeLifecycle({ ...common, metrics: { units: i + 1 } }),
      makeLifecycle({ ...common, runMs: common.runMs * 2, outcome: 'failed' }),
      makeLifecycle({ ...common, attempts: 2 }),
      makeLifecycle({ ...common, outcome: 'cancelled' }),
      makeLifecycle({ ...common, outcome: 'running' }),
    ];
  });

/** Succeeded (at once, and after a retry) and failed tasks in one `tasksOf` set. */
const SENT = {
  succeeded: 2 * Object.keys(DEMO_TASK_TYPES).length,
  failed: Object.keys(DEMO_TASK_TYPES).length,
} as const;

/**
 * Send one set of tasks, a redelivered event and a malformed message, as a producer would, once every
 * event's time has come; resolve when the pipeline is idle (queue drained, stream read, tumbling window
 * ended, aggregates written).
 */
const sendTasksAndSettle = async (): Promise<void> => {
  const startMs = Math.max(eventsFromMs, Date.now() - TASK_SPAN_MS);
  const tasks = tasksOf(startMs);
  const bodies = [
    ...tasks.flat().map((e) => JSON.stringify(e)),
    JSON.stringify(tasks[0]!.at(-1)),
    '{"taskId": "t-1", "status": started',
  ];
  const last = Math.max(...tasks.flat().map((e) => Date.parse(e.occurredAt)));
  expect(last - startMs).toBeLessThanOrEqual(TASK_SPAN_MS);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, last + 1 - Date.now())));
  for (let i = 0; i < bodies.length; i += 10) {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: runtime.stack.outputs[OUTPUT.eventsQueueUrl]!,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
      }),
    );
    expect(Failed).toEqual([]);
  }
  await runtime.waitIdle(STEP_TIMEOUT_MS);
};

/** Resolve once a function of the stack has finished an invocation that started at `sinceMs` or later. */
const invocationSince = (constructId: string, sinceMs: number) => {
  const name = runtime.stack.functions.find((f) => f.constructId === constructId)!.name;
  return vi.waitFor(
    () => {
      if (!invocations.some((r) => r.functionName === name && r.startMs >= sinceMs))
        throw new Error(`no ${constructId} invocation since ${new Date(sinceMs).toISOString()}`);
    },
    { timeout: STEP_TIMEOUT_MS, interval: 50 },
  );
};

/** Widgets whose every series comes from what the functions emit (our namespace), by index. */
const localWidgets = (widgets: readonly BodyWidget[], namespace: string): number[] =>
  widgets.flatMap((w, i) => {
    if (w.type !== 'metric') return [];
    const rows = rowsOf(w.properties);
    const ours = rows.some(
      (r) =>
        (r.kind === 'metric' && r.metric.namespace === namespace) ||
        (r.kind === 'expression' && parseSearch(r.expression)?.namespace === namespace),
    );
    return ours ? [i] : [];
  });

/** A widget or some of its series drawn without local data, and why. */
interface NoLocalData {
  /** Physical names the widget reads: it matches when every metric it reads has one of them. */
  readonly reads?: (physicalName: string) => boolean;
  readonly title?: string;
  /** Only these series (by label); all of the widget's otherwise. */
  readonly series?: RegExp;
  readonly reason: string;
}

/** What local mode cannot draw (every other metric widget has series, each with points). */
const withoutLocalData = (runtime: LocalRuntime): NoLocalData[] => {
  const fn = (id: string) => runtime.stack.functions.find((f) => f.constructId === id)?.name ?? id;
  // The aggregate stream's on-failure destination (physical names start with the logical id's prefix).
  const failureQueue = (name: string) => name.includes('AggregateFailureQueue');
  return [
    {
      reads: (n) => n === fn('AlarmFormatFunction'),
      reason: 'runs when an alarm fires; moto evaluates no alarms',
    },
    { title: 'Time to drain', reason: 'no point while consumption keeps up with arrivals (division by 0)' },
    {
      reads: failureQueue,
      title: 'Message Size',
      reason: 'nothing is sent to the failure queue while the stream succeeds',
    },
    {
      reads: failureQueue,
      series: /^Consumption TPS/,
      reason: 'nothing in the stack consumes the failure queue',
    },
    {
      series: /^Provisioned Concurrency Spillovers/,
      reason: 'no provisioned concurrency; Lambda publishes the metric only with it',
    },
    {
      series: /^System Errors/,
      reason: 'sums nine operations, some never called (Scan, GetRecords): no point unless each has one',
    },
  ];
};

/** The series of a widget that may be empty, and whether the whole widget may be. */
const allowedEmpty = (rules: readonly NoLocalData[], widget: BodyWidget) => {
  const names = rowsOf(widget.properties).flatMap((r) =>
    r.kind === 'metric' ? Object.values(r.metric.dimensions) : [],
  );
  const applies = rules.filter(
    (r) =>
      (r.reads === undefined || (names.length > 0 && names.every(r.reads))) &&
      (r.title === undefined || r.title === widget.properties.title),
  );
  return {
    widget: applies.some((r) => r.series === undefined),
    series: (label: string) => applies.some((r) => r.series?.test(label)),
  };
};

const pageState = () =>
  page.evaluate(
    () =>
      (window as unknown as { __taskpulseDashboard: { layout: LayoutView; data: RefreshView } })
        .__taskpulseDashboard,
  );

describe('local dashboard page', () => {
  it('draws every widget of the synthesized dashboard, the task widgets with data, without console errors', async () => {
    // Prepare: the read API called once, the events through the pipeline, a monitor run after them (its
    // gauges per task type follow the aggregates), every metric sent.
    const { body } = await readLocalDashboardBody(runtime.stack, runtime.template);
    const ours = localWidgets(body.widgets, 'Taskpulse');
    expect(ours.length).toBeGreaterThanOrEqual(12);
    expect((await fetch(`${api.url}/v1/jobs/none`)).status).toBe(404);
    await sendTasksAndSettle();
    await invocationSince('MonitorFunction', Date.now());
    await dashboard.flush();

    // Act: open the page; its first refresh reads the emulator after everything was sent.
    await page.goto(dashboard.url);
    await page.waitForFunction(() => Number(document.body.dataset.refreshes) >= 1, undefined, {
      timeout: STEP_TIMEOUT_MS,
    });

    // Assess: the page has exactly the body's widgets, titles and grid positions, all drawn.
    const drawn = await page.$$eval('.widget', (els) =>
      els.map((e) => ({
        index: Number(e.getAttribute('data-index')),
        title: e.getAttribute('data-title'),
        drawn: e.getAttribute('data-drawn'),
        column: (e as HTMLElement).style.gridColumn,
        row: (e as HTMLElement).style.gridRow,
        series: Number(e.getAttribute('data-series') ?? 0),
      })),
    );
    expect(drawn).toHaveLength(body.widgets.length);
    body.widgets.forEach((w, i) => {
      expect(drawn[i]).toEqual({
        index: i,
        title: typeof w.properties.title === 'string' ? w.properties.title : '',
        drawn: 'true',
        column: `${w.x + 1} / span ${w.width}`,
        row: `${w.y + 1} / span ${w.height}`,
        series: expect.any(Number),
      });
    });
    // Every series of a task widget has points, and is drawn with them.
    const { data } = await pageState();
    for (const i of ours) {
      const widget = data.widgets[i] as WidgetData;
      expect(widget.series.length, `widget ${i}`).toBeGreaterThan(0);
      for (const s of widget.series) expect(s.points.length, `${s.label} of widget ${i}`).toBeGreaterThan(0);
      expect(drawn[i]!.series, `drawn series of widget ${i}`).toBe(widget.series.length);
    }
    // Every other widget too, the AWS service widgets included (from the local runtime).
    const rules = withoutLocalData(runtime);
    const empty = body.widgets.flatMap((w, i) => {
      const allowed = allowedEmpty(rules, w);
      if (w.type !== 'metric' || allowed.widget) return [];
      const series = (data.widgets[i] as WidgetData).series;
      const bare = series.filter((s) => s.points.length === 0 && !allowed.series(s.label));
      return series.length === 0 || bare.length > 0
        ? [`${i} ${String(w.properties.title)}: ${bare.map((s) => s.label).join(', ') || 'no series'}`]
        : [];
    });
    expect(empty).toEqual([]);
    expect(await page.locator('.widget-metric canvas').count()).toBeGreaterThan(10);
    // Percentiles are labelled with where they come from.
    const runTime = body.widgets.findIndex((w) => w.properties.title === 'Run time (ms)');
    expect((data.widgets[runTime] as WidgetData).series.map((s) => s.label)).toEqual([
      'RunTime p50 · from local aggregates',
      'RunTime p95 · from local aggregates',
      'RunTime p99 · from local aggregates',
    ]);
    // Service metrics too: they are what the local runtime measured, not what AWS published.
    const ingestLatency = body.widgets.findIndex(
      (w) =>
        w.properties.title === 'Latency' &&
        JSON.stringify(w.properties.metrics).includes(
          runtime.stack.functions.find((f) => f.constructId === 'IngestFunction')!.name,
        ),
    );
    expect((data.widgets[ingestLatency] as WidgetData).series.map((s) => s.label)).toEqual([
      expect.stringMatching(/ · from the local runtime$/),
      expect.stringMatching(/ · from the local runtime$/),
      expect.stringMatching(/ · from the local runtime$/),
    ]);
    expect(await page.locator('#range').textContent()).toMatch(/^\d\d:\d\d – \d\d:\d\d UTC/);
    expect(consoleErrors).toEqual([]);
  });

  it('shows the same succeeded and failed counts as the aggregates after its next refresh', async () => {
    // Prepare: a second set of tasks through the pipeline while the page is open, its metrics sent.
    await sendTasksAndSettle();
    await dashboard.flush();
    const flushedAt = Date.now();
    // A refresh of the page's own (every second) that read the emulator after everything was sent.
    await page.waitForFunction((t) => Number(document.body.dataset.generatedAt) > t, flushedAt, {
      timeout: STEP_TIMEOUT_MS,
    });

    // Act
    const { layout, data } = await pageState();
    const index = layout.widgets.findIndex((w) => w.title === 'Throughput by status');
    const widget = data.widgets[index] as WidgetData;
    const total = (label: string) =>
      widget.series.find((s) => s.label === label)!.points.reduce((sum, [, v]) => sum + v, 0);
    const reader = new DynamoAggregateReader(
      documentClient(dynamo),
      runtime.stack.outputs[OUTPUT.stateTableName]!,
    );
    const day = new Date(widget.fromMs).toISOString().slice(0, 10);
    const scopes = (await reader.listScopes(day)).filter((s) => parseScope(s).dimension === undefined);
    const items = (
      await Promise.all(scopes.map((s) => reader.readRange(s, widget.fromMs, widget.toMs)))
    ).flat();
    const aggregates = summarizeAggregates(items.map((b) => b.fields));

    // The single values of the last hour: one bucket over the hour, its math over the same bucket.
    const lastHour = data.widgets[layout.widgets.findIndex((w) => w.title === 'Last hour')] as WidgetData;
    const single = (label: string) => lastHour.series.find((s) => s.label === label)?.points.at(-1)?.[1];

    // Assess: both sets, each task once (the redelivered event counted nowhere).
    expect(aggregates.byStatus.succeeded).toBe(2 * SENT.succeeded);
    expect(aggregates.byStatus.failed).toBe(2 * SENT.failed);
    expect(total('succeeded')).toBe(aggregates.byStatus.succeeded);
    expect(total('failed')).toBe(aggregates.byStatus.failed);
    expect(single('finished tasks')).toBe(aggregates.finished);
    expect(single('failed')).toBe(aggregates.byStatus.failed);
    expect(consoleErrors).toEqual([]);
  });
});
