import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Rollup } from '../../domain/rollup';
import { isConditionalCheckFailed, StoreError } from '../errors';
import { rollupKey, rollupPartition } from '../names/keys';
import { queryAll } from './query-all';

/** Daily rollups: upserted by the rollup Lambda, read by the CLI and dashboards. */
export interface RollupStore {
  /**
   * Store a rollup unless one computed later is already stored (then `'superseded'`). Replaces the whole
   * item, so recomputing is idempotent.
   */
  putRollup(rollup: Rollup): Promise<'written' | 'superseded'>;
  getRollup(day: string, scope: string): Promise<Rollup | undefined>;
  /** Every rollup of a day, by scope. */
  listRollups(day: string): Promise<Rollup[]>;
}

/** Reading or writing rollups failed. */
class RollupStoreError extends StoreError {
  override readonly name = 'RollupStoreError';
}

const strip = (item: Record<string, unknown>): Rollup => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Rollup;
};

/** DynamoDB implementation of `RollupStore` over the state table (`RU#<day>` / `<scope>`, no TTL). */
export class DynamoRollupStore implements RollupStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putRollup(rollup: Rollup): Promise<'written' | 'superseded'> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...rollupKey(rollup.day, rollup.scope), ...rollup },
          // A slower run that read older aggregates must not overwrite a newer result.
          ConditionExpression: 'attribute_not_exists(pk) OR computedAt <= :c',
          ExpressionAttributeValues: { ':c': rollup.computedAt },
        }),
      );
      return 'written';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'superseded';
      throw new RollupStoreError(`could not store the rollup of ${rollup.scope} on ${rollup.day}`, {
        cause: error,
      });
    }
  }

  async getRollup(day: string, scope: string): Promise<Rollup | undefined> {
    try {
      const res = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: rollupKey(day, scope) }),
      );
      return res.Item === undefined ? undefined : strip(res.Item);
    } catch (error) {
      throw new RollupStoreError(`could not read the rollup of ${scope} on ${day}`, { cause: error });
    }
  }

  async listRollups(day: string): Promise<Rollup[]> {
    let out: Rollup[];
    try {
      const items = await queryAll(this.doc, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': rollupPartition(day) },
      });
      out = items.map(strip);
    } catch (error) {
      throw new RollupStoreError(`could not list the rollups of ${day}`, { cause: error });
    }
    return out;
  }
}
