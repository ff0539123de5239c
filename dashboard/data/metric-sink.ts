import {
  type CloudWatchClient,
  type MetricDatum,
  PutMetricDataCommand,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import { type Histogram, histogramOf, mergeHistograms, quantileOf } from '../../lambdas/domain/histogram';
import type { EmfDatum } from '../emf/parse-emf';
import { type MetricId, metricKeyOf } from './metric-key';

/**
 * Sends metric data to the emulator's CloudWatch (`PutMetricData`) and keeps, per metric and minute,
 * a histogram of the values (the mergeable histograms of `lambdas/domain/histogram.ts`), because the
 * emulator answers sums, counts, averages, minimum and maximum but no percentiles.
 *
 * Data is folded per metric and minute into statistic sets (sum, minimum, maximum, sample count: what
 * CloudWatch keeps at one-minute resolution), and a minute is sent once it is over (checked every
 * `flushEveryMs`): the emulator scans every stored datum on each query, so one datum per metric and
 * minute keeps the page fast after hours of local mode. Like CloudWatch, the page is a minute behind.
 */

const MINUTE_MS = 60_000;
/** PutMetricData takes at most 1,000 data per request. */
const MAX_DATA_PER_REQUEST = 1_000;

interface Fold {
  readonly id: MetricId;
  readonly unit: string;
  readonly minuteMs: number;
  sum: number;
  min: number;
  max: number;
  count: number;
}

/** Where the data goes and how often. */
export interface MetricSinkOptions {
  readonly cloudwatch: CloudWatchClient;
  /** @default 5_000 */
  readonly flushEveryMs?: number;
  /** Hold the current minute until it is over (false: send everything at every flush). @default true */
  readonly holdCurrentMinute?: boolean;
  /** Receives a line when a flush fails (the data of that flush is dropped, as a lost log line). @default ignore */
  readonly log?: (line: string) => void;
}

/** The local CloudWatch feed: data in, `PutMetricData` out, percentiles on the side. */
export class MetricSink {
  private pending = new Map<string, Fold>();
  private readonly samples = new Map<string, Map<number, Histogram>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Data points received (values, not documents), for the page's status line. */
  received = 0;

  constructor(private readonly options: MetricSinkOptions) {
    this.timer = setInterval(
      () => void this.flush(options.holdCurrentMinute === false ? Number.POSITIVE_INFINITY : Date.now()),
      options.flushEveryMs ?? 5_000,
    );
    this.timer.unref();
  }

  /** Take the data of EMF documents (or of any other local source). */
  add(data: readonly EmfDatum[]): void {
    for (const d of data) {
      if (d.values.length === 0) continue;
      const id: MetricId = { namespace: d.namespace, name: d.name, dimensions: d.dimensions };
      const key = metricKeyOf(id);
      const minuteMs = Math.floor(d.timestampMs / MINUTE_MS) * MINUTE_MS;
      const foldKey = `${key}\n${minuteMs}\n${d.unit}`;
      const fold = this.pending.get(foldKey) ?? {
        id,
        unit: d.unit,
        minuteMs,
        sum: 0,
        min: Number.POSITIVE_INFINITY,
        max: Number.NEGATIVE_INFINITY,
        count: 0,
      };
      for (const v of d.values) {
        fold.sum += v;
        fold.min = Math.min(fold.min, v);
        fold.max = Math.max(fold.max, v);
        fold.count++;
      }
      this.pending.set(foldKey, fold);
      const byMinute = this.samples.get(key) ?? new Map<number, Histogram>();
      byMinute.set(minuteMs, mergeHistograms(byMinute.get(minuteMs) ?? {}, histogramOf(d.values)));
      this.samples.set(key, byMinute);
      this.received += d.values.length;
    }
  }

  /**
   * Send what was received for minutes that ended by `untilMs` (every minute by default); resolves
   * when it is stored.
   */
  flush(untilMs = Number.POSITIVE_INFINITY): Promise<void> {
    const folds: Fold[] = [];
    for (const [key, fold] of this.pending) {
      if (fold.minuteMs + MINUTE_MS > untilMs) continue;
      folds.push(fold);
      this.pending.delete(key);
    }
    this.flushing = this.flushing.then(() => this.send(folds));
    return this.flushing;
  }

  /**
   * A percentile of the values of one metric received in `[fromMs, toMs)`, read from the merged
   * minute histograms (within `RELATIVE_ACCURACY` of a value of the exact rank); `undefined` when none.
   */
  percentile(id: MetricId, fromMs: number, toMs: number, q: number): number | undefined {
    const byMinute = this.samples.get(metricKeyOf(id));
    if (byMinute === undefined) return undefined;
    const parts = [...byMinute.entries()].filter(([m]) => m >= fromMs && m < toMs).map(([, h]) => h);
    return parts.length === 0 ? undefined : quantileOf(mergeHistograms(...parts), q);
  }

  /** Stop the timer and send what is left. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async send(folds: readonly Fold[]): Promise<void> {
    const byNamespace = new Map<string, MetricDatum[]>();
    for (const f of folds) {
      const datum: MetricDatum = {
        MetricName: f.id.name,
        Dimensions: Object.entries(f.id.dimensions).map(([Name, Value]) => ({ Name, Value })),
        Timestamp: new Date(f.minuteMs),
        Unit: f.unit as StandardUnit,
        StatisticValues: { Sum: f.sum, Minimum: f.min, Maximum: f.max, SampleCount: f.count },
      };
      byNamespace.set(f.id.namespace, [...(byNamespace.get(f.id.namespace) ?? []), datum]);
    }
    for (const [Namespace, data] of byNamespace) {
      for (let i = 0; i < data.length; i += MAX_DATA_PER_REQUEST) {
        try {
          await this.options.cloudwatch.send(
            new PutMetricDataCommand({ Namespace, MetricData: data.slice(i, i + MAX_DATA_PER_REQUEST) }),
          );
        } catch (error) {
          this.options.log?.(`PutMetricData to ${Namespace} failed: ${(error as Error).message}`);
        }
      }
    }
  }
}
