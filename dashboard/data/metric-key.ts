/**
 * The identity of one CloudWatch metric (namespace, name, exact dimension set), as a string key, so the
 * local stores can group data points the way CloudWatch does.
 */

/** One metric: namespace, name and its exact set of dimensions. */
export interface MetricId {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A stable key of a metric: dimensions sorted by name. Pure. */
export const metricKeyOf = (m: MetricId): string =>
  JSON.stringify([
    m.namespace,
    m.name,
    Object.entries(m.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
