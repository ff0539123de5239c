import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemSize, writeUnits } from '../../lambdas/shared/aws/item-size';
import type { EmfDatum } from '../emf/parse-emf';

/**
 * The AWS service metrics the deployed dashboard graphs (AWS/Lambda, AWS/SQS, AWS/DynamoDB), derived
 * from what local mode itself does: each in-process invocation, each request of the functions' DynamoDB
 * clients, each queue's attributes. The services publish these in AWS and moto publishes none, so the
 * page would otherwise draw them empty. Same namespaces, metric names, dimensions (physical names) and
 * units as the services, so the dashboard's own queries find them. Pure.
 */

/** One invocation of a function by the local runtime. */
export interface InvocationRecord {
  /** Physical function name (the `FunctionName` dimension). */
  readonly functionName: string;
  readonly startMs: number;
  readonly durationMs: number;
  /** The handler threw (a partial batch failure is not an error, as in Lambda). */
  readonly error: boolean;
  /** Invocations of this function in flight when it started, itself included. */
  readonly concurrent: number;
  /** The event the runtime passed (SQS and stream batches give queue and iterator metrics). */
  readonly event: unknown;
  /** What the handler returned (`batchItemFailures` gives the messages not deleted). */
  readonly response: unknown;
}

const datum = (
  namespace: string,
  name: string,
  unit: string,
  dimensions: Record<string, string>,
  timestampMs: number,
  values: number[],
): EmfDatum => ({ namespace, name, unit, dimensions, timestampMs, values });

interface SqsRecordLike {
  eventSource?: string;
  eventSourceARN?: string;
  body?: string;
  messageId?: string;
  attributes?: { SentTimestamp?: string; ApproximateReceiveCount?: string };
}
interface StreamRecordLike {
  eventSource?: string;
  dynamodb?: { ApproximateCreationDateTime?: number };
}

const recordsOf = (event: unknown): unknown[] => {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  return Array.isArray(records) ? records : [];
};

/** The queue name of a queue ARN (`arn:aws:sqs:region:account:name`). */
export const queueNameOfArn = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

/**
 * AWS/Lambda metrics of one invocation: Invocations, Errors, Duration, Throttles (always 0: the local
 * runtime never throttles), ConcurrentExecutions, and IteratorAge for a stream batch (age of the batch's
 * last record when the invocation started). AWS/SQS NumberOfMessagesReceived and NumberOfMessagesDeleted
 * of an SQS batch (deleted: the records not reported failed, none when the handler threw); a message's
 * first receive also gives its NumberOfMessagesSent and SentMessageSize at its `SentTimestamp`, the
 * only local sign of a send by a producer outside this process.
 */
export const lambdaMetricsOf = (r: InvocationRecord): EmfDatum[] => {
  const fn = { FunctionName: r.functionName };
  const out = [
    datum('AWS/Lambda', 'Invocations', 'Count', fn, r.startMs, [1]),
    datum('AWS/Lambda', 'Errors', 'Count', fn, r.startMs, [r.error ? 1 : 0]),
    datum('AWS/Lambda', 'Throttles', 'Count', fn, r.startMs, [0]),
    datum('AWS/Lambda', 'Duration', 'Milliseconds', fn, r.startMs, [r.durationMs]),
    datum('AWS/Lambda', 'ConcurrentExecutions', 'Count', fn, r.startMs, [r.concurrent]),
  ];
  const records = recordsOf(r.event);
  const stream = records.filter(
    (x): x is StreamRecordLike => (x as StreamRecordLike).eventSource === 'aws:dynamodb',
  );
  const created = stream.at(-1)?.dynamodb?.ApproximateCreationDateTime;
  if (created !== undefined)
    out.push(
      datum('AWS/Lambda', 'IteratorAge', 'Milliseconds', fn, r.startMs, [
        Math.max(0, r.startMs - created * 1000),
      ]),
    );
  const messages = records.filter((x): x is SqsRecordLike => (x as SqsRecordLike).eventSource === 'aws:sqs');
  const arn = messages[0]?.eventSourceARN;
  if (arn === undefined) return out;
  const queue = { QueueName: queueNameOfArn(arn) };
  const failures = (r.response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  const failed = r.error ? messages.length : Array.isArray(failures) ? failures.length : 0;
  const endMs = r.startMs + r.durationMs;
  out.push(
    datum('AWS/SQS', 'NumberOfMessagesReceived', 'Count', queue, r.startMs, [messages.length]),
    datum('AWS/SQS', 'NumberOfMessagesDeleted', 'Count', queue, endMs, [messages.length - failed]),
  );
  for (const m of messages) {
    const sentMs = Number(m.attributes?.SentTimestamp);
    if (m.attributes?.ApproximateReceiveCount !== '1' || !Number.isFinite(sentMs)) continue;
    out.push(
      datum('AWS/SQS', 'NumberOfMessagesSent', 'Count', queue, sentMs, [1]),
      datum('AWS/SQS', 'SentMessageSize', 'Bytes', queue, sentMs, [Buffer.byteLength(m.body ?? '')]),
    );
  }
  return out;
};

/** Queue attributes as `GetQueueAttributes` answers them (strings). */
export type QueueAttributes = Partial<Record<string, string>>;

/**
 * AWS/SQS gauges of one queue at one moment: ApproximateNumberOfMessagesVisible and NotVisible. The
 * emulator has no ApproximateAgeOfOldestMessage, so the age is sent only when it is known: 0 for an
 * empty queue.
 */
export const queueMetricsOf = (
  queueName: string,
  attributes: QueueAttributes,
  atMs: number,
  /** NumberOfMessagesSent since the previous reading, when known (see `sentBetween`). */
  sent?: number,
): EmfDatum[] => {
  const queue = { QueueName: queueName };
  const visible = Number(attributes.ApproximateNumberOfMessages ?? Number.NaN);
  const notVisible = Number(attributes.ApproximateNumberOfMessagesNotVisible ?? Number.NaN);
  const out: EmfDatum[] = [];
  if (Number.isFinite(visible))
    out.push(datum('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Count', queue, atMs, [visible]));
  if (Number.isFinite(notVisible))
    out.push(datum('AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', 'Count', queue, atMs, [notVisible]));
  if (sent !== undefined) out.push(datum('AWS/SQS', 'NumberOfMessagesSent', 'Count', queue, atMs, [sent]));
  if (visible === 0 && notVisible === 0)
    out.push(datum('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'Seconds', queue, atMs, [0]));
  return out;
};

/** Messages in a queue (visible and in flight), from its attributes; undefined when not given. */
export const messagesIn = (attributes: QueueAttributes): number | undefined => {
  const total =
    Number(attributes.ApproximateNumberOfMessages ?? Number.NaN) +
    Number(attributes.ApproximateNumberOfMessagesNotVisible ?? Number.NaN);
  return Number.isFinite(total) ? total : undefined;
};

/**
 * NumberOfMessagesSent to a queue nothing in the stack consumes, between two readings: its growth
 * (no consumer deletes, so every new message was sent). A dead-letter queue's is 0: messages moved
 * there by a redrive policy are not counted as sent (SQS documents this), and the moves are all a
 * local run makes.
 */
export const sentBetween = (
  before: number | undefined,
  after: number | undefined,
  deadLetterQueue: boolean,
): number | undefined => {
  if (deadLetterQueue) return 0;
  return before === undefined || after === undefined ? undefined : Math.max(0, after - before);
};

/** One request of a function's DynamoDB client. */
export interface DynamoRequestRecord {
  /** The table name (the `TableName` dimension); a request on several tables gives one record each. */
  readonly tableName: string;
  /** The API operation, e.g. `PutItem` (the `Operation` dimension). */
  readonly operation: string;
  readonly atMs: number;
  readonly latencyMs: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** How the request failed, if it did. */
  readonly outcome: 'ok' | 'throttled' | 'user-error' | 'system-error' | 'condition-failed';
}

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * AWS/DynamoDB metrics of one request: SuccessfulRequestLatency (by table and operation),
 * ConsumedRead/WriteCapacityUnits, Read/WriteThrottleEvents, SystemErrors (by operation) and UserErrors
 * (no dimension, as DynamoDB publishes it). A conditional check failure is neither (DynamoDB counts it in
 * ConditionalCheckFailedRequests) but consumes write units.
 */
export const dynamoMetricsOf = (r: DynamoRequestRecord): EmfDatum[] => {
  const table = { TableName: r.tableName };
  const op = { TableName: r.tableName, Operation: r.operation };
  const out = [
    datum('AWS/DynamoDB', 'ConsumedReadCapacityUnits', 'Count', table, r.atMs, [r.readUnits]),
    datum('AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'Count', table, r.atMs, [r.writeUnits]),
    datum('AWS/DynamoDB', 'SystemErrors', 'Count', op, r.atMs, [r.outcome === 'system-error' ? 1 : 0]),
  ];
  if (r.outcome === 'ok')
    out.push(datum('AWS/DynamoDB', 'SuccessfulRequestLatency', 'Milliseconds', op, r.atMs, [r.latencyMs]));
  const read = READS.has(r.operation);
  out.push(
    datum('AWS/DynamoDB', read ? 'ReadThrottleEvents' : 'WriteThrottleEvents', 'Count', table, r.atMs, [
      r.outcome === 'throttled' ? 1 : 0,
    ]),
  );
  if (r.outcome === 'user-error') out.push(datum('AWS/DynamoDB', 'UserErrors', 'Count', {}, r.atMs, [1]));
  return out;
};

type Item = Record<string, AttributeValue>;

/** Read units of items read together: 4 KB units of their total size, halved when eventually consistent. */
const readUnits = (items: readonly (Item | undefined)[], consistent: boolean): number =>
  Math.max(1, Math.ceil(items.reduce((s, i) => s + itemSize(i), 0) / 4096)) * (consistent ? 1 : 0.5);

/**
 * Consumed units of one request, per table, as DynamoDB on demand counts them: reads by the size of
 * what was returned, writes by the size of what was sent, doubled in a transaction. A lower bound for
 * updates and deletes: DynamoDB charges the larger of the item before and after, and the item before
 * is not read here (the bench's cost meter reads it, at the price of two extra reads per write). A
 * refused conditional write is charged at least one unit, as DynamoDB does.
 */
export const requestUnitsOf = (
  operation: string,
  input: Record<string, unknown>,
  output: unknown,
  outcome: DynamoRequestRecord['outcome'],
): { tableName: string; readUnits: number; writeUnits: number }[] => {
  if (outcome !== 'ok' && outcome !== 'condition-failed') {
    const tables = input.TableName !== undefined ? [String(input.TableName)] : [];
    return tables.map((tableName) => ({ tableName, readUnits: 0, writeUnits: 0 }));
  }
  const out = (output ?? {}) as { Item?: Item; Items?: Item[]; Responses?: Record<string, Item[]> };
  const table = String(input.TableName ?? '');
  const consistent = input.ConsistentRead === true;
  const written = (item: Item | undefined) => writeUnits(0, outcome === 'ok' ? itemSize(item) : 0);
  switch (operation) {
    case 'GetItem':
      return [{ tableName: table, readUnits: readUnits([out.Item], consistent), writeUnits: 0 }];
    case 'Query':
    case 'Scan':
      return [{ tableName: table, readUnits: readUnits(out.Items ?? [], consistent), writeUnits: 0 }];
    case 'BatchGetItem':
      return Object.entries(out.Responses ?? {}).map(([tableName, items]) => ({
        tableName,
        readUnits: items.reduce((s, i) => s + readUnits([i], false), 0),
        writeUnits: 0,
      }));
    case 'PutItem':
      return [{ tableName: table, readUnits: 0, writeUnits: written(input.Item as Item) }];
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ tableName: table, readUnits: 0, writeUnits: 1 }];
    case 'BatchWriteItem':
      return Object.entries(input.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>).map(
        ([tableName, requests]) => ({
          tableName,
          readUnits: 0,
          writeUnits: requests.reduce((s, r) => s + written(r.PutRequest?.Item), 0),
        }),
      );
    case 'TransactWriteItems': {
      const byTable = new Map<string, number>();
      for (const t of input.TransactItems as Record<string, { TableName: string; Item?: Item }>[]) {
        const w = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
        if (w !== undefined) byTable.set(w.TableName, (byTable.get(w.TableName) ?? 0) + 2 * written(w.Item));
      }
      return [...byTable].map(([tableName, units]) => ({ tableName, readUnits: 0, writeUnits: units }));
    }
    default:
      return table === '' ? [] : [{ tableName: table, readUnits: 0, writeUnits: 0 }];
  }
};

/** Why an AWS service metric has no local data yet, for the page's note (decision 0101). */
const MISSING_REASONS: Readonly<Record<string, string>> = {
  ProvisionedConcurrencySpilloverInvocations: 'no provisioned concurrency; Lambda publishes it only with one',
  ApproximateAgeOfOldestMessage: 'moto does not report it; local mode sends 0 only while the queue is empty',
  SentMessageSize: 'a message is measured when a function of the stack receives it',
  NumberOfMessagesDeleted: 'counted when a function of the stack consumes the queue',
  IteratorAge: 'measured when a stream batch is delivered',
};

/** The note for an AWS service metric with no local data. Pure. */
export const missingServiceMetricReason = (metricName: string): string =>
  MISSING_REASONS[metricName] ??
  'local mode publishes it from the local runtime once it has happened there (the function ran, the request was made)';
