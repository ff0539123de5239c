import type { TemplateResource } from './synth';

/**
 * The metrics a synthesized template refers to: every metric of every dashboard widget (plain
 * metrics, math and SEARCH expressions) and of every alarm (single metric or metric math).
 */

/** One metric reference; `dimensions` is undefined for SEARCH expressions (they match a schema). */
export interface MetricRef {
  readonly source: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  /** Dimension names of a SEARCH schema. */
  readonly searchSchema?: readonly string[];
}

/** Render an `Fn::Join` of strings and tokens to a string; tokens become `TOKEN`. */
export const renderJoin = (value: unknown): string => {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) return 'TOKEN';
  return join[1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(join[0]);
};

const unquote = (s: string): string => s.trim().replace(/^"(.*)"$/, '$1');

/** Metric references inside a SEARCH expression string. */
const searchRefs = (expression: string, source: string): MetricRef[] =>
  [...expression.matchAll(/SEARCH\(\s*'\s*\{([^}]*)\}([^']*)'/g)].map((m) => {
    const [ns = '', ...dims] = (m[1] ?? '').split(',').map(unquote);
    const name = /MetricName="([^"]+)"/.exec(m[2] ?? '')?.[1] ?? '';
    return { source, namespace: ns, metricName: name, searchSchema: dims };
  });

/** A widget's `metrics` array entries → references (handles the `"."` shorthand). */
const widgetMetricRefs = (metrics: unknown[], source: string): MetricRef[] => {
  const out: MetricRef[] = [];
  let previous: unknown[] = [];
  for (const entry of metrics) {
    if (!Array.isArray(entry)) continue;
    const last = entry[entry.length - 1];
    const options = typeof last === 'object' && last !== null ? (last as Record<string, unknown>) : undefined;
    const positional = options === undefined ? entry : entry.slice(0, -1);
    if (positional.length === 0) {
      if (typeof options?.expression === 'string') out.push(...searchRefs(options.expression, source));
      continue;
    }
    const resolved = positional.map((p, i) => (p === '.' ? previous[i] : p));
    previous = resolved;
    const [namespace, metricName, ...dims] = resolved as string[];
    const dimensions: Record<string, string> = {};
    for (let i = 0; i + 1 < dims.length; i += 2) dimensions[dims[i]!] = dims[i + 1]!;
    out.push({ source, namespace: namespace!, metricName: metricName!, dimensions });
  }
  return out;
};

/** Every metric the template's dashboards graph. */
export const dashboardMetricRefs = (resources: Record<string, TemplateResource>): MetricRef[] =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard')
    .flatMap(([id, r]) => {
      const body = JSON.parse(renderJoin(r.Properties?.DashboardBody)) as {
        widgets: { properties: { title?: string; metrics?: unknown[] } }[];
      };
      return body.widgets.flatMap((w) =>
        widgetMetricRefs(w.properties.metrics ?? [], `${id}: ${w.properties.title ?? '(untitled)'}`),
      );
    });

type AlarmDimension = { Name: string; Value: unknown };

const dims = (list: AlarmDimension[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((d) => [d.Name, typeof d.Value === 'string' ? d.Value : 'TOKEN']));

/** Every metric the template's alarms evaluate. */
export const alarmMetricRefs = (resources: Record<string, TemplateResource>): MetricRef[] =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .flatMap(([id, r]) => {
      const p = r.Properties ?? {};
      if (typeof p.MetricName === 'string')
        return [
          {
            source: id,
            namespace: String(p.Namespace),
            metricName: p.MetricName,
            dimensions: dims(p.Dimensions as AlarmDimension[]),
          },
        ];
      return ((p.Metrics ?? []) as { MetricStat?: { Metric: Record<string, unknown> } }[]).flatMap((m) =>
        m.MetricStat === undefined
          ? []
          : [
              {
                source: id,
                namespace: String(m.MetricStat.Metric.Namespace),
                metricName: String(m.MetricStat.Metric.MetricName),
                dimensions: dims(m.MetricStat.Metric.Dimensions as AlarmDimension[]),
              },
            ],
      );
    });
