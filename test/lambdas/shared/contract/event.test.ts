import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isTerminal,
  type ParseResult,
  parseTaskEvent,
  TASK_STATUSES,
  taskEventSchema,
  validateTaskEvent,
} from '../../../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../../../lambdas/shared/contract/limits';
import { renderTaskEventSchema, schemaPath } from '../../../../scripts/gen-schema';
import { BASE_TIME_MS, isoAt, makeEvent, withOffset, without } from '../../../support/events';

const NOW_MS = BASE_TIME_MS;

/** The rejection of a result that must be a rejection. */
const rejectionOf = (result: ParseResult) => {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.rejection;
};

const body = (value: unknown): string => JSON.stringify(value);

describe('parseTaskEvent: valid events', () => {
  it('accepts a minimal event and returns it unchanged', () => {
    // Prepare
    const event = makeEvent();

    // Act
    const result = parseTaskEvent(body(event), NOW_MS);

    // Assess
    expect(result).toEqual({ ok: true, event });
  });

  it('accepts an event with every optional field', () => {
    // Prepare
    const event = makeEvent({
      status: 'failed',
      attempt: 3,
      durationMs: 1234.5,
      error: { type: 'TimeoutError', message: 'no answer in 30 s', stack: 'TimeoutError\n  at call' },
      params: { invoiceId: 42, currency: 'EUR', lines: [1, 2] },
      dimensions: { marketplace: 'DE', tenant: 'acme' },
      metrics: { tokens: 1200, confidence: 0.93, queueDepth: -1 },
      jobId: 'job-2026-03-02',
      parentTaskId: 'task-parent',
    });

    // Act
    const result = parseTaskEvent(body(event), NOW_MS);

    // Assess
    expect(result).toEqual({ ok: true, event });
  });

  it.each(TASK_STATUSES)('accepts status %s', (status) => {
    // Prepare
    const event = makeEvent({ status });

    // Act
    const result = parseTaskEvent(body(event), NOW_MS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts occurredAt with a UTC offset and with fractional seconds', () => {
    // Prepare
    const withOffsetTime = makeEvent({ occurredAt: withOffset(isoAt(NOW_MS), 2) });
    const withMicros = makeEvent({ occurredAt: '2026-03-02T09:59:59.123456Z' });

    // Act
    const results = [withOffsetTime, withMicros].map((e) => parseTaskEvent(body(e), NOW_MS));

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('accepts events at the edges of the clock window', () => {
    // Prepare
    const ahead = makeEvent({ occurredAt: isoAt(NOW_MS + EVENT_LIMITS.maxFutureSkewMs) });
    const old = makeEvent({ occurredAt: isoAt(NOW_MS - EVENT_LIMITS.maxAgeMs) });

    // Act
    const results = [ahead, old].map((e) => parseTaskEvent(body(e), NOW_MS));

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });

  it('accepts params, dimensions and metrics exactly at their limits', () => {
    // Prepare: params of exactly maxParamsBytes as JSON (`{"p":"…"}` is 8 bytes of framing)
    const params = { p: 'x'.repeat(EVENT_LIMITS.maxParamsBytes - 8) };
    const dimensions = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxDimensions }, (_, i) => [`d${i}`, 'v'.repeat(64)]),
    );
    const metrics = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxMetrics }, (_, i) => [`m${i}`, i]),
    );
    const event = makeEvent({ params, dimensions, metrics });

    // Act
    const result = parseTaskEvent(body(event), NOW_MS);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(params))).toBe(EVENT_LIMITS.maxParamsBytes);
    expect(result.ok).toBe(true);
  });

  it('marks only succeeded, failed and cancelled as terminal', () => {
    // Act
    const terminal = TASK_STATUSES.filter(isTerminal);

    // Assess
    expect(terminal).toEqual(['succeeded', 'failed', 'cancelled']);
  });
});

describe('parseTaskEvent: rejections carry a code and a clear reason', () => {
  it('rejects a body that is not JSON', () => {
    // Act
    const rejection = rejectionOf(parseTaskEvent('{"taskId": "t1",', NOW_MS));

    // Assess
    expect(rejection.code).toBe('not-json');
    expect(rejection.reason).toMatch(/^body is not JSON: /);
  });

  it('rejects a body over the size limit before parsing it, counting UTF-8 bytes', () => {
    // Prepare: under the limit in characters, over it in bytes (ä is two bytes)
    const chars = Math.ceil(EVENT_LIMITS.maxEventBytes / 2) + 10;
    const raw = `"${'ä'.repeat(chars)}"`;

    // Act
    const rejection = rejectionOf(parseTaskEvent(raw, NOW_MS));

    // Assess
    expect(raw.length).toBeLessThan(EVENT_LIMITS.maxEventBytes);
    expect(rejection).toEqual({
      code: 'oversize',
      reason: `message is ${Buffer.byteLength(raw)} bytes; the limit is ${EVENT_LIMITS.maxEventBytes}`,
    });
  });

  it.each([
    ['null', 'null', '(event): Invalid input: expected object, received null'],
    ['an array', '[]', '(event): Invalid input: expected object, received array'],
    ['a string', '"started"', '(event): Invalid input: expected object, received string'],
  ])('rejects JSON that is %s, not an object', (_, raw, reason) => {
    // Act
    const rejection = rejectionOf(parseTaskEvent(raw, NOW_MS));

    // Assess
    expect(rejection).toEqual({ code: 'schema', reason });
  });

  it.each([
    ['attempt as a string', { attempt: '1' }, 'attempt: Invalid input: expected number, received string'],
    ['attempt 0', { attempt: 0 }, 'attempt: attempt starts at 1'],
    ['a fractional attempt', { attempt: 1.5 }, 'attempt: attempt must be an integer'],
    ['attempt over the limit', { attempt: 1001 }, 'attempt: attempt must be at most 1000'],
    ['version 2', { version: 2 }, 'version: Invalid input: expected 1'],
    ['a numeric taskId', { taskId: 17 }, 'taskId: Invalid input: expected string, received number'],
    ['an empty eventId', { eventId: '' }, 'eventId: eventId must not be empty'],
    ['a taskId with a space', { taskId: 'task 1' }, 'taskId: taskId must be printable ASCII without spaces'],
    [
      'a taskId over 128 characters',
      { taskId: 't'.repeat(129) },
      'taskId: taskId is longer than 128 characters',
    ],
    [
      'a taskType starting with a digit',
      { taskType: '1job' },
      'taskType: taskType must start with a letter and use only letters, digits and _ . : / -',
    ],
    [
      'an unknown status',
      { status: 'done' },
      'status: Invalid option: expected one of "enqueued"|"started"|"retrying"|"succeeded"|"failed"|"cancelled"',
    ],
    [
      'a date without time',
      { occurredAt: '2026-03-02' },
      'occurredAt: occurredAt must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z',
    ],
    [
      'epoch milliseconds for occurredAt',
      { occurredAt: BASE_TIME_MS },
      'occurredAt: occurredAt must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z',
    ],
    ['a negative durationMs', { durationMs: -1 }, 'durationMs: durationMs must not be negative'],
    ['an error without type', { error: { message: 'boom' } }, 'error.type: Invalid input: expected string'],
    [
      'an error with an unknown field',
      { error: { type: 'E', code: 500 } },
      'error: Unrecognized key: "code"',
    ],
    ['params that is an array', { params: [1, 2] }, 'params: Invalid input: expected record, received array'],
    [
      'a non-numeric metric',
      { metrics: { tokens: '12' } },
      'metrics.tokens: Invalid input: expected number, received string',
    ],
    [
      'an empty dimension value',
      { dimensions: { tenant: '' } },
      'dimensions.tenant: dimension values must not be empty',
    ],
  ])('rejects %s', (_, change, reason) => {
    // Prepare
    const event = { ...makeEvent(), ...change };

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection.code).toBe('schema');
    expect(rejection.reason).toContain(reason);
  });

  it.each(['version', 'eventId', 'taskId', 'taskType', 'status', 'occurredAt', 'attempt', 'source'] as const)(
    'rejects an event without %s and names the field',
    (field) => {
      // Prepare
      const event = without(makeEvent(), field);

      // Act
      const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

      // Assess
      expect(rejection.code).toBe('schema');
      expect(rejection.reason).toMatch(new RegExp(`^${field}: [^;]+$`));
    },
  );

  it('rejects an unknown extra field instead of ignoring it', () => {
    // Prepare: a typo of durationMs
    const event = { ...makeEvent(), duration_ms: 1200 };

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection).toEqual({ code: 'schema', reason: '(event): Unrecognized key: "duration_ms"' });
  });

  it('rejects params larger than the byte limit as JSON', () => {
    // Prepare: one byte over
    const event = makeEvent({ params: { p: 'x'.repeat(EVENT_LIMITS.maxParamsBytes - 7) } });

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection).toEqual({
      code: 'schema',
      reason: `params: params is larger than ${EVENT_LIMITS.maxParamsBytes} bytes as JSON; send less or redact`,
    });
  });

  it('rejects too many dimensions', () => {
    // Prepare
    const dimensions = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxDimensions + 1 }, (_, i) => [`d${i}`, 'v']),
    );

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(makeEvent({ dimensions })), NOW_MS));

    // Assess
    expect(rejection).toEqual({
      code: 'schema',
      reason: `dimensions: at most ${EVENT_LIMITS.maxDimensions} dimensions are allowed`,
    });
  });

  it('rejects too many metrics', () => {
    // Prepare
    const metrics = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxMetrics + 1 }, (_, i) => [`m${i}`, i]),
    );

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(makeEvent({ metrics })), NOW_MS));

    // Assess
    expect(rejection.reason).toBe(`metrics: at most ${EVENT_LIMITS.maxMetrics} metrics are allowed`);
  });

  it.each([
    ['an uppercase first letter', 'Marketplace'],
    ['a dash', 'market-place'],
    ['a leading digit', '1tenant'],
    ['33 characters', `k${'x'.repeat(32)}`],
  ])('rejects a dimension key with %s and says which key and why', (_, key) => {
    // Prepare
    const event = makeEvent({ dimensions: { [key]: 'DE' } });

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection).toEqual({
      code: 'schema',
      reason: `dimensions.${key}: keys must match ^[a-z][a-zA-Z0-9_]{0,31}$`,
    });
  });

  it('rejects a dimension value over the length limit', () => {
    // Prepare
    const event = makeEvent({ dimensions: { tenant: 'v'.repeat(EVENT_LIMITS.maxDimensionValueChars + 1) } });

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection.reason).toBe(
      `dimensions.tenant: dimension values must be at most ${EVENT_LIMITS.maxDimensionValueChars} characters`,
    );
  });

  it('reports every problem of an event, not just the first', () => {
    // Prepare
    const event = { ...makeEvent({ attempt: 0 }), status: 'done', dimensions: { Bad: 'x' } };

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(event), NOW_MS));

    // Assess
    expect(rejection.reason.split('; ').map((part) => part.split(':')[0])).toEqual([
      'status',
      'attempt',
      'dimensions.Bad',
    ]);
  });

  it('rejects occurredAt too far in the future as a clock problem', () => {
    // Prepare
    const occurredAt = isoAt(NOW_MS + EVENT_LIMITS.maxFutureSkewMs + 1);

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(makeEvent({ occurredAt })), NOW_MS));

    // Assess
    expect(rejection).toEqual({
      code: 'clock',
      reason: `occurredAt ${occurredAt} is more than 5 minutes in the future; check the producer clock`,
    });
  });

  it('rejects occurredAt older than the history window as a clock problem', () => {
    // Prepare
    const occurredAt = isoAt(NOW_MS - EVENT_LIMITS.maxAgeMs - 1);

    // Act
    const rejection = rejectionOf(parseTaskEvent(body(makeEvent({ occurredAt })), NOW_MS));

    // Assess
    expect(rejection).toEqual({ code: 'clock', reason: `occurredAt ${occurredAt} is older than 14 days` });
  });

  it('applies the clock window to the instant, whatever the offset it is written in', () => {
    // Prepare: 4 minutes ahead, written in +02:00 (the local time text is two hours ahead)
    const occurredAt = withOffset(isoAt(NOW_MS + 4 * 60_000), 2);

    // Act
    const result = parseTaskEvent(body(makeEvent({ occurredAt })), NOW_MS);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('validates decoded objects the same way (validateTaskEvent)', () => {
    // Prepare
    const good = makeEvent();
    const bad = { ...good, status: 'done' };

    // Act
    const results = [validateTaskEvent(good, NOW_MS), validateTaskEvent(bad, NOW_MS)];

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });
});

describe('published JSON Schema', () => {
  it('is current: the checked-in file equals a fresh generation (run `npm run schema` if not)', () => {
    // Prepare
    const checkedIn = readFileSync(schemaPath(), 'utf8');

    // Act
    const fresh = renderTaskEventSchema();

    // Assess
    expect(checkedIn).toBe(fresh);
  });

  it('is a draft 2020-12 schema with an id, a title and the limits zod cannot express', () => {
    // Act
    const schema = JSON.parse(renderTaskEventSchema());

    // Assess
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/task-event:v1$/);
    expect(schema.title).toBe('Taskpulse task event v1');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual([
      'version',
      'eventId',
      'taskId',
      'taskType',
      'status',
      'occurredAt',
      'attempt',
      'source',
    ]);
    expect(schema.properties.dimensions.maxProperties).toBe(EVENT_LIMITS.maxDimensions);
    expect(schema.properties.metrics.maxProperties).toBe(EVENT_LIMITS.maxMetrics);
    expect(schema.properties.occurredAt.description).toContain('14 days');
    expect(schema.properties.params.description).toContain(`${EVENT_LIMITS.maxParamsBytes} bytes`);
  });

  it('lists exactly the fields of the zod schema', () => {
    // Act
    const schema = JSON.parse(renderTaskEventSchema());

    // Assess
    expect(Object.keys(schema.properties)).toEqual(Object.keys(taskEventSchema.shape));
  });
});

describe('examples in docs/event-contract.md', () => {
  const docs = readFileSync(
    fileURLToPath(new URL('../../../../docs/event-contract.md', import.meta.url)),
    'utf8',
  );

  /** JSON blocks that hold an event and `--message-body '…'` arguments: every event a reader may copy. */
  const examples = [
    ...[...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!),
    ...[...docs.matchAll(/--message-body '([^']*)'/g)].map((m) => m[1]!),
  ].filter((example) => example.includes('"eventId"'));

  it('has examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples.map((e, i) => [i, e]))('example %i is a valid event', (_, raw) => {
    // Prepare: judge each example at the time it claims to have happened
    const occurredAt = (JSON.parse(raw) as { occurredAt: string }).occurredAt;

    // Act
    const result = parseTaskEvent(raw, Date.parse(occurredAt));

    // Assess
    expect(result.ok ? 'ok' : result.rejection.reason).toBe('ok');
  });
});

describe('parseTaskEvent: only values DynamoDB can store exactly', () => {
  const reasonOf = (raw: string) => rejectionOf(parseTaskEvent(raw, NOW_MS));
  const withRaw = (field: string, json: string) => body(makeEvent()).replace(/}$/, `,"${field}":${json}}`);
  const nested = (depth: number): unknown => (depth === 0 ? 1 : { n: nested(depth - 1) });

  it.each([
    ['a number that overflows to Infinity', withRaw('params', '{"big":1e400}'), /params\.big: .*finite/],
    [
      'an integer beyond 2^53 that would lose precision',
      withRaw('params', '{"id":12345678901234567890}'),
      /params\.id: .*2\^53/,
    ],
    ['a number below DynamoDB range', withRaw('params', '{"tiny":[1e-200]}'), /params\.tiny\.0: .*range/],
    ['a metric below DynamoDB range', withRaw('metrics', '{"score":1e-200}'), /metrics\.score: .*range/],
    ['a duration below DynamoDB range', withRaw('durationMs', '1e-200'), /durationMs: .*range/],
    ['a lone surrogate in a string', withRaw('params', '{"s":"\\ud800"}'), /params\.s: .*Unicode/],
    [
      'a lone surrogate in an error message',
      withRaw('error', '{"type":"E","message":"\\udfff"}'),
      /error\.message: .*Unicode/,
    ],
  ])('rejects %s with a schema reason that names the field', (_, raw, reason) => {
    // Act
    const rejection = reasonOf(raw);

    // Assess
    expect(rejection.code).toBe('schema');
    expect(rejection.reason).toMatch(reason);
  });

  it('rejects params nested deeper than the limit, and accepts them at the limit', () => {
    // Prepare
    const atLimit = makeEvent({ params: nested(EVENT_LIMITS.maxParamsDepth) as Record<string, unknown> });
    const over = makeEvent({ params: nested(EVENT_LIMITS.maxParamsDepth + 1) as Record<string, unknown> });

    // Act
    const accepted = parseTaskEvent(body(atLimit), NOW_MS);
    const rejection = rejectionOf(parseTaskEvent(body(over), NOW_MS));

    // Assess
    expect(accepted.ok).toBe(true);
    expect(rejection).toEqual({
      code: 'schema',
      reason: `params: params is nested deeper than ${EVENT_LIMITS.maxParamsDepth} levels`,
    });
  });

  it('accepts zero, safe integers and ordinary fractions', () => {
    const event = makeEvent({
      durationMs: 0,
      params: { zero: 0, max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, f: 0.125, e: 1e-100 },
      metrics: { confidence: 0.000001, tokens: 0 },
    });

    expect(parseTaskEvent(body(event), NOW_MS)).toEqual({ ok: true, event });
  });
});
