import { BUCKET_MINUTES } from '../../shared/names/keys';
import { bucketOf } from '../../shared/time';
import { type AggregateSummary, summarizeAggregates } from '../aggregate';

/**
 * Aggregate items as the rules see them: the raw counters of one scope in one 5-minute bucket, with
 * the bucket's start. Buckets without activity have no item, so a list of buckets is sparse.
 */

/** Width of one bucket, ms. */
export const BUCKET_MS = BUCKET_MINUTES * 60_000;

/** One aggregate item read back, with the start of its bucket (epoch ms). */
export interface BucketAggregate {
  readonly startMs: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Buckets that overlap `[fromMs, toMs)`. Pure. */
export const bucketsOverlapping = (
  buckets: readonly BucketAggregate[],
  fromMs: number,
  toMs: number,
): BucketAggregate[] => buckets.filter((b) => b.startMs + BUCKET_MS > fromMs && b.startMs < toMs);

/**
 * Creation-time ranges `[fromMs, toMs)` of adjacent buckets overlapping `[fromMs, toMs)` whose counter
 * `field` is positive, oldest first: where the stuck and queue-stuck rules look up runs. Pure.
 */
export const rangesWithCounter = (
  buckets: readonly BucketAggregate[],
  field: string,
  fromMs: number,
  toMs: number,
): { fromMs: number; toMs: number }[] => {
  const ranges: { fromMs: number; toMs: number }[] = [];
  const starts = bucketsOverlapping(buckets, fromMs, toMs)
    .filter((b) => counterOf(b, field) > 0)
    .map((b) => b.startMs)
    .sort((a, b) => a - b);
  for (const startMs of starts) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.toMs === startMs) last.toMs = startMs + BUCKET_MS;
    else ranges.push({ fromMs: startMs, toMs: startMs + BUCKET_MS });
  }
  return ranges;
};

/** Start of the first bucket of a window that begins at `fromMs` (windows are bucket-aligned). */
export const alignedStartMs = (fromMs: number): number => bucketOf(fromMs).startMs;

/** Merge the counters of some buckets. Pure. */
export const summarizeBuckets = (buckets: readonly BucketAggregate[]): AggregateSummary =>
  summarizeAggregates(buckets.map((b) => b.fields));

/** Read a counter of one bucket as a number (0 when absent). */
export const counterOf = (bucket: BucketAggregate, field: string): number => {
  const raw = bucket.fields[field];
  const value = typeof raw === 'number' ? raw : Number(raw ?? 0);
  return Number.isFinite(value) ? value : 0;
};
