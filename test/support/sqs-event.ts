import type { SQSEvent } from 'aws-lambda';
import type { TaskEvent } from '../../lambdas/shared/contract/event';

/**
 * SQS events as the ingest's event source mapping builds them, for tests and the fault suite
 * (`bench/torture`). No vitest import here, so `npm run torture` can load it outside the test runner.
 */

/** One SQS message as a test delivers it (a redelivery keeps the id, body and send time). */
export interface TestMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAtMs: number;
}

export const messageOf = (event: TaskEvent | string, messageId: string, sentAtMs: number): TestMessage => ({
  messageId,
  body: typeof event === 'string' ? event : JSON.stringify(event),
  sentAtMs,
});

/**
 * An SQS event as the event source mapping would build it. `receiveCount` is the same for every
 * message, or given per message (a redelivered message counts its receives).
 */
export const sqsEventOf = (
  messages: readonly TestMessage[],
  receiveCount: number | ((m: TestMessage) => number) = 1,
): SQSEvent => ({
  Records: messages.map((m) => ({
    messageId: m.messageId,
    receiptHandle: `rh-${m.messageId}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(typeof receiveCount === 'number' ? receiveCount : receiveCount(m)),
      SentTimestamp: String(m.sentAtMs),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(m.sentAtMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:events',
    awsRegion: 'us-east-1',
  })),
});
