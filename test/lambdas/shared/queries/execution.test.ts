import { describe, expect, it } from 'vitest';
import { mergeEvents } from '../../../../lambdas/domain/execution';
import { attemptsOf, toExecutionView } from '../../../../lambdas/shared/queries/execution';
import { makeLifecycle } from '../../../support/events';

describe('attemptsOf', () => {
  it('splits a retried execution into its attempts', () => {
    const events = makeLifecycle({ taskId: 't', attempts: 3, outcome: 'failed', withDuration: false });
    const execution = mergeEvents(undefined, events).execution!;

    const attempts = attemptsOf(execution.events);

    expect(attempts.map((a) => [a.attempt, a.status, a.durationMs, a.errorType])).toEqual([
      [1, 'retrying', 2_000, 'TimeoutError'],
      [2, 'retrying', 2_000, 'TimeoutError'],
      [3, 'failed', 2_000, 'TimeoutError'],
    ]);
  });

  it('leaves a running attempt open', () => {
    const execution = mergeEvents(undefined, makeLifecycle({ taskId: 't', outcome: 'running' })).execution!;

    expect(attemptsOf(execution.events)).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'started',
        endedAt: null,
        durationMs: null,
        errorType: null,
      }),
    ]);
  });

  it('views an execution with nulls for what is absent', () => {
    const execution = mergeEvents(undefined, makeLifecycle({ taskId: 't', enqueued: false })).execution!;

    const view = toExecutionView(execution);

    expect(view.execution).toMatchObject({
      enqueuedAt: null,
      error: null,
      jobId: null,
      params: null,
      waitMs: null,
    });
    expect(view.events.map((e) => e.status)).toEqual(['started', 'succeeded']);
  });
});
