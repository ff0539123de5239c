import { describe, expect, it } from 'vitest';
import { mergeEvents } from '../../../../lambdas/domain/execution';
import { InvalidQueryError } from '../../../../lambdas/shared/queries/errors';
import { decodeFeedCursor, encodeFeedCursor, newEventsOf } from '../../../../lambdas/shared/queries/feed';
import { makeLifecycle } from '../../../support/events';

describe('newEventsOf', () => {
  const [enqueued, started, succeeded] = makeLifecycle({ taskId: 't-1' });

  it('gives the events a change added, with the execution status after it', () => {
    const before = mergeEvents(undefined, [enqueued!]).execution;
    const after = mergeEvents(before, [succeeded!, started!]).execution;

    const events = newEventsOf(before, after);

    expect(events.map((e) => [e.status, e.eventId, e.executionStatus])).toEqual([
      ['started', started!.eventId, 'succeeded'],
      ['succeeded', succeeded!.eventId, 'succeeded'],
    ]);
    expect(events[1]).toMatchObject({
      taskId: 't-1',
      taskType: 'send_invoice',
      durationMs: 2_000,
      errorType: null,
    });
  });

  it('gives every event of a new execution, and none for a removal', () => {
    const created = mergeEvents(undefined, [enqueued!, started!]).execution;

    expect(newEventsOf(undefined, created)).toHaveLength(2);
    expect(newEventsOf(created, undefined)).toEqual([]);
  });
});

describe('feed cursors', () => {
  it('round-trip their positions and reject anything else', () => {
    const cursor = encodeFeedCursor('arn:stream', { s1: { q: '100' }, s2: { i: 'it' }, s3: { h: true } });

    expect(decodeFeedCursor(cursor)).toEqual({
      v: 1,
      a: 'arn:stream',
      s: { s1: { q: '100' }, s2: { i: 'it' }, s3: { h: true } },
    });
    for (const bad of ['', 'nope', Buffer.from('{"v":1,"a":"x","s":{"s1":{"z":1}}}').toString('base64url')])
      expect(() => decodeFeedCursor(bad)).toThrow(InvalidQueryError);
  });
});
