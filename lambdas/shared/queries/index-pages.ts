import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ATTR, EXECUTION_PK_PREFIX, INDEX, INDEX_SHARDS } from '../names/keys';
import { daysBetween } from '../time';

/**
 * Reading a sharded, KEYS_ONLY execution index newest first. Both history indexes (`byType`,
 * `byStatus`) have day-and-shard partitions (`…#<day>#<shard>`) and sort keys `<ISO time>#<taskId>`,
 * unique per execution, so one merge serves both: for each day, newest first, query every partition of
 * the day in parallel (at most `need + 1` keys each), merge them by sort key and take the newest. The
 * sort key of the last key returned is the cursor of the next page: the next page reads keys strictly
 * before it, so pages never overlap or skip, whatever the shards.
 */

/** One of the two history indexes, with its key attributes. */
const INDEX_KEYS = {
  [INDEX.byType]: { name: INDEX.byType, pk: ATTR.gsi1pk, sk: ATTR.gsi1sk },
  [INDEX.byStatus]: { name: INDEX.byStatus, pk: ATTR.gsi2pk, sk: ATTR.gsi2sk },
} as const;

export type IndexName = keyof typeof INDEX_KEYS;

/** A query over one index: which partitions a day has, and the time range. */
export interface IndexQuery {
  readonly index: IndexName;
  /** Partition keys of one UTC day (every shard of every task type or status asked for). */
  readonly partitionsOf: (day: string) => readonly string[];
  /** Inclusive start, UTC ISO. */
  readonly fromIso: string;
  /** Exclusive end, UTC ISO. */
  readonly toIso: string;
}

/** Sort keys of one page, newest first, and whether older ones exist. */
interface IndexPage {
  readonly sortKeys: readonly string[];
  readonly more: boolean;
}

/** The taskId in a sort key `<ISO time>#<taskId>`. */
export const taskIdOfSortKey = (sortKey: string): string => sortKey.slice(sortKey.indexOf('#') + 1);

/** Every partition of the given prefixes' shards: `byTypePartition(type, day, shard)` for each shard. */
export const shardedPartitions = (
  keysOf: (shard: number) => readonly string[],
  shards: number = INDEX_SHARDS,
): string[] => Array.from({ length: shards }, (_, shard) => keysOf(shard)).flat();

/** Newest first by sort key. Pure. */
const newestFirst = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** Queries run at once (one partition each). */
const CONCURRENCY = 16;

/** Map items with at most `limit` calls in flight, results in input order. */
export const mapLimited = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
};

/** Up to `want` sort keys of one partition in `[from, upper)`, newest first. */
const queryPartition = async (
  doc: DynamoDBDocumentClient,
  table: string,
  index: IndexName,
  partition: string,
  fromIso: string,
  upper: string,
  want: number,
): Promise<string[]> => {
  const keys = INDEX_KEYS[index];
  const out: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: keys.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :upper',
        ExpressionAttributeNames: { '#pk': keys.pk, '#sk': keys.sk },
        ExpressionAttributeValues: { ':pk': partition, ':from': fromIso, ':upper': upper },
        ScanIndexForward: false,
        Limit: want + 1,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of res.Items ?? []) {
      const sk = String(item[keys.sk]);
      // BETWEEN includes its upper bound: the bound is exclusive here (the end, or the previous cursor).
      if (sk < upper && String(item[ATTR.pk]).startsWith(EXECUTION_PK_PREFIX)) out.push(sk);
    }
    startKey = out.length > want ? undefined : res.LastEvaluatedKey;
  } while (startKey !== undefined);
  return out;
};

/**
 * Read one page of at most `limit` sort keys, newest first, strictly older than `before` (a cursor)
 * when given. `more` is exact: true only when an older key exists in the range.
 */
export const readIndexPage = async (
  doc: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
  limit: number,
  before?: string,
): Promise<IndexPage> => {
  const upper = before !== undefined && before < query.toIso ? before : query.toIso;
  if (upper <= query.fromIso) return { sortKeys: [], more: false };
  const lastDay = upper.slice(0, 10);
  const firstDay = query.fromIso.slice(0, 10);
  const keys: string[] = [];
  for (const day of daysBetween(firstDay, lastDay).reverse()) {
    const need = limit - keys.length;
    const perPartition = await mapLimited(query.partitionsOf(day), CONCURRENCY, (partition) =>
      queryPartition(doc, table, query.index, partition, query.fromIso, upper, need),
    );
    keys.push(
      ...perPartition
        .flat()
        .sort(newestFirst)
        .slice(0, need + 1),
    );
    if (keys.length > limit) return { sortKeys: keys.slice(0, limit), more: true };
  }
  return { sortKeys: keys, more: false };
};
