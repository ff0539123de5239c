import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/**
 * Read Prometheus text with `parse-prometheus-text-format` (a port of the official Python client's
 * parser), in two passes:
 * - `families`: the document as it is, so the parser checks every line and the family types;
 * - `samples`: every sample line with its labels and value. The parser folds the series of a
 *   histogram into one object and drops `_sum`/`_count` of labelled series (its `flattenMetrics`), so
 *   the samples are read from the same text with the `# TYPE` lines removed, where each line is kept
 *   as an untyped sample: the same parser reads every label and value.
 */
export const readPrometheusText = (text: string) => {
  const families = parsePrometheusTextFormat(text);
  const untyped = parsePrometheusTextFormat(
    text
      .split('\n')
      .filter((line) => !line.startsWith('# TYPE '))
      .join('\n'),
  );
  const samples = untyped.flatMap((f) =>
    f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: Number(m.value) })),
  );
  /** The value of the one sample of `name` with exactly these labels (`undefined` if none). */
  const sampleValue = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    )?.value;
  return { families, samples, sampleValue };
};
