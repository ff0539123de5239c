import { describe, expect, it } from 'vitest';
import { AGG_FIELD } from '../../../lambdas/domain/aggregate';
import type { AlertMessage } from '../../../lambdas/domain/alerts/sns-message';
import { binOf } from '../../../lambdas/domain/histogram';
import type { AlertState } from '../../../lambdas/domain/rules/alert-state';
import type { BucketAggregate } from '../../../lambdas/domain/rules/buckets';
import { resolveMonitorConfig } from '../../../lambdas/domain/rules/config';
import { createMonitorHandler, MonitorRunError } from '../../../lambdas/monitor/handler-factory';
import { type MonitorDeps, type MonitorLogger, runMonitor } from '../../../lambdas/monitor/run-monitor';
import type { AlertPublisher } from '../../../lambdas/shared/aws/alert-publisher';
import type { AggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import {
  AlertStateConflictError,
  type AlertStateStore,
  type StoredAlertState,
} from '../../../lambdas/shared/store/alert-state-store';
import type { RunLookup } from '../../../lambdas/shared/store/run-lookup';

/**
 * The monitor's orchestration with in-memory adapters: the outbox (a message stored with the state
 * before publishing) and concurrency (conditional writes), which moto cannot make fail on demand.
 */

const NOW = Date.parse('2026-03-02T10:00:00Z');

/** Aggregates of one busy, failing scope (50% of 20 failed, 3 slow runs) and one quiet scope. */
const aggregates: AggregateReader = {
  listScopes: async () => ['quiet', 'send_invoice', 'send_invoice|marketplace=DE'],
  readRange: async (scope): Promise<BucketAggregate[]> =>
    scope === 'quiet'
      ? []
      : [
          {
            startMs: Date.parse('2026-03-02T09:30:00Z'),
            fields: {
              [AGG_FIELD.finished]: 20,
              [AGG_FIELD.statusCount('failed')]: 10,
              [AGG_FIELD.statusCount('succeeded')]: 10,
              [AGG_FIELD.runCount]: 3,
              [AGG_FIELD.runSum]: 30_000,
              [AGG_FIELD.runBin(binOf(10_000))]: 3,
            },
          },
        ],
};
const noRuns: RunLookup = { createdBetween: async () => [], getRuns: async () => [] };

class MemoryStates implements AlertStateStore {
  readonly items = new Map<string, StoredAlertState>();
  conflictOnce = false;
  async list() {
    return [...this.items.values()];
  }
  async put(
    state: AlertState,
    pending: AlertMessage | null,
    expected: number | undefined,
    claimedUntilMs?: number,
  ) {
    const key = `${state.rule}#${state.scope}`;
    if (this.conflictOnce || this.items.get(key)?.version !== expected) {
      this.conflictOnce = false;
      throw new AlertStateConflictError(`conflict on ${key}`);
    }
    const version = (expected ?? 0) + 1;
    this.items.set(key, {
      state,
      pending,
      version,
      claimedUntilMs: pending === null ? null : (claimedUntilMs ?? null),
    });
    return version;
  }
}

class FlakyPublisher implements AlertPublisher {
  readonly sent: AlertMessage[] = [];
  failures = 0;
  async publish(message: AlertMessage) {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('SNS is down');
    }
    this.sent.push(message);
  }
}

const setUp = () => {
  const states = new MemoryStates();
  const publisher = new FlakyPublisher();
  const warnings: unknown[] = [];
  const logger: MonitorLogger = { info: () => {}, error: () => {}, warn: (m, e) => warnings.push([m, e]) };
  const deps: MonitorDeps = {
    aggregates,
    runs: noRuns,
    states,
    publisher,
    config: resolveMonitorConfig({ defaults: { stuck: { enabled: false } } }),
    stage: 'test',
    logger,
  };
  return { deps, states, publisher, warnings };
};

describe('runMonitor orchestration', () => {
  it('evaluates task-type and dimension scopes and logs slow runs as warnings', async () => {
    const { deps, publisher, warnings } = setUp();
    const outcome = await runMonitor(deps, NOW);
    expect(publisher.sent.map((m) => m.subject).sort()).toEqual([
      '[ALARM] send_invoice failure rate 50.0% > 20% (last 1h)',
      '[ALARM] send_invoice marketplace=DE failure rate 50.0% > 20% (last 1h)',
    ]);
    expect(outcome.notifications).toHaveLength(2);
    expect(warnings).toContainEqual([
      'slow runs',
      expect.objectContaining({ scope: 'send_invoice', slow: 3 }),
    ]);
  });

  it('keeps a message that could not be published and sends it on the next run, once', async () => {
    // Prepare
    const { deps, states, publisher } = setUp();
    publisher.failures = 1;
    // Act: the first publish fails…
    const first = await runMonitor(deps, NOW);
    // Assess: …the state is ALARM with the message pending, and the failure is reported.
    expect(first.failures).toHaveLength(1);
    const pending = [...states.items.values()].filter((s) => s.pending !== null);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.state.status).toBe('ALARM');
    // Act: the next run delivers it and says nothing new.
    const second = await runMonitor(deps, NOW + 5 * 60_000);
    expect(second.failures).toEqual([]);
    expect(publisher.sent.filter((m) => m.id === pending[0]!.pending!.id)).toHaveLength(1);
    expect(publisher.sent).toHaveLength(2);
    expect([...states.items.values()].every((s) => s.pending === null)).toBe(true);
  });

  it('leaves an alert to a concurrent run that changed it first', async () => {
    const { deps, states, publisher } = setUp();
    states.conflictOnce = true;
    const outcome = await runMonitor(deps, NOW);
    expect(outcome.failures).toEqual([]);
    expect(publisher.sent).toHaveLength(1);
  });

  it('fails the invocation when a step failed, after settling the rest', async () => {
    const { deps, publisher } = setUp();
    publisher.failures = 1;
    const handler = createMonitorHandler({ ...deps, now: () => NOW });
    await expect(handler()).rejects.toThrow(MonitorRunError);
    expect(publisher.sent).toHaveLength(1);
  });
});
