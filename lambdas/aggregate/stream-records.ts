import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
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
