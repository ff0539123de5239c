import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { eventsOfRecords, type FeedEvent, listShards } from '../../lambdas/shared/queries/feed';
import { CliError } from '../errors';

/**
 * `tail`: events as they are stored, read from the history table's stream (NEW_AND_OLD_IMAGES).
 *
 * Why the stream and not the indexes: the byType index keys are written once, when an execution is
 * created, and byStatus only holds failed and cancelled ones, so polling them would show new tasks and
 * failures but never a `started` → `succeeded` step. Every stored event changes its execution's item,
 * so the stream shows each one exactly when it is durable, for every task type, without polling
 * `types × shards` partitions. The new events of a change are those in the new image and not in the
 * old one. Cost: a DynamoDB stream shard serves about five reads per second shared by all its readers
 * (the aggregator Lambda is one); `tail` reads each shard at most once per `pollMs`, and backs off when
 * throttled, so one or two operators tailing cannot starve the aggregator.
 */

/** One new event (stable `--json` shape, one object per line): the read API's feed shape. */
export type TailEvent = FeedEvent;

interface FollowOptions {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly streams: Pick<DynamoDBStreamsClient, 'send'>;
  readonly historyTable: string;
  /** Called for each new event, in stream order. Return `false` to stop. */
  readonly onEvent: (event: TailEvent) => boolean | undefined;
  /** Called once the stream position is taken: everything stored from then on is shown. */
  readonly onReady?: () => void;
  readonly signal?: AbortSignal;
  /** Least pause between two reads of one shard, ms. @default 1000 */
  readonly pollMs?: number;
}

interface ShardCursor {
  readonly shardId: string;
  iterator: string | undefined;
  lastSequence: string | undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

const isThrottled = (error: unknown): boolean =>
  /LimitExceeded|Throttl|ProvisionedThroughputExceeded/.test((error as { name?: string }).name ?? '');

/** Follow the stream until `signal` aborts or `onEvent` returns `false`. */
export const followHistory = async (options: FollowOptions): Promise<void> => {
  const { streams, signal } = options;
  const table = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.historyTable }));
  const streamArn = table.Table?.LatestStreamArn;
  if (streamArn === undefined)
    throw new CliError(`table ${options.historyTable} has no stream`, {
      hint: 'is it the Taskpulse history table? check --history-table / --stage',
    });

  const iterator = async (
    shardId: string,
    position: { type: 'LATEST' | 'TRIM_HORIZON' } | { after: string },
  ) =>
    (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...('after' in position
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: position.after }
            : { ShardIteratorType: position.type }),
        }),
      )
    ).ShardIterator;

  const known = new Set<string>();
  const active: ShardCursor[] = [];
  for (const shard of await listShards(streams, streamArn)) {
    known.add(shard.ShardId!);
    if (shard.SequenceNumberRange?.EndingSequenceNumber === undefined) {
      active.push({
        shardId: shard.ShardId!,
        iterator: await iterator(shard.ShardId!, { type: 'LATEST' }),
        lastSequence: undefined,
      });
    }
  }
  options.onReady?.();

  const pollMs = options.pollMs ?? 1_000;
  let backoffMs = pollMs;
  while (signal?.aborted !== true) {
    let closed = false;
    for (const cursor of [...active]) {
      if (cursor.iterator === undefined) continue;
      try {
        const res = await streams.send(
          new GetRecordsCommand({ ShardIterator: cursor.iterator, Limit: 1000 }),
        );
        cursor.iterator = res.NextShardIterator;
        const records = res.Records ?? [];
        if (records.length > 0) cursor.lastSequence = records[records.length - 1]!.dynamodb?.SequenceNumber;
        for (const event of eventsOfRecords(records)) if (options.onEvent(event) === false) return;
        if (cursor.iterator === undefined) closed = true;
        backoffMs = pollMs;
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (name === 'ExpiredIteratorException') {
          cursor.iterator = await iterator(
            cursor.shardId,
            cursor.lastSequence === undefined ? { type: 'LATEST' } : { after: cursor.lastSequence },
          );
        } else if (isThrottled(error)) {
          backoffMs = Math.min(backoffMs * 2, 10_000);
        } else throw error;
      }
    }
    if (closed) {
      // A closed shard has children (shards roll over every few hours): read them from their start.
      for (let i = active.length - 1; i >= 0; i--) if (active[i]!.iterator === undefined) active.splice(i, 1);
      for (const shard of await listShards(streams, streamArn)) {
        if (known.has(shard.ShardId!)) continue;
        known.add(shard.ShardId!);
        active.push({
          shardId: shard.ShardId!,
          iterator: await iterator(shard.ShardId!, { type: 'TRIM_HORIZON' }),
          lastSequence: undefined,
        });
      }
    }
    await sleep(backoffMs, signal);
  }
};
