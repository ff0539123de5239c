import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EXECUTION_PK_PREFIX } from '../shared/names/keys';
import { fromExecutionItem } from '../shared/store/execution-item';
import type { ExecutionChange } from './aggregate-changes';

/**
 * Turn DynamoDB stream records into execution changes. Non-execution items (quarantine) and
 * removals (TTL expiry: history ages out, counts stay) are not changes to aggregate. Pure.
 */
export const toExecutionChanges = (records: readonly DynamoDBRecord[]): ExecutionChange[] => {
  const out: ExecutionChange[] = [];
  for (const record of records) {
    const keys = record.dynamodb?.Keys as Record<string, AttributeValue> | undefined;
    const pk = keys?.pk?.S;
    if (record.eventName === 'REMOVE' || pk === undefined || !pk.startsWith(EXECUTION_PK_PREFIX)) continue;
    const image = (img: unknown) =>
      img === undefined
        ? undefined
        : fromExecutionItem(unmarshall(img as Record<string, AttributeValue>)).execution;
    out.push({
      sequenceNumber: String(record.dynamodb?.SequenceNumber),
      before: image(record.dynamodb?.OldImage),
      after: image(record.dynamodb?.NewImage),
    });
  }
  return out;
};

/**
 * A stream event under a tumbling window (`TumblingWindowInSeconds` on the event source mapping): the
 * records plus the window, the state the last successful invocation of this window returned, and the
 * shard. `@types/aws-lambda` types this only for Kinesis; the DynamoDB fields are the same.
 */
export interface DynamoDBStreamWindowEvent extends DynamoDBStreamEvent {
  readonly window: { readonly start: string; readonly end: string };
  readonly state?: Record<string, unknown>;
  readonly shardId: string;
  readonly eventSourceARN?: string;
  readonly isFinalInvokeForWindow: boolean;
  readonly isWindowTerminatedEarly: boolean;
}

/** The event comes from a mapping with a tumbling window. Pure. */
export const isWindowEvent = (event: DynamoDBStreamEvent): event is DynamoDBStreamWindowEvent => {
  const e = event as Partial<DynamoDBStreamWindowEvent>;
  return typeof e.window?.start === 'string' && typeof e.shardId === 'string';
};
