import type { DynamoDBBatchResponse, DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { toExecutionChanges } from '../../lambdas/aggregate/stream-records';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { checkOracle, snapshotOf } from '../torture/compare';
import { createTortureStack } from '../torture/stack';
import type { Instrument } from './design';
import { type PipelineSettings, pipelineSettingsOf } from './settings';

/**
 * Taskpulse as deployed, for the comparison: the stack created by moto's CloudFormation from the
 * synthesized template, and the real ingest, aggregator (behind the local stream poller), rollup and
 * monitor handlers, through the torture suite's stack (one way of building them for both benches).
 */

/** The aggregate dimensions of the bench's stack (as `npm run bench` always used). */
export const BENCH_DIMENSIONS = ['marketplace'] as const;

export interface TaskpulseOptions {
  readonly endpoint: string;
  /** The ingest clock, ms. */
  readonly nowMs: number;
  /** The stream's design rate: stream records are replayed into the aggregator's windows at it. */
  readonly eventsPerSecond: number;
  readonly instrument?: Instrument;
  /** Called before each aggregator invocation with the eventIds of the executions its records wrote. */
  readonly onAggregateStart?: (eventIds: readonly string[]) => void;
  /** Called after each aggregator invocation with those eventIds and how long it took, ms. */
  readonly onAggregateBatch?: (eventIds: readonly string[], ms: number) => void;
}

export interface TaskpulseDesign {
  readonly settings: PipelineSettings;
  readonly historyTable: string;
  ingest(event: SQSEvent): Promise<SQSBatchResponse>;
  /** Let the aggregator apply everything in the stream. */
  drain(): Promise<void>;
  rollup(day: string): Promise<void>;
  monitor(nowMs: number): Promise<void>;
  /** Differences of the stored state from the oracle (bench/torture/compare.ts). */
  check(
    events: readonly TaskEvent[],
    days: readonly string[],
  ): Promise<{ differences: number; examples: readonly string[] }>;
  close(): Promise<void>;
}

/** The eventIds of the executions a batch of stream records wrote. Pure. */
const eventIdsOf = (records: readonly DynamoDBRecord[]): string[] =>
  toExecutionChanges(records).flatMap((c) => c.after?.events.map((e) => e.eventId) ?? []);

export const createTaskpulse = async (options: TaskpulseOptions): Promise<TaskpulseDesign> => {
  const arrival = new Map<string, number>();
  const stack = await createTortureStack({
    endpoint: options.endpoint,
    nowMs: options.nowMs,
    dimensions: BENCH_DIMENSIONS,
    deferAggregator: true,
    streamBatchingWindow: true,
    // Stream records reach the aggregator's tumbling windows at the stream's design rate, not at
    // moto's pace (which would spread 1,000 events over minutes of windows; decision 0013).
    arrivalSecondsOf: (record) => {
      const seq = record.dynamodb?.SequenceNumber ?? '';
      if (!arrival.has(seq))
        arrival.set(seq, Math.floor(options.nowMs / 1000 + arrival.size / options.eventsPerSecond));
      return arrival.get(seq);
    },
    ...(options.instrument !== undefined && { instrument: options.instrument }),
    wrapAggregate: (handler) => async (event, context) => {
      const ids = eventIdsOf(event.Records);
      options.onAggregateStart?.(ids);
      const t0 = performance.now();
      const response = (await handler(event, context)) as DynamoDBBatchResponse | undefined;
      options.onAggregateBatch?.(ids, performance.now() - t0);
      return response;
    },
  });
  return {
    settings: pipelineSettingsOf(stack.template),
    historyTable: stack.historyTable,
    ingest: (event) => stack.ingest(event),
    drain: () => stack.aggregate(),
    rollup: async (day) => {
      await stack.rollup(day, day, options.nowMs);
    },
    monitor: async (nowMs) => {
      await stack.monitor(nowMs);
    },
    check: async (events, days) => checkOracle(events, await snapshotOf(stack), BENCH_DIMENSIONS, days),
    close: () => stack.close(),
  };
};
