import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Rollup } from '../../../lambdas/domain/rollup';
import { createRollupHandler } from '../../../lambdas/rollup/handler-factory';
import { InvalidRollupRequestError } from '../../../lambdas/rollup/request';
import { runRollup } from '../../../lambdas/rollup/run-rollup';
import { DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoRollupStore } from '../../../lambdas/shared/store/rollup-store';
import { BASE_TIME_MS, makeRandomLifecycle, seededRandom } from '../../support/events';
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
