import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EmfDatum } from '../emf/parse-emf';
import { messagesIn, queueMetricsOf, queueNameOfArn, sentBetween } from './service-metrics';

/**
 * Feeds the SQS gauges of local mode to the metric sink: each queue's attributes polled every
 * `pollEveryMs` (CloudWatch gets them once a minute). The metrics of invocations and DynamoDB requests
 * come from the runtime's tap through `EmfCapture`, which holds them from before the functions run.
 */

/** Where the service metrics come from and go. */
export interface ServiceFeedOptions {
  readonly sqs: SQSClient;
  /** The stack's queues (their names are the `QueueName` dimension). */
  readonly queueUrls: readonly string[];
  /** Those a function of the stack consumes (the others' sends are counted by their growth). */
  readonly consumedQueueUrls: readonly string[];
  readonly add: (data: readonly EmfDatum[]) => void;
  /** @default 60_000 */
  readonly pollEveryMs?: number;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

/** A running feed. */
export interface ServiceFeed {
  /** Read every queue's attributes now (after the reading already under way); resolves when added. */
  poll(): Promise<void>;
  /** Stop polling; waits for a reading under way. */
  stop(): Promise<void>;
}

/** Start feeding (the first reading of the queues starts now). */
export const startServiceFeed = (options: ServiceFeedOptions): ServiceFeed => {
  const nameOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
  const previous = new Map<string, number | undefined>();
  const readDeadLetterQueues = async () => {
    const names = new Set<string>();
    for (const QueueUrl of options.consumedQueueUrls) {
      const { Attributes } = await options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      const target = (JSON.parse(Attributes?.RedrivePolicy ?? '{}') as { deadLetterTargetArn?: string })
        .deadLetterTargetArn;
      if (target !== undefined) names.add(queueNameOfArn(target));
    }
    return names;
  };
  /** Names of the dead-letter queues of the consumed queues, read once. */
  const deadLetterQueues = readDeadLetterQueues().catch(() => new Set<string>());
  const poll = async () => {
    const dlqs = await deadLetterQueues;
    await Promise.all(
      options.queueUrls.map(async (QueueUrl) => {
        try {
          const { Attributes = {} } = await options.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          const name = nameOf(QueueUrl);
          const total = messagesIn(Attributes);
          const sent = options.consumedQueueUrls.includes(QueueUrl)
            ? undefined
            : sentBetween(previous.get(QueueUrl), total, dlqs.has(name));
          previous.set(QueueUrl, total);
          options.add(queueMetricsOf(name, Attributes, Date.now(), sent));
        } catch (error) {
          options.log?.(`GetQueueAttributes ${QueueUrl} failed: ${(error as Error).message}`);
        }
      }),
    );
  };
  // Readings never overlap: the growth of a queue is counted between two finished readings.
  let polling = poll();
  const pollNext = () => {
    polling = polling.then(poll);
    return polling;
  };
  const timer = setInterval(pollNext, options.pollEveryMs ?? 60_000);
  timer.unref();
  return {
    poll: pollNext,
    stop: async () => {
      clearInterval(timer);
      await polling;
    },
  };
};
