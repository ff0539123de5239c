import type { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BucketAggregate } from '../../domain/rules/buckets';
import { StoreError } from '../errors';
import {
  aggregatePartition,
  aggregateSortRange,
  scopeRegistryPartition,
  slotOfAggregateSort,
} from '../names/keys';
import { bucketOf, dayStartMs, daysBetween } from '../time';
import { isProtocolField, MARKER_ATTRIBUTE } from './aggregate-store';
import { queryAll as queryAllPages } from './query-all';

/**
 * The read side of the time-bucket aggregates: which scopes were active on a day (the scope registry)
 * and a scope's buckets over a time range. Reads are O(scopes × buckets), never O(executions).
 */
export interface AggregateReader {
  /** Scopes with activity on a UTC day (`YYYY-MM-DD`), sorted. */
  listScopes(day: string): Promise<string[]>;
  /** A scope's aggregate items whose bucket overlaps `[fromMs, toMs)`, oldest first. */
  readRange(scope: string, fromMs: number, toMs: number): Promise<BucketAggregate[]>;
}

/** Reading aggregates failed. */
class AggregateReadError extends StoreError {
  override readonly name = 'AggregateReadError';
}

/** Fields every aggregate item carries besides its counters. */
const NON_COUNTER_FIELDS = new Set([
  'pk',
  'sk',
  'scope',
  'day',
  'slot',
  'part',
  'expiresAt',
  MARKER_ATTRIBUTE,
]);

/** DynamoDB implementation of `AggregateReader` over the state table. */
export class DynamoAggregateReader implements AggregateReader {
  /** Items read so far (to report read cost). */
  itemsRead = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listScopes(day: string): Promise<string[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': scopeRegistryPartition(day) },
      ProjectionExpression: 'sk',
    });
    return items.map((i) => String(i.sk)).sort();
  }

  async readRange(scope: string, fromMs: number, toMs: number): Promise<BucketAggregate[]> {
    if (toMs <= fromMs) return [];
    const first = bucketOf(fromMs);
    const last = bucketOf(toMs - 1);
    const out: BucketAggregate[] = [];
    for (const day of daysBetween(first.day, last.day)) {
      const items = await this.queryAll({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': aggregatePartition(scope, day),
          ':from': aggregateSortRange(day === first.day ? first.slot : '00:00', '').from,
          ':to': aggregateSortRange('', day === last.day ? last.slot : '23:59').to,
        },
      });
      // A bucket is stored in parts (see aggregateKey); a field lives in exactly one part.
      const byBucket = new Map<number, Record<string, unknown>>();
      for (const item of items) {
        const startMs = dayStartMs(day) + slotMs(slotOfAggregateSort(String(item.sk)));
        const fields = byBucket.get(startMs) ?? {};
        for (const [k, v] of Object.entries(item))
          if (!NON_COUNTER_FIELDS.has(k) && !isProtocolField(k)) fields[k] = v;
        byBucket.set(startMs, fields);
      }
      for (const [startMs, fields] of [...byBucket.entries()].sort((a, b) => a[0] - b[0]))
        out.push({ startMs, fields });
    }
    return out;
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    let out: Record<string, unknown>[];
    try {
      out = await queryAllPages(this.doc, input);
    } catch (error) {
      throw new AggregateReadError(`could not read ${String(input.ExpressionAttributeValues?.[':pk'])}`, {
        cause: error,
      });
    }
    this.itemsRead += out.length;
    return out;
  }
}

/** `HH:MM` → ms since midnight. */
const slotMs = (slot: string): number => {
  const [h, m] = slot.split(':').map(Number);
  return ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
};
