import { type Histogram, valueOfBin } from './histogram';

/**
 * Prometheus text exposition format 0.0.4 (the format every Prometheus server scrapes), written by
 * hand: the libraries that write it (prom-client) keep live in-process registries of counters, while
 * `/metrics` renders figures read from DynamoDB on each request; the format is a few lines of escaping
 * and ordering rules. Pure.
 *
 * Format rules kept here: one `# HELP` and one `# TYPE` line per family, before its samples; the
 * samples of a family together; label values escaped (`\` → `\\`, `"` → `\"`, newline → `\n`), help
 * text escaped (`\` and newline); histograms as cumulative `_bucket{le}` samples ending with
 * `le="+Inf"` equal to `_count`, then `_sum` and `_count`; a final newline.
 */

/** Content type of the format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label names and values of one sample. */
export type Labels = Readonly<Record<string, string>>;

/** A counter or gauge family. */
export interface ScalarFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: readonly { readonly labels: Labels; readonly value: number }[];
}

/** One histogram series: cumulative counts per upper bound. */
export interface HistogramSeries {
  readonly labels: Labels;
  /** `[upper bound, observations ≤ bound]`, bounds ascending, counts cumulative (non-decreasing). */
  readonly buckets: readonly (readonly [number, number])[];
  readonly count: number;
  readonly sum: number;
}

/** A histogram family. */
export interface HistogramFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly series: readonly HistogramSeries[];
}

export type MetricFamily = ScalarFamily | HistogramFamily;

/** Escape a label value. */
export const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Escape help text. */
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** A sample value as Prometheus spells it (Go's float syntax for the specials). */
export const formatValue = (value: number): string => {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
};

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const labelsText = (labels: Labels): string => {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  for (const [name] of entries) if (!LABEL_NAME.test(name)) throw new RangeError(`bad label name: ${name}`);
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
};

/** Render metric families in the text format 0.0.4. Throws `RangeError` on an invalid metric or label name. */
export const formatPrometheus = (families: readonly MetricFamily[]): string => {
  const lines: string[] = [];
  for (const f of families) {
    if (!METRIC_NAME.test(f.name)) throw new RangeError(`bad metric name: ${f.name}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type !== 'histogram') {
      for (const s of f.samples) lines.push(`${f.name}${labelsText(s.labels)} ${formatValue(s.value)}`);
      continue;
    }
    for (const s of f.series) {
      for (const [le, count] of s.buckets)
        lines.push(
          `${f.name}_bucket${labelsText({ ...s.labels, le: formatValue(le) })} ${formatValue(count)}`,
        );
      lines.push(`${f.name}_bucket${labelsText({ ...s.labels, le: '+Inf' })} ${formatValue(s.count)}`);
      lines.push(`${f.name}_sum${labelsText(s.labels)} ${formatValue(s.sum)}`);
      lines.push(`${f.name}_count${labelsText(s.labels)} ${formatValue(s.count)}`);
    }
  }
  return `${lines.join('\n')}\n`;
};

/**
 * Upper bounds (seconds) of the `le` buckets that run and wait times are reported in: from 10 ms to two
 * hours, about three per decade, the spread of background jobs. Fixed, so series stay comparable over
 * time and across task types.
 */
export const DURATION_BUCKETS_SECONDS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200,
] as const;

/**
 * Cumulative `le` buckets (seconds) from a log-bucketed histogram of milliseconds: each log bin counts
 * under every bound at or above its representative value, so a bucket's count is exact except for
 * values within the histogram's relative accuracy (2%) of its bound. `count` is the histogram's total,
 * so the `+Inf` bucket always equals `_count`. Pure.
 */
export const cumulativeBucketsOf = (
  histogramMs: Histogram,
  boundsSeconds: readonly number[] = DURATION_BUCKETS_SECONDS,
): { buckets: [number, number][]; count: number } => {
  const bins = Object.entries(histogramMs)
    .filter(([, c]) => c > 0)
    .map(([bin, c]): [number, number] => [valueOfBin(bin) / 1000, c]);
  const count = bins.reduce((sum, [, c]) => sum + c, 0);
  const buckets = boundsSeconds.map((le): [number, number] => [
    le,
    bins.reduce((sum, [value, c]) => (value <= le ? sum + c : sum), 0),
  ]);
  return { buckets, count };
};
