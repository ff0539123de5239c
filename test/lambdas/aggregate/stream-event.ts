import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type Execution, mergeEvents } from '../../../lambdas/domain/execution';
import { toExecutionItem } from '../../../lambdas/shared/store/execution-item';
import { BASE_TIME_MS, type LifecycleOptions, makeLifecycle } from '../../support/events';

/** Factories for aggregator tests: executions and the stream records the history table would emit. */

/** A finished execution built from one task's events (see `makeLifecycle` for the defaults). */
export const makeExecution = (options: LifecycleOptions = {}): Execution =>
  mergeEvents(undefined, makeLifecycle(options)).execution!;

/** Executions of `types` task types × `perType` tasks, spread over many buckets, some failed with metrics. */
export const makeExecutions = (types: number, perType: number): Execution[] =>
  Array.from({ length: types * perType }, (_, i) =>
    makeExecution({
      taskId: `task-${i}`,
      taskType: `type_${i % types}`,
      startMs: BASE_TIME_MS + Math.floor(i / types) * 10 * 60_000,
      outcome: i % 3 === 0 ? 'failed' : 'succeeded',
      error: { type: `Err${i % 5}`, message: 'boom' },
      metrics: { tokens: i },
    }),
  );

/** An INSERT stream record of an execution, with a decimal sequence number. */
export const insertRecord = (execution: Execution, sequenceNumber: number): DynamoDBRecord => {
  const item = toExecutionItem(execution, 1, 30);
  return {
    eventName: 'INSERT',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequenceNumber).padStart(21, '0'),
    },
  };
};

/** A stream event with one INSERT per execution, sequence numbers from `firstSequence` up. */
export const streamEventOf = (
  executions: readonly Execution[],
  firstSequence = 1_000,
): DynamoDBStreamEvent => ({
  Records: executions.map((x, i) => insertRecord(x, firstSequence + i)),
});
