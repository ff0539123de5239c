import { describe, expect, it } from 'vitest';
import { type BaselineState, checkBaseline } from '../../../bench/compare/oracle';
import {
  countEvent,
  type DailyStats,
  emptyStats,
  statsMapKey,
  statsTargetOf,
} from '../../../bench/compare/stats';
import { BASE_TIME_MS, makeLifecycle, seededRandom, shuffle } from '../../../demo/lifecycle';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { dayOf } from '../../../lambdas/shared/names/keys';

const DAY = dayOf(new Date(BASE_TIME_MS).toISOString());

/** A few lives: a success, a retried failure, a cancel and one still running. */
const lives = (): TaskEvent[] => [
  ...makeLifecycle({ taskId: 't-ok', taskType: 'send_invoice' }),
  ...makeLifecycle({ taskId: 't-retry', taskType: 'send_invoice', attempts: 3, outcome: 'failed' }),
  ...makeLifecycle({ taskId: 't-cancel', taskType: 'resize_image', outcome: 'cancelled' }),
  ...makeLifecycle({ taskId: 't-running', taskType: 'resize_image', outcome: 'running' }),
];

/** What a correct baseline stores: every event once in history, each counted once by `countEvent`. */
const stateOf = (events: readonly TaskEvent[]): BaselineState => {
  const history = new Map<string, Set<string>>();
  const stats = new Map<string, DailyStats>();
  for (const e of events) {
    history.set(e.taskId, (history.get(e.taskId) ?? new Set()).add(e.eventId));
    const { taskType, day } = statsTargetOf(e);
    stats.set(
      statsMapKey(day, taskType),
      countEvent(stats.get(statsMapKey(day, taskType)) ?? emptyStats(), e),
    );
  }
  return { history, stats, rollups: new Map(stats) };
};

describe('checkBaseline', () => {
  it('finds no difference when each event is stored and counted once, in any order', () => {
    const events = lives();
    const state = stateOf(shuffle(seededRandom(7), events));

    expect(checkBaseline(events, state, [DAY])).toEqual({ differences: 0, examples: [] });
  });

  it('reports a duplicate counted twice in the stats', () => {
    const events = lives();
    const terminal = events.find((e) => e.taskId === 't-ok' && e.status === 'succeeded')!;
    const state = stateOf([...events, terminal]);

    const report = checkBaseline(events, { ...state, rollups: stateOf(events).rollups }, [DAY]);

    expect(report.differences).toBe(1);
    expect(report.examples[0]).toContain(`stats ${DAY} send_invoice: total 3`);
  });

  it('reports an event missing from the history', () => {
    const events = lives();
    const state = stateOf(events);
    const history = new Map(state.history);
    history.set('t-retry', new Set([...history.get('t-retry')!].slice(1)));

    const report = checkBaseline(events, { ...state, history }, [DAY]);

    expect(report.differences).toBe(1);
    expect(report.examples[0]).toContain('history of t-retry');
  });

  it('reports a rollup that lost a type', () => {
    const events = lives();
    const state = stateOf(events);
    const rollups = new Map(state.rollups);
    rollups.delete(statsMapKey(DAY, 'resize_image'));

    const report = checkBaseline(events, { ...state, rollups }, [DAY]);

    expect(report.differences).toBe(1);
    expect(report.examples[0]).toMatch(/^rollup .* resize_image: nothing instead of total 1/);
  });
});
