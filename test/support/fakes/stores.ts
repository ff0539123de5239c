import type { AlertDocument } from '../../../lambdas/domain/alerts/document';
import type { AlertMessage } from '../../../lambdas/domain/alerts/sns-message';
import type { Rollup } from '../../../lambdas/domain/rollup';
import type { AlertState } from '../../../lambdas/domain/rules/alert-state';
import { BUCKET_MS, type BucketAggregate } from '../../../lambdas/domain/rules/buckets';
import type { RunSummary } from '../../../lambdas/domain/rules/run-summary';
import type { AlertPublisher } from '../../../lambdas/shared/aws/alert-publisher';
import type { AggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import {
  AlertStateConflictError,
  type AlertStateStore,
  type StoredAlertState,
} from '../../../lambdas/shared/store/alert-state-store';
import type { RollupStore } from '../../../lambdas/shared/store/rollup-store';
import type { RunLookup } from '../../../lambdas/shared/store/run-lookup';

/**
 * In-memory stores for unit tests of the monitor and rollup use cases: each keeps the contract its
 * interface documents (what the DynamoDB adapter guarantees), nothing more, so a use case can be run in
 * milliseconds. The DynamoDB adapters themselves are tested against moto (`*.int.test.ts`).
 */

/**
 * `AggregateReader` over buckets held in memory. The scope registry of a day is every scope with a
 * bucket that day, plus those `registered` by hand (as a registry entry outlives expired buckets).
 */
export class InMemoryAggregateReader implements AggregateReader {
  /** Buckets by scope, any order. */
  readonly buckets = new Map<string, BucketAggregate[]>();
  /** Extra registry entries: `<day>` → scopes. */
  readonly registered = new Map<string, Set<string>>();

  async listScopes(day: string): Promise<string[]> {
    const scopes = new Set(this.registered.get(day));
    for (const [scope, list] of this.buckets)
      if (list.some((b) => new Date(b.startMs).toISOString().slice(0, 10) === day)) scopes.add(scope);
    return [...scopes].sort();
  }

  async readRange(scope: string, fromMs: number, toMs: number): Promise<BucketAggregate[]> {
    return (this.buckets.get(scope) ?? [])
      .filter((b) => b.startMs + BUCKET_MS > fromMs && b.startMs < toMs)
      .sort((a, b) => a.startMs - b.startMs);
  }
}

/** `RunLookup` over run summaries held in memory, by task ID. */
export class InMemoryRunLookup implements RunLookup {
  readonly runs = new Map<string, RunSummary>();

  async createdBetween(
    taskType: string,
    fromMs: number,
    toMs: number,
    options: { limit?: number } = {},
  ): Promise<string[]> {
    const ids = [...this.runs.values()]
      .filter((r) => r.taskType === taskType)
      .filter((r) => Date.parse(r.createdAt) >= fromMs && Date.parse(r.createdAt) < toMs)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))
      .map((r) => r.taskId);
    return options.limit === undefined ? ids : ids.slice(0, options.limit);
  }

  async getRuns(taskIds: readonly string[]): Promise<RunSummary[]> {
    return [...new Set(taskIds)].flatMap((id) => {
      const run = this.runs.get(id);
      return run === undefined ? [] : [run];
    });
  }
}

/** `AlertStateStore` with the same optimistic versioning as the DynamoDB one. */
export class InMemoryAlertStateStore implements AlertStateStore {
  private readonly items = new Map<string, StoredAlertState>();

  async list(): Promise<StoredAlertState[]> {
    return [...this.items.values()].map((s) => structuredClone(s));
  }

  async put(
    state: AlertState,
    pending: AlertMessage | null,
    expectedVersion: number | undefined,
  ): Promise<number> {
    const key = `${state.rule}#${state.scope}`;
    const current = this.items.get(key);
    if (current?.version !== expectedVersion) {
      throw new AlertStateConflictError(
        `alert state ${key} changed since version ${expectedVersion ?? 'none'}`,
      );
    }
    const version = (expectedVersion ?? 0) + 1;
    this.items.set(key, structuredClone({ state, version, pending }));
    return version;
  }
}

/** `RollupStore` that keeps a rollup unless one computed later is stored, as the DynamoDB one does. */
export class InMemoryRollupStore implements RollupStore {
  private readonly items = new Map<string, Rollup>();

  async putRollup(rollup: Rollup): Promise<'written' | 'superseded'> {
    const key = `${rollup.day}\n${rollup.scope}`;
    const current = this.items.get(key);
    if (current !== undefined && current.computedAt > rollup.computedAt) return 'superseded';
    this.items.set(key, structuredClone(rollup));
    return 'written';
  }

  async getRollup(day: string, scope: string): Promise<Rollup | undefined> {
    return this.items.get(`${day}\n${scope}`);
  }

  async listRollups(day: string): Promise<Rollup[]> {
    return [...this.items.values()].filter((r) => r.day === day).sort((a, b) => (a.scope < b.scope ? -1 : 1));
  }
}

/** One published alert as a machine subscriber (the `sqs` protocol body) would decode it. */
interface PublishedAlert {
  readonly id: string;
  readonly subject: string;
  readonly document: AlertDocument;
  readonly attributes: Readonly<Record<string, string>>;
}

/** `AlertPublisher` that records what it published. */
export class RecordingPublisher implements AlertPublisher {
  readonly published: AlertMessage[] = [];
  private taken = 0;

  async publish(message: AlertMessage): Promise<void> {
    this.published.push(structuredClone(message));
  }

  /** What was published since the last call, decoded. */
  take(): PublishedAlert[] {
    const fresh = this.published.slice(this.taken);
    this.taken = this.published.length;
    return fresh.map((m) => ({
      id: m.id,
      subject: m.subject,
      document: JSON.parse((JSON.parse(m.message) as Record<string, string>).sqs!) as AlertDocument,
      attributes: m.attributes,
    }));
  }
}
