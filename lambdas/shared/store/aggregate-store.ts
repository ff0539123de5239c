import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AggregateDelta } from '../../domain/aggregate';
import { aggregateKey, parseScope, scopeRegistryKey } from '../names/keys';

/**
 * Writes aggregate deltas exactly once per stream position.
 *
 * A stream batch is retried from the same checkpoint, so its first record identifies it. Each
 * chunk of records is applied in one DynamoDB transaction together with a ledger item keyed by the
 * chunk's first sequence number that says how far it applied; a retry finds the ledger and skips what
 * was applied. Lambda stream events do not name their shard, which rules out a per-shard high-water
 * mark on the aggregate items themselves.
 */
export interface AggregateStore {
  /** How far a chunk starting at `firstSeq` was applied, if it was. */
  appliedThrough(firstSeq: string): Promise<string | undefined>;
  /** Apply deltas and record `firstSeq → lastSeq` in the ledger, atomically. */
  applyChunk(firstSeq: string, lastSeq: string, deltas: readonly AggregateDelta[]): Promise<void>;
}

/** Items one transaction may hold (DynamoDB's limit is 100: one goes to the ledger). */
export const MAX_TRANSACTION_ITEMS = 100;

const ledgerKey = (seq: string) => ({ pk: 'LG', sk: seq });
/** Ledger entries outlive the 24 h stream retention, then expire. */
const LEDGER_TTL_SECONDS = 2 * 86_400;

export class DynamoAggregateStore implements AggregateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlDays: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async appliedThrough(firstSeq: string): Promise<string | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(firstSeq), ConsistentRead: true }),
    );
    return res.Item?.through as string | undefined;
  }

  async applyChunk(firstSeq: string, lastSeq: string, deltas: readonly AggregateDelta[]): Promise<void> {
    const nowSeconds = Math.floor(this.nowMs() / 1000);
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...ledgerKey(firstSeq), through: lastSeq, expiresAt: nowSeconds + LEDGER_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    const scopes = new Set<string>();
    for (const delta of deltas) {
      items.push({ Update: this.updateOf(delta) });
      const registry = `${delta.target.day}\n${delta.target.scope}`;
      if (!scopes.has(registry)) {
        scopes.add(registry);
        const { taskType, dimension } = parseScope(delta.target.scope);
        items.push({
          Update: {
            TableName: this.tableName,
            Key: scopeRegistryKey(delta.target.day, delta.target.scope),
            UpdateExpression: 'SET taskType = :t, dimension = :d, expiresAt = :e',
            ExpressionAttributeValues: {
              ':t': taskType,
              ':d': dimension === undefined ? null : `${dimension.key}=${dimension.value}`,
              ':e': this.expiresAt(delta.target.day),
            },
          },
        });
      }
    }
    if (items.length > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(
        `a chunk needs ${items.length} transaction items; the limit is ${MAX_TRANSACTION_ITEMS}`,
      );
    }
    await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
  }

  private expiresAt(day: string): number {
    return Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + this.ttlDays * 86_400;
  }

  private updateOf(delta: AggregateDelta) {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const adds: string[] = [];
    const sets: string[] = ['#scope = :scope', '#day = :day', '#slot = :slot', '#exp = :exp'];
    Object.assign(names, { '#scope': 'scope', '#day': 'day', '#slot': 'slot', '#exp': 'expiresAt' });
    Object.assign(values, {
      ':scope': delta.target.scope,
      ':day': delta.target.day,
      ':slot': delta.target.slot,
      ':exp': this.expiresAt(delta.target.day),
    });
    Object.entries(delta.counters).forEach(([field, value], i) => {
      names[`#c${i}`] = field;
      values[`:c${i}`] = value;
      adds.push(`#c${i} :c${i}`);
    });
    Object.entries(delta.samples).forEach(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = if_not_exists(#s${i}, :s${i})`);
    });
    return {
      TableName: this.tableName,
      Key: aggregateKey(delta.target.scope, delta.target.day, delta.target.slot),
      UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
}
