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
