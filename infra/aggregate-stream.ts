import { Duration } from 'aws-cdk-lib';

/**
 * How old a history-stream record may get before the aggregator's event source mapping gives up on it
 * and sends its metadata to the aggregate failure queue (`MaximumRecordAgeInSeconds`).
 *
 * Six hours, not the stream's 24 h retention: long enough for the iterator-age alarm (15 minutes) to
 * reach someone who fixes a transient cause with nothing given up, short enough that a stuck shard
 * does not keep every later change of that shard out of the aggregates for a day. What is given up is
 * still in the history table (kept 30 days), so `taskpulse rebuild` can recompute those days. See
 * docs/decisions/0010-aggregator-stream-failure-handling.md.
 */
export const AGGREGATE_MAX_RECORD_AGE = Duration.hours(6);

/**
 * The aggregator's tumbling window (`TumblingWindowInSeconds`): invocations of a shard fold their
 * changes into the window's state and every aggregate part is written once when the window ends, instead
 * of twice per batch. Thirty seconds keeps event-to-aggregate freshness within the design's p95 of 60 s:
 * a change waits at most the window (p95 28.5 s) plus the ingest's batching and the final invocation's
 * writes. See docs/decisions/0013-aggregate-in-tumbling-windows.md.
 */
export const AGGREGATE_TUMBLING_WINDOW = Duration.seconds(30);
