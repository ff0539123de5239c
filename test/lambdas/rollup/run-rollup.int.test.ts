import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Rollup } from '../../../lambdas/domain/rollup';
import { createRollupHandler } from '../../../lambdas/rollup/handler-factory';
import { InvalidRollupRequestError } from '../../../lambdas/rollup/request';
import { MAX_DIRTY_DAYS_PER_RUN, runRollup } from '../../../lambdas/rollup/run-rollup';
import { dirtyDayKey } from '../../../lambdas/shared/names/keys';
import { type AggregateReader, DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoDirtyDayStore } from '../../../lambdas/shared/store/dirty-day-store';
import { DynamoRollupStore } from '../../../lambdas/shared/store/rollup-store';
import { BASE_TIME_MS, makeLifecycle, makeRandomLifecycle, seededRandom } from '../../support/events';
import { createTestTables, TestFeed, type TestTables } from '../../support/tables';
import { expectDayMatches } from './expect-rollup';

const DAY = '2026-03-02';
const DIMENSIONS = ['marketplace'];
const INGEST_NOW = BASE_TIME_MS + 8 * 3_600_000;

describe('runRollup on moto_server', () => {
  let tables: TestTables;
  let feed: TestFeed;
  let reader: DynamoAggregateReader;
  let store: DynamoRollupStore;
  const rand = seededRandom(20260302);
  // Few tasks: the use case is checked against the oracle in run-rollup.unit.test.ts; this checks the adapters.
  const lifecycles = Array.from({ length: 25 }, () => makeRandomLifecycle(rand));
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
    const stored = await expectDayMatches(store, DAY, DIMENSIONS, onTime);
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
    await expectDayMatches(store, DAY, DIMENSIONS, all);
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
    // The feed's real aggregator marked LATE_DAY itself when setUp stored its tasks (an ended day).
    expect(second.dirty?.days).toEqual([...days.slice(MAX_DIRTY_DAYS_PER_RUN), LATE_DAY]);
    expect(await mark(days.at(-1))).toBeUndefined();
  });
});
