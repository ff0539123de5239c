import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { addExact, COUNTER_FRACTION_DIGITS } from '../../../lambdas/domain/aggregate';
import type { Rollup } from '../../../lambdas/domain/rollup';
import { createRollupHandler } from '../../../lambdas/rollup/handler-factory';
import { InvalidRollupRequestError } from '../../../lambdas/rollup/request';
import { MAX_DIRTY_DAYS_PER_RUN, runRollup } from '../../../lambdas/rollup/run-rollup';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { dirtyDayKey } from '../../../lambdas/shared/names/keys';
import { type AggregateReader, DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoDirtyDayStore } from '../../../lambdas/shared/store/dirty-day-store';
import { DynamoRollupStore } from '../../../lambdas/shared/store/rollup-store';
import { BASE_TIME_MS, makeLifecycle, makeRandomLifecycle, seededRandom } from '../../support/events';
import { createTestTables, TestFeed, type TestTables } from '../../support/tables';
import { exactQuantile, type OracleRollup, oracleRollups, withinBound } from './oracle';

const DAY = '2026-03-02';
const DIMENSIONS = ['marketplace'];
const INGEST_NOW = BASE_TIME_MS + 8 * 3_600_000;

/** Compare a stored rollup with the oracle: counts exactly, percentiles within the stated bound. */
const expectMatchesOracle = (rollup: Rollup, oracle: OracleRollup) => {
  const bound = rollup.percentileRelativeError;
  expect(bound).toBe(0.02);
  expect({ total: rollup.total, byStatus: rollup.byStatus, retried: rollup.retried }).toEqual({
    total: oracle.total,
    byStatus: oracle.byStatus,
    retried: oracle.retried,
  });
  expect({ started: rollup.started, open: rollup.open }).toEqual({
    started: oracle.started,
    open: oracle.open,
  });
  expect(rollup.failureRate).toBe(oracle.total === 0 ? null : oracle.byStatus.failed! / oracle.total);
  for (const [name, values] of [
    ['run', oracle.run],
    ['wait', oracle.wait],
  ] as const) {
    const stats = rollup[name];
    if (values.length === 0) {
      expect(stats).toBeNull();
      continue;
    }
    expect(stats!.count).toBe(values.length);
    expect(stats!.sumMs).toBe(values.reduce((a, b) => a + b, 0));
    for (const [field, q] of [
      ['minMs', 0],
      ['p50Ms', 0.5],
      ['p95Ms', 0.95],
      ['p99Ms', 0.99],
      ['maxMs', 1],
    ] as const) {
      const exact = exactQuantile(values, q);
      expect(withinBound(stats![field], exact, bound), `${name}.${field} ${stats![field]} vs ${exact}`).toBe(
        true,
      );
    }
  }
  const errorCounts = Object.entries(oracle.errors).sort(([ta, a], [tb, b]) => b - a || (ta < tb ? -1 : 1));
  expect(rollup.errorTypes).toBe(errorCounts.length);
  expect(rollup.topErrors.map((e) => [e.type, e.count])).toEqual(errorCounts.slice(0, 5));
  expect(Object.keys(rollup.metrics).sort()).toEqual(Object.keys(oracle.metrics).sort());
  for (const [name, values] of Object.entries(oracle.metrics)) {
    const m = rollup.metrics[name]!;
    expect(m.count).toBe(values.length);
    // Sums are exact decimals of the values at COUNTER_FRACTION_DIGITS (so any batch split agrees).
    const quantized = values.reduce((a, b) => addExact(a, b), 0);
    expect(m.sum).toBeCloseTo(quantized, 9);
    expect(Math.abs(m.sum - values.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(
      values.length * 10 ** -COUNTER_FRACTION_DIGITS,
    );
    expect(withinBound(m.p95, exactQuantile(values, 0.95), bound)).toBe(true);
    expect(withinBound(m.min, exactQuantile(values, 0), bound)).toBe(true);
    expect(withinBound(m.max, exactQuantile(values, 1), bound)).toBe(true);
  }
};

/** Compare every stored rollup of the day with the oracle of `events`, scope by scope. */
const expectDayMatches = async (store: DynamoRollupStore, events: readonly TaskEvent[]) => {
  const oracle = oracleRollups(events, DAY, DIMENSIONS);
  const stored = await store.listRollups(DAY);
  expect(stored.map((r) => r.scope)).toEqual(expect.arrayContaining([...oracle.keys()]));
  for (const rollup of stored) {
    const expected = oracle.get(rollup.scope);
    // A scope whose only execution moved to another dimension value keeps a rollup of zeros.
    if (expected === undefined) expect([rollup.total, rollup.started, rollup.open]).toEqual([0, 0, 0]);
    else expectMatchesOracle(rollup, expected);
  }
  return stored;
};

describe('runRollup on moto_server', () => {
  let tables: TestTables;
  let feed: TestFeed;
  let reader: DynamoAggregateReader;
  let store: DynamoRollupStore;
  const rand = seededRandom(20260302);
  const lifecycles = Array.from({ length: 70 }, () => makeRandomLifecycle(rand));
  // A third of the tasks send their last event late (after the first rollup ran).
  const late = new Set(
    lifecycles.filter((_, i) => i % 3 === 0).map((events) => events[events.length - 1]!.eventId),
  );
  const all = lifecycles.flat();
  const onTime = all.filter((e) => !late.has(e.eventId));

  beforeAll(async () => {
    tables = await createTestTables();
    feed = new TestFeed(tables, DIMENSIONS);
    reader = new DynamoAggregateReader(tables.doc, tables.stateTable);
    store = new DynamoRollupStore(tables.doc, tables.stateTable);
    await feed.send(onTime, INGEST_NOW);
  });

  it('matches the oracle: counts exactly, percentiles within the stated bound', async () => {
    // Act
    const outcome = await runRollup({ aggregates: reader, rollups: store, now: () => INGEST_NOW }, DAY, DAY);
    // Assess
    const stored = await expectDayMatches(store, onTime);
    expect(outcome.days).toEqual([
      { day: DAY, scopes: stored.length, written: stored.length, superseded: 0, empty: 0 },
    ]);
    expect(stored.some((r) => r.dimension?.key === 'marketplace')).toBe(true);
  });

  it('is idempotent: a second run stores the same rollups', async () => {
    // Prepare
    const before = await store.listRollups(DAY);
    // Act
    await runRollup({ aggregates: reader, rollups: store, now: () => INGEST_NOW + 60_000 }, DAY, DAY);
    // Assess
    const after = await store.listRollups(DAY);
    const strip = (rs: Rollup[]) => rs.map(({ computedAt: _, ...r }) => r);
    expect(strip(after)).toEqual(strip(before));
    expect(after[0]!.computedAt).toBe(new Date(INGEST_NOW + 60_000).toISOString());
  });

  it('gives the correct result when rerun after late events for the day (backfill entry point)', async () => {
    // Prepare: the late events arrive and are aggregated.
    await feed.send(
      all.filter((e) => late.has(e.eventId)),
      INGEST_NOW + 3_600_000,
    );
    const handler = createRollupHandler({
      aggregates: reader,
      rollups: store,
      scheduledDays: 2,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => INGEST_NOW + 7_200_000,
    });
    // Act
    const outcome = await handler({ from: DAY, to: DAY });
    // Assess
    expect(outcome.days[0]!.written).toBeGreaterThan(0);
    await expectDayMatches(store, all);
  });

  it('keeps a newer rollup when an older computation tries to overwrite it', async () => {
    // Act: a run whose aggregates were read "before" the stored one.
    const outcome = await runRollup({ aggregates: reader, rollups: store, now: () => INGEST_NOW }, DAY, DAY);
    // Assess
    expect(outcome.days[0]!.written).toBe(0);
    expect(outcome.days[0]!.superseded).toBe(outcome.days[0]!.scopes);
  });

  it('rolls up the previous UTC days on a scheduled event and rejects malformed requests', async () => {
    // Prepare
    const handler = createRollupHandler({
      aggregates: reader,
      rollups: store,
      scheduledDays: 2,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => Date.parse('2026-03-03T00:30:05Z') + 86_400_000,
    });
    // Act
    const outcome = await handler({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-03-03T00:30:00Z',
    });
    // Assess
    expect(outcome.days.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02']);
    expect(outcome.days[0]!.scopes).toBe(0);
    await expect(handler({ from: '2026-03-05', to: '2026-03-01' })).rejects.toThrow(
      InvalidRollupRequestError,
    );
    await expect(handler({ from: 'yesterday' })).rejects.toThrow(/YYYY-MM-DD/);
  });
});

describe('scheduled rollup of dirty days (late events older than the scheduled range)', () => {
  const TODAY = '2026-03-07';
  const LATE_DAY = '2026-03-02';
  const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: `${TODAY}T00:30:00Z` };
  const NOW_MS = Date.parse(`${TODAY}T00:30:05Z`);
  const silent = new Logger({ logLevel: 'SILENT' });

  /** Fresh tables with one day's tasks rolled up, and a scheduled handler over them. */
  const setUp = async (options: { onRead?: () => Promise<void> } = {}) => {
    const tables = await createTestTables();
    const feed = new TestFeed(tables);
    const reader = new DynamoAggregateReader(tables.doc, tables.stateTable);
    const aggregates: AggregateReader = {
      listScopes: (day) => reader.listScopes(day),
      readRange: async (scope, fromMs, toMs) => {
        await options.onRead?.();
        return reader.readRange(scope, fromMs, toMs);
      },
    };
    const rollups = new DynamoRollupStore(tables.doc, tables.stateTable);
    const dirtyDays = new DynamoDirtyDayStore(tables.doc, tables.stateTable);
    const dayMs = Date.parse(`${LATE_DAY}T08:00:00Z`);
    const task = (i: number) =>
      makeLifecycle({ taskId: `late-${i}`, taskType: 'nightly', startMs: dayMs + i * 60_000 });
    await feed.send([0, 1, 2].flatMap(task), dayMs + 3_600_000);
    await runRollup({ aggregates: reader, rollups, now: () => dayMs + 7_200_000 }, LATE_DAY, LATE_DAY);
    const handler = createRollupHandler({
      aggregates,
      rollups,
      dirtyDays,
      scheduledDays: 2,
      logger: silent,
      now: () => NOW_MS,
    });
    /** What the aggregator does for a late event: store it, then mark its (ended) day dirty. */
    const arriveLate = async (i: number, changedAt: number) => {
      await feed.send(task(i), NOW_MS - 3_600_000);
      await markDirty(changedAt);
    };
    const markDirty = (changedAt: number, day = LATE_DAY) =>
      tables.doc.send(
        new PutCommand({ TableName: tables.stateTable, Item: { ...dirtyDayKey(day), changedAt } }),
      );
    const mark = async (day = LATE_DAY) =>
      (await tables.doc.send(new GetCommand({ TableName: tables.stateTable, Key: dirtyDayKey(day) }))).Item;
    return { rollups, handler, arriveLate, markDirty, mark };
  };

  it('recomputes a day 5 days ago that received a late event, then removes its mark', async () => {
    // Prepare: the day's rollup counts 3 tasks; a fourth arrives 5 days later.
    const { rollups, handler, arriveLate, mark } = await setUp();
    expect((await rollups.getRollup(LATE_DAY, 'nightly'))?.total).toBe(3);
    await arriveLate(3, NOW_MS - 3_600_000);
    // Act
    const outcome = await handler(SCHEDULED);
    // Assess: the rollup agrees with the aggregates again, and the mark is gone.
    expect(outcome.days.map((d) => d.day)).toEqual([LATE_DAY, '2026-03-05', '2026-03-06']);
    expect((await rollups.getRollup(LATE_DAY, 'nightly'))?.total).toBe(4);
    expect(await mark()).toBeUndefined();
    expect((await handler(SCHEDULED)).days.map((d) => d.day)).toEqual(['2026-03-05', '2026-03-06']);
  });

  it('keeps a mark written while the day was being recomputed', async () => {
    // Prepare: the aggregator marks the day again while the rollup reads its aggregates.
    let again: (() => Promise<unknown>) | undefined;
    const { handler, arriveLate, markDirty, mark } = await setUp({
      onRead: async () => void (await again?.()),
    });
    await arriveLate(3, NOW_MS - 3_600_000);
    again = () => markDirty(NOW_MS);
    // Act
    await handler(SCHEDULED);
    // Assess: the newer mark survives for the next run.
    expect((await mark())?.changedAt).toBe(NOW_MS);
  });

  it('recomputes a bounded number of dirty days per run and leaves the rest for the next', async () => {
    const { handler, markDirty, mark } = await setUp();
    const days = Array.from({ length: MAX_DIRTY_DAYS_PER_RUN + 3 }, (_, i) =>
      new Date(Date.parse('2026-01-01T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10),
    );
    for (const day of days) await markDirty(1, day);
    const first = await handler(SCHEDULED);
    expect(first.dirty?.days).toEqual(days.slice(0, MAX_DIRTY_DAYS_PER_RUN));
    expect(await mark(days.at(-1))).toBeDefined();
    const second = await handler(SCHEDULED);
    expect(second.dirty?.days).toEqual(days.slice(MAX_DIRTY_DAYS_PER_RUN));
    expect(await mark(days.at(-1))).toBeUndefined();
  });
});
