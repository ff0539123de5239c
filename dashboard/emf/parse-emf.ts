import { z } from 'zod';

/**
 * Reading CloudWatch embedded metric format (EMF) documents back into metric data, the way CloudWatch
 * Logs does when a Lambda prints them. Local mode has no CloudWatch Logs to do this, so it parses the
 * documents the functions print and sends the data to the emulator's CloudWatch with `PutMetricData`.
 *
 * Hand-written because no npm package parses EMF (`aws-embedded-metrics` and Powertools only write it);
 * the format is a small JSON envelope, validated here with zod against the published specification:
 * `_aws.Timestamp` (epoch ms), `_aws.CloudWatchMetrics[]` of `{ Namespace, Dimensions: string[][],
 * Metrics: { Name, Unit? }[] }`, dimension values and metric values (a number or up to 100 numbers) as
 * root members.
 */

const directiveSchema = z.object({
  Namespace: z.string().min(1).max(255),
  Dimensions: z.array(z.array(z.string()).max(30)),
  Metrics: z.array(z.object({ Name: z.string().min(1).max(1024), Unit: z.string().optional() })).max(100),
});

const emfSchema = z.looseObject({
  _aws: z.object({
    Timestamp: z.number().int().nonnegative(),
    CloudWatchMetrics: z.array(directiveSchema).min(1),
  }),
});

/** One metric datum an EMF document produces: what `PutMetricData` takes. */
export interface EmfDatum {
  readonly namespace: string;
  readonly name: string;
  /** CloudWatch unit, `None` when the document gives none. */
  readonly unit: string;
  /** Dimension name → value, as one dimension set of the document names them. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Epoch ms. */
  readonly timestampMs: number;
  /** Every value of the metric in the document (EMF allows an array). */
  readonly values: readonly number[];
}

/** A line that looks like an EMF document but is not valid EMF. */
export class EmfFormatError extends Error {
  override readonly name = 'EmfFormatError';
}

const valuesOf = (raw: unknown): number[] | undefined => {
  if (typeof raw === 'number' && Number.isFinite(raw)) return [raw];
  if (
    Array.isArray(raw) &&
    raw.length <= 100 &&
    raw.every((v) => typeof v === 'number' && Number.isFinite(v))
  )
    return raw as number[];
  return undefined;
};

/** Is this printed line meant as an EMF document (a JSON object with an `_aws` member)? Cheap. */
export const looksLikeEmf = (line: string): boolean => line.startsWith('{') && line.includes('"_aws"');

/**
 * The metric data of one EMF document: one datum per directive × dimension set × metric, like
 * CloudWatch Logs extracts them. Pure. Throws `EmfFormatError` when the document breaks the format
 * (CloudWatch would drop it; local mode says so instead).
 */
export const parseEmf = (line: string): EmfDatum[] => {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (error) {
    throw new EmfFormatError(`not JSON: ${(error as Error).message}`);
  }
  const parsed = emfSchema.safeParse(json);
  if (!parsed.success) throw new EmfFormatError(`not EMF: ${z.prettifyError(parsed.error)}`);
  const doc = parsed.data as Record<string, unknown> & z.infer<typeof emfSchema>;
  const out: EmfDatum[] = [];
  for (const directive of doc._aws.CloudWatchMetrics) {
    const sets = directive.Dimensions.length > 0 ? directive.Dimensions : [[]];
    for (const set of sets) {
      const dimensions: Record<string, string> = {};
      for (const key of set) {
        const value = doc[key];
        if (typeof value !== 'string') throw new EmfFormatError(`dimension ${key} is not a string member`);
        dimensions[key] = value;
      }
      for (const metric of directive.Metrics) {
        const values = valuesOf(doc[metric.Name]);
        if (values === undefined) throw new EmfFormatError(`metric ${metric.Name} has no numeric value`);
        out.push({
          namespace: directive.Namespace,
          name: metric.Name,
          unit: metric.Unit ?? 'None',
          dimensions,
          timestampMs: doc._aws.Timestamp,
          values,
        });
      }
    }
  }
  return out;
};
