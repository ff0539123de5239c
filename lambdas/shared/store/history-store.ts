import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Execution } from '../../domain/execution';
import { isConditionalCheckFailed, VersionConflictError } from '../errors';
import { executionKey } from '../names/keys';
import { backoffMs, batchGetAll, sleep, UNPROCESSED_RETRIES } from './batch-get';
import { fromExecutionItem, toExecutionItem } from './execution-item';

/** A stored execution and the version it was read at. */
export interface StoredExecution {
  readonly execution: Execution;
  readonly version: number;
}

/** A message kept aside because it could not be ingested, with the reason. */
export interface QuarantineRecord {
  readonly key: { pk: string; sk: string };
  readonly messageId: string;
  readonly sentAt: string;
  readonly receivedAt: string;
  readonly code: string;
  readonly reason: string;
  /** Raw body, cut to `QUARANTINE_BODY_LIMIT` bytes when longer (the size and hash tell the original). */
  readonly body: string;
  readonly bodyBytes: number;
  readonly bodySha256: string;
  readonly truncated: boolean;
  readonly expiresAt: number;
  /**
   * Who and what it was about, when the body was a valid event (merge conflicts, too many events,
   * refused writes): its `taskId`, `eventId` and `source` (the producer). Absent for contract rejections.
   */
  readonly event?: { readonly taskId: string; readonly eventId: string; readonly source: string };
}

/** The ingest path's view of the history table. One DynamoDB adapter below; tests may wrap it. */
export interface HistoryStore {
  /** Read executions by taskId with strongly consistent reads. Missing ones are absent from the map. */
  getExecutions(taskIds: readonly string[]): Promise<Map<string, StoredExecution>>;
  /**
   * Write an execution if nobody changed it since `expectedVersion` (`undefined`: must not exist).
   * Throws `VersionConflictError` when somebody did.
   */
  putExecution(execution: Execution, expectedVersion: number | undefined): Promise<void>;
  /** Store quarantine records; returns the message ids that could not be stored. */
  putQuarantine(records: readonly QuarantineRecord[]): Promise<Set<string>>;
}

const BATCH_WRITE_LIMIT = 25;

/** DynamoDB implementation of `HistoryStore`. */
export class DynamoHistoryStore implements HistoryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlDays: number,
  ) {}

  async getExecutions(taskIds: readonly string[]): Promise<Map<string, StoredExecution>> {
    const items = await batchGetAll(this.doc, this.tableName, taskIds.map(executionKey), 'executions', {
      consistentRead: true,
    });
    const out = new Map<string, StoredExecution>();
    for (const item of items) {
      const stored = fromExecutionItem(item);
      out.set(stored.execution.taskId, stored);
    }
    return out;
  }

  async putExecution(execution: Execution, expectedVersion: number | undefined): Promise<void> {
    const item = toExecutionItem(execution, (expectedVersion ?? 0) + 1, this.ttlDays);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        throw new VersionConflictError(
          `execution ${execution.taskId} changed since version ${expectedVersion}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
  }

  async putQuarantine(records: readonly QuarantineRecord[]): Promise<Set<string>> {
    const failed = new Set<string>();
    for (let i = 0; i < records.length; i += BATCH_WRITE_LIMIT) {
      const chunk = records.slice(i, i + BATCH_WRITE_LIMIT);
      let pending = chunk.map((r) => ({ PutRequest: { Item: quarantineItem(r) } }));
      try {
        for (let attempt = 0; pending.length > 0 && attempt <= UNPROCESSED_RETRIES; attempt++) {
          if (attempt > 0) await sleep(backoffMs(attempt));
          const res = await this.doc.send(
            new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }),
          );
          pending = (res.UnprocessedItems?.[this.tableName] as typeof pending | undefined) ?? [];
        }
        for (const p of pending) failed.add(String(p.PutRequest.Item.messageId));
      } catch {
        for (const r of chunk) failed.add(r.messageId);
      }
    }
    return failed;
  }
}

const quarantineItem = (r: QuarantineRecord): Record<string, unknown> => ({
  ...r.key,
  kind: 'quarantine',
  messageId: r.messageId,
  sentAt: r.sentAt,
  receivedAt: r.receivedAt,
  code: r.code,
  reason: r.reason,
  body: r.body,
  bodyBytes: r.bodyBytes,
  bodySha256: r.bodySha256,
  truncated: r.truncated,
  expiresAt: r.expiresAt,
  ...(r.event !== undefined && { taskId: r.event.taskId, eventId: r.event.eventId, source: r.event.source }),
});
