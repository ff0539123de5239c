/**
 * Size and shape limits of the event contract v1.
 *
 * They keep one execution item under DynamoDB's 1 KB write unit in the common case and well under
 * the 400 KB item limit in the worst case, and keep CloudWatch dimensions bounded.
 */
export const EVENT_LIMITS = {
  /** Whole message body, UTF-8 bytes (SQS allows 256 KiB; we keep events small on purpose). */
  maxEventBytes: 16 * 1024,
  /** `params` serialized as JSON, UTF-8 bytes. */
  maxParamsBytes: 2 * 1024,
  /**
   * Nesting of `params`, counting `params` itself as level 1. DynamoDB stores at most 32 levels per
   * item and the item adds its own; small, redacted params never need more.
   */
  maxParamsDepth: 8,
  /** `error.stack`, characters. Longer stacks are rejected by the schema; the SDK trims them first. */
  maxStackChars: 4 * 1024,
  /** `error.message`, characters. */
  maxErrorMessageChars: 1024,
  /** `error.type`, characters. */
  maxErrorTypeChars: 128,
  /** Number of `dimensions` labels on one event. */
  maxDimensions: 5,
  /** Length of one dimension value. */
  maxDimensionValueChars: 64,
  /** Number of `metrics` samples on one event. */
  maxMetrics: 10,
  /** Length of `taskId`, `eventId`, `jobId`, `parentTaskId`, `source`. */
  maxIdChars: 128,
  /** Length of `taskType`. */
  maxTaskTypeChars: 64,
  /** How far `occurredAt` may be ahead of the ingest clock (producer clock skew), ms. */
  maxFutureSkewMs: 5 * 60 * 1000,
  /** How old an event may be when ingested, ms (older events would land in expired history). */
  maxAgeMs: 14 * 24 * 60 * 60 * 1000,
  /** Largest magnitude of a metric value (sums stay exact decimals within DynamoDB's 38 digits). */
  maxMetricMagnitude: 1e15,
  /** Largest accepted `attempt`. */
  maxAttempt: 1000,
  /** Largest accepted `durationMs` (7 days). */
  maxDurationMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/**
 * Numbers DynamoDB stores exactly: zero or a magnitude in [1e-130, 1e126) (DynamoDB's number range),
 * and integers within ±(2^53 − 1), beyond which JSON parsing has already changed the value.
 */
export const STORABLE_NUMBER = {
  minMagnitude: 1e-130,
  maxMagnitudeExclusive: 1e126,
} as const;

/** Task types, dimension keys and metric names: letters, digits, `_`, `-`, `.`, `:`, `/`; start with a letter. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]*$/;

/** Dimension keys and metric names are shorter and simpler, since they become attribute and metric names. */
export const LABEL_KEY_PATTERN = /^[a-z][a-zA-Z0-9_]{0,31}$/;
