import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type RunSummary, runSummaryOf } from '../../domain/rules/run-summary';
import { StoreError, UnprocessedError } from '../errors';
import { ATTR, byTypePartition, EXECUTION_PK_PREFIX, executionKey, INDEX, INDEX_SHARDS } from '../names/keys';
import { daysBetween } from '../time';
import { batchGetAll } from './batch-get';
import { fromExecutionItem } from './execution-item';

/**
 * Finding runs in the history table without scanning: task IDs by type and creation time through the
 * byType index (KEYS_ONLY, sharded), then the runs with a BatchGet.
 * Used by the monitor only for candidate buckets (stuck runs) and when a notification goes out
 * (example task IDs), so its reads follow alerts, not traffic.
 */
export interface RunLookup {
  /**
   * Task IDs of a type's executions created in `[fromMs, toMs)`, newest first. With `limit`, at most that
   * many (the newest); without, all of them.
   */
  createdBetween(
    taskType: string,
    fromMs: number,
    toMs: number,
    options?: { limit?: number },
  ): Promise<string[]>;
  /** The runs of some task IDs (missing ones are left out). */
  getRuns(taskIds: readonly string[]): Promise<RunSummary[]>;
}

/** Reading the history failed. */
class RunLookupError extends StoreError {
  override readonly name = 'RunLookupError';
}

/**
 * The summary of a stored execution, derived from its events like every reader does (the item stores
 * no view, decision 0023). Reading the whole item costs the same read units as a projection would:
 * DynamoDB bills reads by item size, whatever is projected.
 */
const toRunSummary = (item: Record<string, unknown>): RunSummary =>
  runSummaryOf(fromExecutionItem(item).execution);

/** DynamoDB implementation of `RunLookup` over the history table. */
export class DynamoRunLookup implements RunLookup {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createdBetween(
    taskType: string,
    fromMs: number,
    toMs: number,
    options: { limit?: number } = {},
  ): Promise<string[]> {
    if (toMs <= fromMs) return [];
    const fromIso = new Date(fromMs).toISOString();
    const toIso = new Date(toMs).toISOString();
    const days = daysBetween(fromIso.slice(0, 10), new Date(toMs - 1).toISOString().slice(0, 10)).reverse();
    const keys: string[] = [];
    for (const day of days) {
      const perShard = await Promise.all(
        Array.from({ length: INDEX_SHARDS }, (_, shard) =>
          this.queryShard(byTypePartition(taskType, day, shard), fromIso, toIso, options.limit),
        ),
      );
      keys.push(...perShard.flat());
      if (options.limit !== undefined && keys.length >= options.limit) break;
    }
    // Sort keys are `<createdAt>#<taskId>`: newest first across shards and days.
    keys.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const ids = keys.map((sk) => sk.slice(sk.indexOf('#') + 1));
    return options.limit === undefined ? ids : ids.slice(0, options.limit);
  }

  async getRuns(taskIds: readonly string[]): Promise<RunSummary[]> {
    const keys = [...new Set(taskIds)].map((id) => executionKey(id));
    try {
      const items = await batchGetAll(this.doc, this.tableName, keys, 'runs');
      return items.map(toRunSummary);
    } catch (error) {
      if (error instanceof UnprocessedError) throw error;
      throw new RunLookupError(`could not read ${keys.length} runs`, { cause: error });
    }
  }

  private async queryShard(
    partition: string,
    fromIso: string,
    toIso: string,
    limit: number | undefined,
  ): Promise<string[]> {
    const out: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    try {
      do {
        const res = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INDEX.byType,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': ATTR.gsi1pk, '#sk': ATTR.gsi1sk },
            ExpressionAttributeValues: { ':pk': partition, ':from': fromIso, ':to': toIso },
            ScanIndexForward: false,
            ...(limit !== undefined && { Limit: limit }),
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of res.Items ?? []) {
          if (String(item[ATTR.pk]).startsWith(EXECUTION_PK_PREFIX)) out.push(String(item[ATTR.gsi1sk]));
        }
        startKey = limit !== undefined && out.length >= limit ? undefined : res.LastEvaluatedKey;
      } while (startKey !== undefined);
    } catch (error) {
      throw new RunLookupError(`could not query ${INDEX.byType} ${partition}`, { cause: error });
    }
    return out;
  }
}
