import { describe, expect, it } from 'vitest';
import { resolveMonitorConfig } from '../../../../lambdas/domain/rules/config';
import { createMonitorHandler } from '../../../../lambdas/monitor/handler-factory';
import { createRollupHandler } from '../../../../lambdas/rollup/handler-factory';
import type { RunRecord, RunRecordStore } from '../../../../lambdas/shared/store/run-record-store';
import {
  InMemoryAggregateReader,
  InMemoryAlertStateStore,
  InMemoryRollupStore,
  InMemoryRunLookup,
} from '../../../support/fakes/stores';

/** The scheduled jobs record their completed runs, which `/health` reads to tell a stopped schedule. */

const NOW = Date.parse('2026-03-02T10:00:00Z');

class MemoryRunRecords implements RunRecordStore {
  readonly records: RunRecord[] = [];
  async record(run: RunRecord) {
    this.records.push(run);
  }
  async readAll() {
    return Object.fromEntries(this.records.map((r) => [r.job, r]));
  }
}

const monitorDeps = (runRecords: RunRecordStore, publish: () => Promise<void> = async () => {}) => ({
  aggregates: new InMemoryAggregateReader(),
  runs: new InMemoryRunLookup(),
  states: new InMemoryAlertStateStore(),
  publisher: { publish },
  config: resolveMonitorConfig({ version: 1 }, 'test'),
  stage: 'test',
  runRecords,
  now: () => NOW,
});

const rollupHandler = (runRecords: RunRecordStore) =>
  createRollupHandler({
    aggregates: new InMemoryAggregateReader(),
    rollups: new InMemoryRollupStore(),
    scheduledDays: 2,
    logger: { info: () => {} },
    runRecords,
    now: () => NOW,
  });

describe('run records', () => {
  it('are written by a monitor run that handled everything, with its gauges', async () => {
    // Prepare
    const runRecords = new MemoryRunRecords();
    // Act
    await createMonitorHandler(monitorDeps(runRecords))();
    // Assess
    expect(runRecords.records).toEqual([{ job: 'monitor', completedAtMs: NOW, gauges: [] }]);
  });

  it('are written by a scheduled rollup, not by a backfill', async () => {
    // Prepare
    const runRecords = new MemoryRunRecords();
    const handler = rollupHandler(runRecords);
    // Act
    await handler({ from: '2026-03-01', to: '2026-03-01' });
    await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-03-02T00:30:00Z' });
    // Assess
    expect(runRecords.records).toEqual([{ job: 'rollup', completedAtMs: NOW, gauges: [] }]);
  });
});
