import { DeleteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, StoreError } from '../errors';
import { DIRTY_DAYS_PARTITION, dirtyDayKey } from '../names/keys';

/**
 * Dirty-day marks (`DIRTY` / `<YYYY-MM-DD>`, `changedAt` epoch ms): the aggregator writes one when an
 * aggregate of a day that has already ended changes (a late event), and the scheduled rollup
 * recomputes that day and then removes the mark. A mark is removed only if it still holds the
 * `changedAt` the rollup read before recomputing, so a change made during the recompute keeps its mark
 * and is picked up by the next run.
 */
export interface DirtyDay {
  readonly day: string;
  /** When the aggregator last changed the day, epoch ms. */
  readonly changedAt: number;
}

export interface DirtyDayStore {
  /** The oldest `limit` dirty days (one query on one small partition; consistent). */
  list(limit: number): Promise<DirtyDay[]>;
  /** Remove a mark unless it changed since it was read: `'kept'` when it did. */
  clear(mark: DirtyDay): Promise<'cleared' | 'kept'>;
}

/** Reading or removing dirty-day marks failed. */
class DirtyDayStoreError extends StoreError {
  override readonly name = 'DirtyDayStoreError';
}

/** DynamoDB implementation of `DirtyDayStore` over the state table. */
export class DynamoDirtyDayStore implements DirtyDayStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async list(limit: number): Promise<DirtyDay[]> {
    try {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': DIRTY_DAYS_PARTITION },
          ConsistentRead: true,
          Limit: limit,
        }),
      );
      return (res.Items ?? []).map((item) => ({ day: String(item.sk), changedAt: Number(item.changedAt) }));
    } catch (error) {
      throw new DirtyDayStoreError('could not list dirty days', { cause: error });
    }
  }

  async clear(mark: DirtyDay): Promise<'cleared' | 'kept'> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: dirtyDayKey(mark.day),
          ConditionExpression: 'changedAt = :seen',
          ExpressionAttributeValues: { ':seen': mark.changedAt },
        }),
      );
      return 'cleared';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'kept';
      throw new DirtyDayStoreError(`could not clear the dirty mark of ${mark.day}`, { cause: error });
    }
  }
}
