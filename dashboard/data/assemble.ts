import {
  type CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { missingServiceMetricReason } from '../aws/service-metrics';
import type { BodyWidget } from '../dashboard-body';
import { type MetricId, metricKeyOf } from './metric-key';
import { evaluateMath, idsOf, MetricMathError, parseSearch, type Series } from './metric-math';
import { type PercentileDeps, PercentileReader, percentileOf } from './percentiles';

/**
 * The data of every metric widget of the dashboard body for one page refresh: each widget's metric
 * rows, SEARCH expressions and metric math turned into the series the page draws.
 *
 * - Metric rows with sum, count, average, minimum or maximum: the emulator's `GetMetricData`.
 * - Percentile statistics: `PercentileReader` (our aggregates or sample histograms), labelled so.
 * - `SEARCH(...)`: resolved against `ListMetrics` (the metrics that exist locally), one series per match.
 * - Metric math: `metric-math.ts`, point by point over the widget's grid.
 */

/** Where a drawn series' numbers come from. */
export type SeriesSource = 'cloudwatch' | 'aggregates' | 'samples' | 'math' | 'runtime';

/** One drawn line (or single value). */
export interface SeriesView {
  readonly label: string;
  readonly source: SeriesSource;
  /** `[epoch ms, value]`, oldest first. */
  readonly points: readonly (readonly [number, number])[];
}

/** What the page draws for one widget. */
export interface WidgetData {
  readonly fromMs: number;
  readonly toMs: number;
  readonly periodSeconds: number;
  readonly series: readonly SeriesView[];
  /** Why something is not drawn (a metric that has no local source, an unsupported expression). */
  readonly notes: readonly string[];
}

/** What assembling reads. */
export interface AssembleDeps extends PercentileDeps {
  readonly cloudwatch: CloudWatchClient;
}

interface MetricRow {
  readonly kind: 'metric';
  readonly id: string;
  readonly metric: MetricId;
  readonly stat: string;
  readonly label: string;
  readonly visible: boolean;
}

interface ExpressionRow {
  readonly kind: 'expression';
  readonly id: string;
  readonly expression: string;
  readonly label: string | undefined;
  readonly visible: boolean;
}

type Row = MetricRow | ExpressionRow;

/** `-PT3H` / `-PT15M` / `-P1D` → ms. Pure. */
export const durationMsOf = (iso: string): number | undefined => {
  const m = /^-P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (m === null) return undefined;
  const [, d, h, min, s] = m.map((v) => Number(v ?? 0));
  return (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
};

/** Rows of a metric widget in CloudWatch's `metrics` array form. Pure. */
export const rowsOf = (properties: Record<string, unknown>): Row[] => {
  const widgetStat = typeof properties.stat === 'string' ? properties.stat : 'Average';
  const rows: Row[] = [];
  const raw = Array.isArray(properties.metrics) ? (properties.metrics as unknown[][]) : [];
  raw.forEach((entry, i) => {
    const last = entry[entry.length - 1];
    const options = (typeof last === 'object' && last !== null ? last : {}) as Record<string, unknown>;
    const parts = (entry === undefined ? [] : entry).filter((p) => typeof p === 'string') as string[];
    const visible = options.visible !== false;
    if (typeof options.expression === 'string') {
      rows.push({
        kind: 'expression',
        id: typeof options.id === 'string' ? options.id : `e${i}`,
        expression: options.expression,
        label: typeof options.label === 'string' ? options.label : undefined,
        visible,
      });
      return;
    }
    const [namespace, name, ...dims] = parts;
    const dimensions: Record<string, string> = {};
    for (let d = 0; d + 1 < dims.length; d += 2) dimensions[dims[d]!] = dims[d + 1]!;
    const stat = typeof options.stat === 'string' ? options.stat : widgetStat;
    rows.push({
      kind: 'metric',
      id: typeof options.id === 'string' ? options.id : `m${i}`,
      metric: { namespace: namespace ?? '', name: name ?? '', dimensions },
      stat,
      label: typeof options.label === 'string' ? options.label : `${name} ${stat}`,
      visible,
    });
  });
  return rows;
};

/** GetMetricData takes at most 500 queries per request. */
const MAX_QUERIES_PER_REQUEST = 500;

/** Statistic requests waiting to be sent together (one range and period). */
interface Batch {
  readonly periodSeconds: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly queries: Map<
    string,
    {
      readonly metric: MetricId;
      readonly stat: string;
      readonly result: Promise<Map<number, number>>;
      resolve(v: Map<number, number>): void;
      reject(e: unknown): void;
    }
  >;
}

const STAT_NAMES = new Set(['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount']);

/** Fill `${AVG}`, `${MAX}`, `${MIN}`, `${SUM}`, `${LAST}` in a label from the series. Pure. */
const labelWithStats = (label: string, values: readonly number[]): string =>
  label.replace(/\$\{(AVG|MAX|MIN|SUM|LAST)\}/g, (_, what: string) => {
    if (values.length === 0) return '–';
    const sum = values.reduce((a, b) => a + b, 0);
    const v = {
      AVG: sum / values.length,
      MAX: Math.max(...values),
      MIN: Math.min(...values),
      SUM: sum,
      LAST: values.at(-1)!,
    }[what]!;
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
  });

const SOURCE_NOTE: Record<SeriesSource, string> = {
  cloudwatch: '',
  math: '',
  aggregates: ' · from local aggregates',
  samples: ' · from local samples',
  runtime: ' · from the local runtime',
};

/** Assembles the data of one refresh; each instance reads ListMetrics at most once per namespace. */
export class DashboardAssembler {
  private readonly listed = new Map<string, Promise<MetricId[]>>();
  private readonly batches = new Map<string, Batch>();
  private readonly percentiles: PercentileReader;

  constructor(
    private readonly deps: AssembleDeps,
    private readonly nowMs: number,
    private readonly defaultRangeMs: number,
    /** Data exists from here on: earlier buckets are not drawn. */
    private readonly sinceMs: number,
  ) {
    this.percentiles = new PercentileReader(deps, Math.max(0, nowMs - 24 * 3_600_000), nowMs + 60_000);
  }

  /** The time range a widget draws: its own `start` or the dashboard's, not before local data began. */
  rangeOf(properties: Record<string, unknown>): { fromMs: number; toMs: number; periodSeconds: number } {
    const rangeMs =
      (typeof properties.start === 'string' ? durationMsOf(properties.start) : undefined) ??
      this.defaultRangeMs;
    if (properties.setPeriodToTimeRange === true) {
      // One bucket over the whole range, ending at the next whole minute (the emulator drops
      // sub-second start times, and CloudWatch stores data by the minute).
      const endMs = Math.ceil(this.nowMs / 60_000) * 60_000;
      return { fromMs: endMs - rangeMs, toMs: endMs, periodSeconds: Math.round(rangeMs / 1000) };
    }
    const toMs = this.nowMs;
    const periodSeconds = typeof properties.period === 'number' ? properties.period : 300;
    const periodMs = periodSeconds * 1000;
    const fromMs = Math.floor(Math.max(toMs - rangeMs, this.sinceMs) / periodMs) * periodMs;
    return { fromMs, toMs, periodSeconds };
  }

  /** The data of one metric widget. */
  async widget(widget: BodyWidget): Promise<WidgetData> {
    const { fromMs, toMs, periodSeconds } = this.rangeOf(widget.properties);
    const periodMs = periodSeconds * 1000;
    const grid: number[] = [];
    for (let t = fromMs; t < toMs; t += periodMs) grid.push(t);
    const notes: string[] = [];
    let rows = rowsOf(widget.properties);

    // SEARCH expressions become one metric row per matching local metric.
    const expanded: Row[] = [];
    for (const row of rows) {
      const search = row.kind === 'expression' ? parseSearch(row.expression) : undefined;
      if (search === undefined) {
        expanded.push(row);
        continue;
      }
      const found = (await this.list(search.namespace, search.metricName)).filter(
        (m) =>
          Object.keys(m.dimensions).sort().join(',') === [...search.dimensionNames].sort().join(',') &&
          Object.entries(search.filters).every(([k, v]) => m.dimensions[k] === v),
      );
      if (found.length === 0)
        notes.push(`SEARCH found no local ${search.metricName ?? ''} metrics in ${search.namespace}`);
      found.forEach((metric, j) => {
        const free = Object.entries(metric.dimensions)
          .filter(([k]) => search.filters[k] === undefined)
          .map(([, v]) => v);
        const own =
          row.kind === 'expression' && row.label !== undefined && row.label.trim() !== ''
            ? `${row.label} `
            : '';
        expanded.push({
          kind: 'metric',
          id: `${row.id}_${j}`,
          metric,
          stat: search.stat,
          label: `${own}${free.join(' ') || metric.name}${rows.filter((r) => r.kind === 'expression').length > 1 ? ` ${metric.name}` : ''}`,
          visible: row.visible,
        });
      });
    }
    rows = expanded;

    const values: Record<string, Series> = {};
    const sources: Record<string, SeriesSource> = {};
    const existing = new Set<string>();
    const names = new Map(
      rows.flatMap((r) =>
        r.kind === 'metric' ? [[`${r.metric.namespace}\n${r.metric.name}`, r.metric] as const] : [],
      ),
    );
    for (const m of names.values())
      for (const e of await this.list(m.namespace, m.name)) existing.add(metricKeyOf(e));

    const toFetch: MetricRow[] = [];
    for (const row of rows) {
      if (row.kind !== 'metric') continue;
      const q = percentileOf(row.stat);
      if (q !== undefined) {
        const { points, source } = await this.percentiles.series(row.metric, q, periodSeconds, grid);
        values[row.id] = points;
        sources[row.id] = source;
      } else if (!STAT_NAMES.has(row.stat)) {
        values[row.id] = new Map();
        notes.push(`statistic ${row.stat} is not computed locally`);
      } else if (!existing.has(metricKeyOf(row.metric))) {
        values[row.id] = new Map();
        sources[row.id] = 'cloudwatch';
      } else {
        toFetch.push(row);
      }
    }
    const fetched = await Promise.all(
      toFetch.map((r) => this.stat(r.metric, r.stat, periodSeconds, fromMs, toMs)),
    );
    toFetch.forEach((row, i) => {
      values[row.id] = fetched[i]!;
      sources[row.id] = 'cloudwatch';
    });
    // AWS service metrics are published by dashboard/aws from what the local runtime did (decision 0101).
    for (const row of rows)
      if (row.kind === 'metric' && row.metric.namespace.startsWith('AWS/') && sources[row.id] !== undefined)
        sources[row.id] = 'runtime';
    const missing = rows.filter(
      (r) =>
        r.kind === 'metric' && !existing.has(metricKeyOf(r.metric)) && percentileOf(r.stat) === undefined,
    );
    for (const { metric } of missing as MetricRow[])
      notes.push(
        metric.namespace.startsWith('AWS/')
          ? `no local ${metric.name}: ${missingServiceMetricReason(metric.name)}`
          : `no local data in ${metric.namespace}`,
      );

    for (const row of rows) {
      if (row.kind !== 'expression') continue;
      try {
        const operands = Object.fromEntries(idsOf(row.expression).map((id) => [id, values[id] ?? new Map()]));
        values[row.id] = evaluateMath(row.expression, operands, periodSeconds, grid);
        sources[row.id] = 'math';
      } catch (error) {
        if (!(error instanceof MetricMathError)) throw error;
        notes.push(`${row.expression}: ${error.message}`);
      }
    }

    const series: SeriesView[] = rows
      .filter((r) => r.visible && values[r.id] !== undefined)
      .map((r) => {
        const points = [...values[r.id]!.entries()].sort((a, b) => a[0] - b[0]);
        const source = sources[r.id] ?? 'cloudwatch';
        const label = r.kind === 'metric' ? r.label : (r.label ?? r.id);
        return {
          label: `${labelWithStats(
            label,
            points.map(([, v]) => v),
          )}${SOURCE_NOTE[source]}`,
          source,
          points,
        };
      });
    return { fromMs, toMs, periodSeconds, series, notes: [...new Set(notes)] };
  }

  /** The metrics of a namespace (and name) that exist locally; one ListMetrics per refresh. */
  private list(namespace: string, name?: string): Promise<MetricId[]> {
    const key = `${namespace}\n${name ?? ''}`;
    let listed = this.listed.get(key);
    if (listed === undefined) {
      listed = (async () => {
        const out: MetricId[] = [];
        let NextToken: string | undefined;
        do {
          const page = await this.deps.cloudwatch.send(
            new ListMetricsCommand({
              Namespace: namespace,
              ...(name !== undefined && { MetricName: name }),
              NextToken,
            }),
          );
          for (const m of page.Metrics ?? [])
            out.push({
              namespace,
              name: m.MetricName ?? '',
              dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? ''])),
            });
          NextToken = page.NextToken;
        } while (NextToken !== undefined);
        // The emulator lists a metric once per stored datum at times.
        return [...new Map(out.map((m) => [metricKeyOf(m), m])).values()];
      })();
      this.listed.set(key, listed);
    }
    return listed;
  }

  /**
   * One statistic of one metric over a range. Requests made in the same turn of the event loop are
   * sent as one GetMetricData per range and period (the emulator is one process shared with the
   * pipeline), identical ones once.
   */
  private stat(metric: MetricId, stat: string, periodSeconds: number, fromMs: number, toMs: number) {
    const rangeKey = `${periodSeconds}|${fromMs}|${toMs}`;
    const queryKey = `${metricKeyOf(metric)}|${stat}`;
    let batch = this.batches.get(rangeKey);
    if (batch === undefined) {
      batch = { periodSeconds, fromMs, toMs, queries: new Map() };
      this.batches.set(rangeKey, batch);
      const sending = batch;
      setImmediate(() => {
        this.batches.delete(rangeKey);
        void this.send(sending);
      });
    }
    let query = batch.queries.get(queryKey);
    if (query === undefined) {
      let resolve!: (v: Map<number, number>) => void;
      let reject!: (e: unknown) => void;
      const result = new Promise<Map<number, number>>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      query = { metric, stat, result, resolve, reject };
      batch.queries.set(queryKey, query);
    }
    return query.result;
  }

  private async send(batch: Batch): Promise<void> {
    const queries = [...batch.queries.values()];
    for (let start = 0; start < queries.length; start += MAX_QUERIES_PER_REQUEST) {
      const chunk = queries.slice(start, start + MAX_QUERIES_PER_REQUEST);
      try {
        const out = chunk.map(() => new Map<number, number>());
        let NextToken: string | undefined;
        do {
          const page = await this.deps.cloudwatch.send(
            new GetMetricDataCommand({
              MetricDataQueries: chunk.map(
                (q, i): MetricDataQuery => ({
                  Id: `q${i}`,
                  MetricStat: {
                    Metric: {
                      Namespace: q.metric.namespace,
                      MetricName: q.metric.name,
                      Dimensions: Object.entries(q.metric.dimensions).map(([Name, Value]) => ({
                        Name,
                        Value,
                      })),
                    },
                    Period: batch.periodSeconds,
                    Stat: q.stat,
                  },
                  ReturnData: true,
                }),
              ),
              StartTime: new Date(batch.fromMs),
              EndTime: new Date(batch.toMs),
              NextToken,
            }),
          );
          for (const result of page.MetricDataResults ?? []) {
            const series = out[Number(result.Id?.slice(1))];
            if (series === undefined) continue;
            (result.Timestamps ?? []).forEach((ts, i) => {
              const v = result.Values?.[i];
              // The emulator also returns the bucket that starts at EndTime; it is not in the range.
              if (v !== undefined && ts.getTime() < batch.toMs) series.set(ts.getTime(), v);
            });
          }
          NextToken = page.NextToken;
        } while (NextToken !== undefined);
        for (const [i, q] of chunk.entries()) q.resolve(out[i]!);
      } catch (error) {
        for (const q of chunk) q.reject(error);
      }
    }
  }
}
