import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tapOf } from '../../dashboard/aws/local-invocations';
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
import { DemoProducer } from '../../demo/producer';
import { type LocalApi, startLocalApi } from '../../lambdas/api/local-server';
import { summarizeAggregates } from '../../lambdas/domain/aggregate';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { parseScope } from '../../lambdas/shared/names/keys';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { launchChromium } from '../../scripts/chromium';
import { motoClientConfig, uniqueName } from '../support/aws';

/**
 * The local dashboard in a real browser (Debian's chromium driven by playwright-core): local mode on
 * the test's moto_server with the demo producer running, the page served from the synthesized
 * dashboard body. Every signal waited on is one the page sets when it has drawn a refresh.
 */

const stage = uniqueName('dash').replace('-', '');
const sqs = new SQSClient(motoClientConfig());
const dynamo = new DynamoDBClient(motoClientConfig());
let runtime: LocalRuntime;
let dashboard: LocalDashboard;
let api: LocalApi;
let producer: DemoProducer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  const capture = new EmfCapture();
  runtime = await startLocalRuntime({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    stackName: uniqueName('Dash'),
    props: { stage },
    // The monitor's rate(5 minutes) fires every second, so its gauges show up at once.
    accelerate: 300,
    environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  dashboard = await startLocalDashboard({
    stack: runtime.stack,
    template: runtime.template,
    capture,
    // Send every half second instead of by the minute, so the page has data within seconds.
    flushEveryMs: 500,
    holdCurrentMinute: false,
    queuePollEveryMs: 1_000,
    refreshSeconds: 2,
  });
  // The read API as `npm start` serves it, through the same tap (its function widgets have data).
  api = await startLocalApi(runtime.stack, tapOf(runtime.stack, 'ApiFunction'));
  producer = new DemoProducer({
    client: sqs,
    queueUrl: runtime.stack.outputs[OUTPUT.eventsQueueUrl]!,
    tasksPerSecond: 5,
  });
  producer.start();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await producer?.stop();
  await api?.close();
  await runtime?.stop();
  await dashboard?.close();
  sqs.destroy();
  dynamo.destroy();
});

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
    // Prepare
    const { body } = await readLocalDashboardBody(runtime.stack, runtime.template);
    const ours = localWidgets(body.widgets, 'Taskpulse');
    expect(ours.length).toBeGreaterThanOrEqual(12);

    expect((await fetch(`${api.url}/v1/jobs/none`)).status).toBe(404);

    // Act: open the page and wait until a refresh has drawn data in every task widget.
    await page.goto(dashboard.url);
    // Every series with points: a task type's metrics can be listed before the stream has brought its
    // run times into the aggregates (its percentiles), so drawn series alone are not enough.
    await page.waitForFunction(
      (indexes) => {
        const state = (window as unknown as { __taskpulseDashboard?: { data?: RefreshView } })
          .__taskpulseDashboard;
        return indexes.every((i) => {
          const w = state?.data?.widgets[i] as WidgetData | undefined;
          return (
            Number(document.querySelector(`[data-index="${i}"]`)?.getAttribute('data-series') ?? 0) > 0 &&
            w !== undefined &&
            w.series.every((s) => s.points.length > 0)
          );
        });
      },
      ours,
      { timeout: 45_000, polling: 250 },
    );

    // Assess: the page has exactly the body's widgets, titles and grid positions, all drawn.
    const drawn = await page.$$eval('.widget', (els) =>
      els.map((e) => ({
        index: Number(e.getAttribute('data-index')),
        title: e.getAttribute('data-title'),
        drawn: e.getAttribute('data-drawn'),
        column: (e as HTMLElement).style.gridColumn,
        row: (e as HTMLElement).style.gridRow,
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
      });
    });
    // Every series of a task widget has points, and graphs have a canvas.
    const { data } = await pageState();
    for (const i of ours) {
      const widget = data.widgets[i] as WidgetData;
      expect(widget.series.length, `widget ${i}`).toBeGreaterThan(0);
      for (const s of widget.series) expect(s.points.length, `${s.label} of widget ${i}`).toBeGreaterThan(0);
    }
    // Every other widget too, the AWS service widgets included (from the local runtime).
    const rules = withoutLocalData(runtime);
    await page.waitForFunction((n) => Number(document.body.dataset.generatedAt) > n, Date.now() + 3_000, {
      timeout: 30_000,
    });
    const latest = (await pageState()).data;
    const empty = body.widgets.flatMap((w, i) => {
      const allowed = allowedEmpty(rules, w);
      if (w.type !== 'metric' || allowed.widget) return [];
      const series = (latest.widgets[i] as WidgetData).series;
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
    expect((latest.widgets[ingestLatency] as WidgetData).series.map((s) => s.label)).toEqual([
      expect.stringMatching(/ · from the local runtime$/),
      expect.stringMatching(/ · from the local runtime$/),
      expect.stringMatching(/ · from the local runtime$/),
    ]);
    expect(await page.locator('#range').textContent()).toMatch(/^\d\d:\d\d – \d\d:\d\d UTC/);
    expect(consoleErrors).toEqual([]);
  });

  it('shows the same succeeded and failed counts as the aggregates once the pipeline is idle', async () => {
    // Prepare: stop the producer, let every message and stream record through, send the metrics.
    await producer.stop();
    await runtime.waitIdle();
    await dashboard.flush();
    const flushedAt = Date.now();
    // A refresh that read the emulator after everything was sent.
    await page.waitForFunction((t) => Number(document.body.dataset.generatedAt) > t, flushedAt, {
      timeout: 30_000,
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

    // Assess
    expect(aggregates.byStatus.succeeded ?? 0).toBeGreaterThan(0);
    expect(total('succeeded')).toBe(aggregates.byStatus.succeeded ?? 0);
    expect(total('failed')).toBe(aggregates.byStatus.failed ?? 0);
    expect(single('finished tasks')).toBe(aggregates.finished);
    expect(single('failed')).toBe(aggregates.byStatus.failed ?? 0);
    expect(consoleErrors).toEqual([]);
  });
});
