import { addExact, deltaOf } from '../../../lambdas/domain/aggregate';
import { type Execution, mergeEvents } from '../../../lambdas/domain/execution';
import { runSummaryOf } from '../../../lambdas/domain/rules/run-summary';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { dayStartMs } from '../../../lambdas/shared/time';
import { InMemoryAggregateReader, InMemoryRunLookup } from './stores';

/**
 * The pipeline's pure steps without the emulator: events merge into executions (`mergeEvents`, as
 * ingest does), each change adds its aggregate delta (`deltaOf`, as the aggregator does), and the
 * results land in in-memory stores the monitor and rollup read. What the DynamoDB adapters add (keys,
 * sharded parts, conditional writes) is covered by the integration tests.
 */
export class InMemoryFeed {
  readonly aggregates = new InMemoryAggregateReader();
  readonly runs = new InMemoryRunLookup();
  private readonly executions = new Map<string, Execution>();

  constructor(private readonly dimensionKeys: readonly string[] = []) {}

  /** Ingest and aggregate some events (any order; duplicates are harmless, as in the pipeline). */
  send(events: readonly TaskEvent[]): void {
    const byTask = new Map<string, TaskEvent[]>();
    for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
    for (const [taskId, incoming] of byTask) {
      const before = this.executions.get(taskId);
      const merged = mergeEvents(before, incoming);
      if (!merged.changed) continue;
      this.executions.set(taskId, merged.execution);
      this.runs.runs.set(taskId, runSummaryOf(merged.execution));
      for (const delta of deltaOf(before, merged.execution, this.dimensionKeys)) {
        const { scope, day, slot } = delta.target;
        const [h, m] = slot.split(':').map(Number);
        const startMs = dayStartMs(day) + ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
        const list = this.aggregates.buckets.get(scope) ?? [];
        let bucket = list.find((b) => b.startMs === startMs);
        if (bucket === undefined) {
          bucket = { startMs, fields: {} };
          list.push(bucket);
          this.aggregates.buckets.set(scope, list);
        }
        const fields = bucket.fields as Record<string, unknown>;
        for (const [field, by] of Object.entries(delta.counters))
          fields[field] = addExact(Number(fields[field] ?? 0), by);
        for (const [field, sample] of Object.entries(delta.samples)) fields[field] ??= sample;
      }
    }
  }
}
