import { describe, expect, it } from 'vitest';
import type { Rollup } from '../../../lambdas/domain/rollup';
import { RollupRangeError, runRollup } from '../../../lambdas/rollup/run-rollup';
import { BASE_TIME_MS, makeRandomLifecycle, seededRandom } from '../../support/events';
import { InMemoryFeed } from '../../support/fakes/feed';
import { InMemoryRollupStore } from '../../support/fakes/stores';
import { expectDayMatches } from './expect-rollup';

/**
 * The rollup use case over in-memory stores: every scope of a day against the oracle, idempotence,
 * late events, newer results kept, in milliseconds. run-rollup.int.test.ts runs it on the DynamoDB
 * adapters against moto.
 */

const DAY = '2026-03-02';
const DIMENSIONS = ['marketplace'];
const NOW = BASE_TIME_MS + 8 * 3_600_000;

const setUp = () => {
  const rand = seededRandom(20260302);
  const lifecycles = Array.from({ length: 70 }, () => makeRandomLifecycle(rand));
  // A third of the tasks send their last event late (after the first rollup ran).
  const late = new Set(lifecycles.filter((_, i) => i % 3 === 0).map((events) => events.at(-1)!.eventId));
  const all = lifecycles.flat();
  const feed = new InMemoryFeed(DIMENSIONS);
  const rollups = new InMemoryRollupStore();
  const rollupAt = (nowMs: number, from = DAY, to = DAY) =>
    runRollup({ aggregates: feed.aggregates, rollups, now: () => nowMs }, from, to);
  return { all, late, feed, rollups, rollupAt };
};

describe('runRollup (in-memory stores)', () => {
  it('matches the oracle for every scope, and again after late events and a rerun', async () => {
    const { all, late, feed, rollups, rollupAt } = setUp();
    const onTime = all.filter((e) => !late.has(e.eventId));
    feed.send(onTime);

    const first = await rollupAt(NOW);
    const stored = await expectDayMatches(rollups, DAY, DIMENSIONS, onTime);
    expect(first.days).toEqual([
      { day: DAY, scopes: stored.length, written: stored.length, superseded: 0, empty: 0 },
    ]);
    expect(stored.some((r) => r.dimension?.key === 'marketplace')).toBe(true);

    feed.send(all.filter((e) => late.has(e.eventId)));
    await rollupAt(NOW + 3_600_000);
    await expectDayMatches(rollups, DAY, DIMENSIONS, all);
  });

  it('is idempotent: a second run stores the same rollups', async () => {
    const { all, feed, rollups, rollupAt } = setUp();
    feed.send(all);
    await rollupAt(NOW);
    const before = await rollups.listRollups(DAY);

    await rollupAt(NOW + 60_000);

    const strip = (rs: Rollup[]) => rs.map(({ computedAt: _, ...r }) => r);
    expect(strip(await rollups.listRollups(DAY))).toEqual(strip(before));
  });

  it('keeps a newer rollup when an older computation tries to overwrite it', async () => {
    const { all, feed, rollupAt } = setUp();
    feed.send(all);
    await rollupAt(NOW + 60_000);

    const outcome = await rollupAt(NOW);

    expect(outcome.days[0]!.written).toBe(0);
    expect(outcome.days[0]!.superseded).toBe(outcome.days[0]!.scopes);
  });

  it('keeps the rollup of a registered scope whose buckets expired, and counts it as empty', async () => {
    const { all, feed, rollups, rollupAt } = setUp();
    feed.send(all);
    feed.aggregates.registered.set(DAY, new Set(['gone_type']));

    const outcome = await rollupAt(NOW);

    expect(outcome.days[0]!.empty).toBe(1);
    expect(await rollups.getRollup(DAY, 'gone_type')).toBeUndefined();
  });

  it('rolls up each day of a range, and refuses a range that ends before it starts', async () => {
    const { rollupAt } = setUp();

    expect((await rollupAt(NOW, '2026-03-01', '2026-03-03')).days.map((d) => d.day)).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    await expect(rollupAt(NOW, '2026-03-03', '2026-03-01')).rejects.toBeInstanceOf(RollupRangeError);
    await expect(rollupAt(NOW, '2026-3-1', '2026-03-01')).rejects.toBeInstanceOf(RollupRangeError);
  });
});
