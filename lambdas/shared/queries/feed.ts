import { type AttributeValue, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Execution } from '../../domain/execution';
import type { TaskStatus } from '../contract/event';
import { EXECUTION_PK_PREFIX } from '../names/keys';
import { fromExecutionItem } from '../store/execution-item';
import { InvalidQueryError } from './errors';
import { type EventView, toEventView } from './execution';

/**
 * The live feed (`GET /v1/feed?after=<cursor>`): events as they are stored, polled with a cursor,
 * read from the history table's stream (NEW_AND_OLD_IMAGES) like `taskpulse tail` (see
 * `cli/ops/tail.ts` for why the stream and not the indexes). A poll is stateless: the cursor holds,
 * per stream shard, the sequence number of the last record returned (durable for the stream's 24 h)
 * or, before a shard has returned anything, its shard iterator (valid 15 minutes). A first poll
 * without a cursor starts at the end of every open shard and returns no events. Cost of a poll: one
 * DescribeStream, per shard one GetShardIterator and one GetRecords, and the records returned; never
 * the table. A stream shard serves about five reads a second shared with the aggregator: the API
 * stage's throttling bounds how often pollers read it.
 */

/** One new event (the `tail --json` shape). */
export interface FeedEvent extends EventView {
  readonly taskId: string;
  readonly taskType: string;
  /** The execution's status once this change was stored. */
  readonly executionStatus: TaskStatus;
}

/** One poll's answer. */
export interface FeedPage {
  readonly events: readonly FeedEvent[];
  /** Pass as `after` to the next poll. */
  readonly next: string;
  /**
   * True when a shard's position had expired (no poll for 15 minutes before it returned any record):
   * that shard was restarted at its end, and events stored meanwhile may be missing from the feed.
   */
  readonly gap: boolean;
}

/** The events an execution gained in a change, in canonical order. Pure. */
export const newEventsOf = (before: Execution | undefined, after: Execution | undefined): FeedEvent[] => {
  if (after === undefined) return [];
  const seen = new Set(before?.events.map((e) => e.eventId));
  return after.events
    .filter((e) => !seen.has(e.eventId))
    .map((e) => {
      const { occurredAt, ...view } = toEventView(e);
      return {
        occurredAt,
        taskId: after.taskId,
        taskType: after.taskType,
        ...view,
        executionStatus: after.status,
      };
    });
};

/** The new events of stream records (quarantine items and TTL removals are not events). Pure. */
export const eventsOfRecords = (records: readonly StreamRecord[]): FeedEvent[] =>
  records.flatMap((record) => {
    const pk = record.dynamodb?.Keys?.pk?.S;
    if (record.eventName === 'REMOVE' || pk === undefined || !pk.startsWith(EXECUTION_PK_PREFIX)) return [];
    const image = (img: Record<string, AttributeValue> | undefined) =>
      img === undefined ? undefined : fromExecutionItem(unmarshall(img)).execution;
    return newEventsOf(
      image(record.dynamodb?.OldImage as Record<string, AttributeValue> | undefined),
      image(record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined),
    );
  });

/** Where a shard is read next: after a sequence number, at a stored iterator, or from its start. */
type ShardPosition = { readonly q: string } | { readonly i: string } | { readonly h: true };

interface CursorBody {
  readonly v: 1;
  /** Stream the positions belong to (a recreated table has a new stream). */
  readonly a: string;
  readonly s: Readonly<Record<string, ShardPosition>>;
}

/** The cursor of some positions. Pure. */
export const encodeFeedCursor = (
  streamArn: string,
  shards: Readonly<Record<string, ShardPosition>>,
): string =>
  Buffer.from(JSON.stringify({ v: 1, a: streamArn, s: shards } satisfies CursorBody), 'utf8').toString(
    'base64url',
  );

/** The positions in a cursor; `InvalidQueryError` for anything else. Pure. */
export const decodeFeedCursor = (cursor: string): CursorBody => {
  const invalid = () =>
    new InvalidQueryError('the feed cursor is not valid', {
      hint: 'pass the "next" value of the previous poll unchanged, or poll without one to start at now',
    });
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalid();
  }
  if (body?.v !== 1 || typeof body.a !== 'string' || typeof body.s !== 'object' || body.s === null)
    throw invalid();
  for (const p of Object.values(body.s))
    if (
      typeof p !== 'object' ||
      p === null ||
      !(('q' in p && typeof p.q === 'string') || ('i' in p && typeof p.i === 'string') || 'h' in p)
    )
      throw invalid();
  return body as CursorBody;
};

/** What a poll needs. */
export interface FeedDeps {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly streams: Pick<DynamoDBStreamsClient, 'send'>;
  readonly historyTable: string;
}

/** Every shard of a stream (DescribeStream, paged). */
export const listShards = async (streams: FeedDeps['streams'], streamArn: string): Promise<Shard[]> => {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const res = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
    );
    shards.push(...(res.StreamDescription?.Shards ?? []));
    start = res.StreamDescription?.LastEvaluatedShardId;
  } while (start !== undefined);
  return shards;
};

const isExpired = (error: unknown): boolean =>
  /ExpiredIterator|TrimmedDataAccess/.test((error as { name?: string })?.name ?? '');

/**
 * One poll: at most `limit` stream records per shard after the cursor's positions (the events of a
 * record are never split across polls), and the cursor of the next poll.
 */
export const pollFeed = async (
  deps: FeedDeps,
  options: { readonly after?: string; readonly limit: number },
): Promise<FeedPage> => {
  const cursor = options.after === undefined ? undefined : decodeFeedCursor(options.after);
  const table = await deps.dynamodb.send(new DescribeTableCommand({ TableName: deps.historyTable }));
  const streamArn = table.Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`table ${deps.historyTable} has no stream`);
  if (cursor !== undefined && cursor.a !== streamArn)
    throw new InvalidQueryError('the feed cursor belongs to another stream (the table was recreated)', {
      hint: 'poll without a cursor to start at now',
    });
  const shards = await listShards(deps.streams, streamArn);
  const iteratorOf = async (
    shardId: string,
    input: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'SequenceNumber'>,
  ) =>
    (
      await deps.streams.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ...input }),
      )
    ).ShardIterator;

  // First poll: the end of every open shard. Later polls: the cursor's shards, plus shards that did
  // not exist when the cursor was made (children of closed ones), from their start.
  const positions: Record<string, ShardPosition> = {};
  for (const shard of shards) {
    const id = shard.ShardId!;
    const open = shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
    if (cursor === undefined) {
      if (open) positions[id] = { i: '' };
    } else positions[id] = cursor.s[id] ?? { h: true };
  }
  // Shards of the cursor that aged out of the stream description are dropped with it.
  let gap = false;
  const events: FeedEvent[] = [];
  const next: Record<string, ShardPosition> = {};
  for (const [shardId, position] of Object.entries(positions)) {
    let iterator: string | undefined;
    if ('i' in position && position.i !== '') iterator = position.i;
    else if ('q' in position)
      iterator = await iteratorOf(shardId, {
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        SequenceNumber: position.q,
      });
    else if ('h' in position) iterator = await iteratorOf(shardId, { ShardIteratorType: 'TRIM_HORIZON' });
    else iterator = await iteratorOf(shardId, { ShardIteratorType: 'LATEST' });
    let res: GetRecordsCommandOutput | undefined;
    try {
      res =
        iterator === undefined
          ? undefined
          : await deps.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.limit }));
    } catch (error) {
      if (!isExpired(error)) throw error;
      // An iterator expires after 15 minutes: restart at the end of the shard and say so.
      gap = true;
      next[shardId] = { i: (await iteratorOf(shardId, { ShardIteratorType: 'LATEST' })) ?? '' };
      continue;
    }
    const records = res?.Records ?? [];
    events.push(...eventsOfRecords(records));
    const last = records[records.length - 1]?.dynamodb?.SequenceNumber;
    if (last !== undefined) next[shardId] = { q: last };
    else if ('q' in position) next[shardId] = position;
    else if (res?.NextShardIterator !== undefined) next[shardId] = { i: res.NextShardIterator };
    // A closed shard read to its end has no next iterator: it leaves the cursor (its children join).
  }
  events.sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0));
  return { events, next: encodeFeedCursor(streamArn, next), gap };
};
