import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { TaskpulseValidationError } from '../../sdk/src/errors';
import { completeEvent, toMessage } from '../../sdk/src/events';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const input = { taskId: 't-1', taskType: 'send-invoice', status: 'started' as const };

const validationError = (fn: () => unknown): TaskpulseValidationError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof TaskpulseValidationError) return error;
    throw error;
  }
  throw new Error('expected a TaskpulseValidationError');
};

describe('completeEvent', () => {
  it('fills version, eventId, occurredAt, attempt and source', () => {
    const event = completeEvent(input, { source: 'worker-1' }, NOW, () => 'e-1');

    expect(event).toEqual({
      version: 1,
      eventId: 'e-1',
      taskId: 't-1',
      taskType: 'send-invoice',
      status: 'started',
      occurredAt: '2026-03-01T12:00:00.000Z',
      attempt: 1,
      source: 'worker-1',
    });
  });

  it('keeps what the caller set, and accepts a Date', () => {
    const event = completeEvent(
      { ...input, eventId: 'mine', attempt: 3, source: 'cron', occurredAt: new Date(NOW - 1_000) },
      { source: 'worker-1' },
      NOW,
    );

    expect(event).toMatchObject({
      eventId: 'mine',
      attempt: 3,
      source: 'cron',
      occurredAt: '2026-03-01T11:59:59.000Z',
    });
  });
});

describe('toMessage', () => {
  it('serializes a valid event with its size', () => {
    const { event, message } = toMessage(completeEvent(input, { source: 'w' }, NOW), NOW);

    expect(JSON.parse(message.body)).toEqual(event);
    expect(message.bytes).toBe(Buffer.byteLength(message.body));
    expect(message.eventId).toBe(event.eventId);
  });

  it('names the field of an invalid task type', () => {
    const error = validationError(() =>
      toMessage(completeEvent({ ...input, taskType: '9 lives' }, { source: 'w' }, NOW), NOW),
    );

    expect(error.code).toBe('schema');
    expect(error.reason).toMatch(/^taskType: taskType must start with a letter/);
  });

  it('refuses oversize params with the limit in the reason', () => {
    const params = { blob: 'x'.repeat(EVENT_LIMITS.maxParamsBytes) };

    const error = validationError(() =>
      toMessage(completeEvent({ ...input, params }, { source: 'w' }, NOW), NOW),
    );

    expect(error.reason).toContain(`params is larger than ${EVENT_LIMITS.maxParamsBytes} bytes`);
  });

  it('refuses an event whose whole body is over the message limit', () => {
    // Prepare: every field within its own limit, multi-byte text pushes the body past 16 KiB
    const event = {
      ...input,
      status: 'failed' as const,
      error: { type: 'E', message: '€'.repeat(1_000), stack: '€'.repeat(4_000) },
      params: { note: '€'.repeat(600) },
    };

    const error = validationError(() => toMessage(completeEvent(event, { source: 'w' }, NOW), NOW));

    expect(error.code).toBe('oversize');
  });

  it('refuses an occurredAt far in the future (producer clock)', () => {
    const error = validationError(() =>
      toMessage(
        completeEvent({ ...input, occurredAt: new Date(NOW + 3_600_000) }, { source: 'w' }, NOW),
        NOW,
      ),
    );

    expect(error.code).toBe('clock');
  });
});
