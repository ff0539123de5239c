import { z } from 'zod';
import { EVENT_LIMITS, LABEL_KEY_PATTERN, NAME_PATTERN, STORABLE_NUMBER } from './limits';

/**
 * Event contract v1: the one definition of what producers send. The JSON Schema in
 * `schema/task-event.v1.schema.json` is generated from it (`npm run schema`), the SDK validates with it
 * and the ingest Lambda parses with it, so the three can never disagree.
 */

/** Lifecycle statuses, in the order a task normally goes through them. */
export const TASK_STATUSES = ['enqueued', 'started', 'retrying', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses that end an attempt for good (a later attempt may still start). */
export const TERMINAL_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
] as const satisfies readonly TaskStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export const isTerminal = (status: TaskStatus): status is TerminalStatus =>
  (TERMINAL_STATUSES as readonly string[]).includes(status);

/** The contract version this code writes and accepts. */
export const CONTRACT_VERSION = 1 as const;

const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

/** A UTF-16 surrogate half without its partner: not Unicode, so not storable as a DynamoDB string. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why DynamoDB could not store a number exactly, or `undefined` when it can. Pure. */
const unstorableNumberReason = (value: number): string | undefined => {
  if (!Number.isFinite(value)) return 'numbers must be finite (DynamoDB cannot store Infinity or NaN)';
  if (Number.isInteger(value) && !Number.isSafeInteger(value))
    return 'integers must be within ±(2^53 − 1) to keep their exact value; send larger ones as strings';
  const magnitude = Math.abs(value);
  if (
    magnitude !== 0 &&
    (magnitude < STORABLE_NUMBER.minMagnitude || magnitude >= STORABLE_NUMBER.maxMagnitudeExclusive)
  )
    return 'numbers must be 0 or between 1e-130 and 1e126 in magnitude (DynamoDB range)';
  return undefined;
};

type Issue = { readonly path: (string | number)[]; readonly message: string };

/**
 * Every value of a decoded event that DynamoDB would reject or change: numbers outside its range or
 * precision, strings with lone surrogates (object keys included), and params nested deeper than
 * `maxParamsDepth`. A schema-valid event must always be storable, so that one bad event is
 * quarantined here with a reason instead of failing the conditional write of its whole task. Pure.
 */
const unstorableIssues = (value: unknown, path: (string | number)[], issues: Issue[]): void => {
  if (typeof value === 'number') {
    const reason = unstorableNumberReason(value);
    if (reason !== undefined) issues.push({ path, message: reason });
  } else if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value))
      issues.push({
        path,
        message: 'strings must be valid Unicode (a lone surrogate \\uD800-\\uDFFF was sent)',
      });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      unstorableIssues(item, [...path, i], issues);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key))
        issues.push({
          path,
          message: 'keys must be valid Unicode (a lone surrogate \\uD800-\\uDFFF was sent)',
        });
      unstorableIssues(item, [...path, key], issues);
    }
  }
};

/** Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or array. */
const depthOf = (value: unknown): number =>
  typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

const id = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(EVENT_LIMITS.maxIdChars, `${what} is longer than ${EVENT_LIMITS.maxIdChars} characters`)
    .regex(/^[\x21-\x7e]+$/, `${what} must be printable ASCII without spaces`);

export const taskTypeSchema = z
  .string()
  .min(1, 'taskType must not be empty')
  .max(EVENT_LIMITS.maxTaskTypeChars, `taskType is longer than ${EVENT_LIMITS.maxTaskTypeChars} characters`)
  .regex(NAME_PATTERN, 'taskType must start with a letter and use only letters, digits and _ . : / -')
  .describe(
    'What kind of task this is (task name, job class, actor). Bounded: it becomes a metric dimension.',
  );

export const errorSchema = z
  .object({
    type: z
      .string()
      .min(1, 'error.type must not be empty')
      .max(
        EVENT_LIMITS.maxErrorTypeChars,
        `error.type is longer than ${EVENT_LIMITS.maxErrorTypeChars} characters`,
      )
      .describe('Error class or code, e.g. TimeoutError. Top errors are counted per type.'),
    message: z
      .string()
      .max(
        EVENT_LIMITS.maxErrorMessageChars,
        `error.message is longer than ${EVENT_LIMITS.maxErrorMessageChars} characters`,
      )
      .optional(),
    stack: z
      .string()
      .max(EVENT_LIMITS.maxStackChars, `error.stack is longer than ${EVENT_LIMITS.maxStackChars} characters`)
      .optional(),
  })
  .strict();

const labelKey = z.string().regex(LABEL_KEY_PATTERN, 'keys must match ^[a-z][a-zA-Z0-9_]{0,31}$');

export const taskEventSchema = z
  .object({
    version: z.literal(CONTRACT_VERSION).describe('Contract version; always 1 for this schema.'),
    eventId: id('eventId').describe('Unique per event. Re-sending the same eventId is harmless.'),
    taskId: id('taskId').describe('Identifies one task run across all its events and attempts.'),
    taskType: taskTypeSchema,
    status: z.enum(TASK_STATUSES).describe('What happened to the task.'),
    occurredAt: z.iso
      .datetime({
        offset: true,
        message: 'occurredAt must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z',
      })
      .describe('When it happened, by the producer clock.'),
    attempt: z
      .number()
      .int('attempt must be an integer')
      .min(1, 'attempt starts at 1')
      .max(EVENT_LIMITS.maxAttempt, `attempt must be at most ${EVENT_LIMITS.maxAttempt}`)
      .describe('1 for the first run; retries count up.'),
    source: id('source').describe('Which producer sent it (service or host name).'),
    durationMs: z
      .number()
      .min(0, 'durationMs must not be negative')
      .max(EVENT_LIMITS.maxDurationMs, `durationMs must be at most ${EVENT_LIMITS.maxDurationMs}`)
      .optional()
      .describe('Run time measured by the producer; preferred over started→finished clock difference.'),
    error: errorSchema.optional(),
    params: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(`Small, redacted task parameters (at most ${EVENT_LIMITS.maxParamsBytes} bytes as JSON).`),
    dimensions: z
      .record(
        labelKey,
        z
          .string()
          .min(1, 'dimension values must not be empty')
          .max(
            EVENT_LIMITS.maxDimensionValueChars,
            `dimension values must be at most ${EVENT_LIMITS.maxDimensionValueChars} characters`,
          ),
      )
      .optional()
      .describe(`Up to ${EVENT_LIMITS.maxDimensions} bounded labels such as marketplace or tenant.`),
    metrics: z
      .record(
        labelKey,
        z
          .number()
          .refine(Number.isFinite, 'metric values must be finite numbers')
          .refine(
            (v) => Math.abs(v) <= EVENT_LIMITS.maxMetricMagnitude,
            `metric values must be within ±${EVENT_LIMITS.maxMetricMagnitude}`,
          ),
      )
      .optional()
      .describe(`Up to ${EVENT_LIMITS.maxMetrics} numeric samples such as tokens or confidence.`),
    jobId: id('jobId').optional().describe('The larger job this task belongs to.'),
    parentTaskId: id('parentTaskId').optional().describe('The task that spawned this one.'),
  })
  .strict()
  .superRefine((event, ctx) => {
    if (event.params !== undefined && utf8Bytes(JSON.stringify(event.params)) > EVENT_LIMITS.maxParamsBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: `params is larger than ${EVENT_LIMITS.maxParamsBytes} bytes as JSON; send less or redact`,
      });
    } else if (event.params !== undefined && depthOf(event.params) > EVENT_LIMITS.maxParamsDepth) {
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: `params is nested deeper than ${EVENT_LIMITS.maxParamsDepth} levels`,
      });
    }
    if (event.dimensions !== undefined && Object.keys(event.dimensions).length > EVENT_LIMITS.maxDimensions) {
      ctx.addIssue({
        code: 'custom',
        path: ['dimensions'],
        message: `at most ${EVENT_LIMITS.maxDimensions} dimensions are allowed`,
      });
    }
    if (event.metrics !== undefined && Object.keys(event.metrics).length > EVENT_LIMITS.maxMetrics) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics'],
        message: `at most ${EVENT_LIMITS.maxMetrics} metrics are allowed`,
      });
    }
    const issues: Issue[] = [];
    unstorableIssues(event, [], issues);
    for (const issue of issues) ctx.addIssue({ code: 'custom', ...issue });
  });

/** One validated lifecycle event. */
export type TaskEvent = z.infer<typeof taskEventSchema>;

/**
 * Quarantine reason codes: a bounded set (it is the `Reason` metric dimension). The first four come
 * from the contract; the others from the merge and the write:
 * - `too-many-events`: the task already holds `MAX_EVENTS_PER_EXECUTION` events (non-terminal only);
 * - `event-conflict`: the eventId is already stored with different content;
 * - `task-type-conflict`: the taskId is already stored under another task type;
 * - `unstorable`: DynamoDB refused the write for good (e.g. `ValidationException`); the event alone
 *   was isolated and kept aside, its neighbours stored.
 */
export const REJECTION_CODES = [
  'not-json',
  'oversize',
  'schema',
  'clock',
  'too-many-events',
  'event-conflict',
  'task-type-conflict',
  'unstorable',
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

/** Why a message was rejected: a short code plus a human-readable reason per problem. */
export interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

export type ParseResult =
  | { readonly ok: true; readonly event: TaskEvent }
  | { readonly ok: false; readonly rejection: Rejection };

/** A record key failure says only "Invalid key in record"; the key schema's own message says why. */
const messageOf = (issue: z.ZodError['issues'][number]): string =>
  issue.code === 'invalid_key' && issue.issues.length > 0
    ? issue.issues.map((inner) => inner.message).join(', ')
    : issue.message;

const formatIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 10)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(event)'}: ${messageOf(issue)}`)
    .join('; ');

/**
 * Validate a raw SQS message body against the contract and the ingest clock.
 *
 * Pure: `nowMs` is passed in so tests and replays are deterministic. Never throws for bad input; the
 * rejection reason is what gets stored in the quarantine.
 */
export const parseTaskEvent = (body: string, nowMs: number): ParseResult => {
  const bytes = utf8Bytes(body);
  if (bytes > EVENT_LIMITS.maxEventBytes) {
    return {
      ok: false,
      rejection: {
        code: 'oversize',
        reason: `message is ${bytes} bytes; the limit is ${EVENT_LIMITS.maxEventBytes}`,
      },
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return {
      ok: false,
      rejection: { code: 'not-json', reason: `body is not JSON: ${(error as Error).message}` },
    };
  }
  return validateTaskEvent(json, nowMs);
};

/** Validate an already-decoded event object (used by `parseTaskEvent` and the SDK). */
export const validateTaskEvent = (input: unknown, nowMs: number): ParseResult => {
  const parsed = taskEventSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, rejection: { code: 'schema', reason: formatIssues(parsed.error) } };
  }
  const occurredMs = Date.parse(parsed.data.occurredAt);
  if (occurredMs > nowMs + EVENT_LIMITS.maxFutureSkewMs) {
    return {
      ok: false,
      rejection: {
        code: 'clock',
        reason: `occurredAt ${parsed.data.occurredAt} is more than ${EVENT_LIMITS.maxFutureSkewMs / 60000} minutes in the future; check the producer clock`,
      },
    };
  }
  if (occurredMs < nowMs - EVENT_LIMITS.maxAgeMs) {
    return {
      ok: false,
      rejection: {
        code: 'clock',
        reason: `occurredAt ${parsed.data.occurredAt} is older than ${EVENT_LIMITS.maxAgeMs / 86_400_000} days`,
      },
    };
  }
  return { ok: true, event: parsed.data };
};
