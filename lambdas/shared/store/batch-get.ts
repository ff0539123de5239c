import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnprocessedError } from '../errors';

/** Keys per BatchGetItem request (DynamoDB's limit). */
const BATCH_GET_LIMIT = 100;
/** Retries of the keys or items DynamoDB leaves unprocessed (throttling), with jittered backoff. */
export const UNPROCESSED_RETRIES = 4;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Full-jitter exponential backoff, ms. */
export const backoffMs = (attempt: number) => Math.random() * Math.min(1000, 50 * 2 ** attempt);

/**
 * Read items by key in BatchGetItem requests of 100, retrying unprocessed keys; throws
 * `UnprocessedError` naming `what` when some stay unprocessed. Missing items are simply absent.
 */
export const batchGetAll = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  what: string,
  options: {
    consistentRead?: boolean;
    projection?: { expression: string; names: Record<string, string> };
  } = {},
): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES)
        throw new UnprocessedError(`${pending.length} ${what} could not be read`);
      if (attempt > 0) await sleep(backoffMs(attempt));
      const res = await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: pending,
              ...(options.consistentRead && { ConsistentRead: true }),
              ...(options.projection && {
                ProjectionExpression: options.projection.expression,
                ExpressionAttributeNames: options.projection.names,
              }),
            },
          },
        }),
      );
      out.push(...(res.Responses?.[tableName] ?? []));
      pending = (res.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
  }
  return out;
};
