import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { waitUntil } from './errors';
import { type InvocationOptions, lambdaContext } from './lambda-context';
import type { SqsEventSource } from './stack-types';

/**
 * An in-process stand-in for the Lambda SQS event source mapping: long-polls the queue, gathers
 * batches (batch size and batching window, at most `MaximumConcurrency` in flight), invokes the handler
 * with a real-shaped `SQSEvent`, deletes what succeeded and makes failures visible again after a short,
 * local visibility timeout so that the queue's redrive policy moves a message that keeps failing to the
 * dead-letter queue (moto_server does that on receive, after `maxReceiveCount` receives, like SQS).
 */

/** An SQS-triggered Lambda handler (one without `ReportBatchItemFailures` may return nothing). */
export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** One SQS event source mapping to play, with local tuning. */
export interface SqsPollerOptions extends InvocationOptions {
  readonly client: SQSClient;
  /** The event source mapping, as read from the template. */
  readonly source: SqsEventSource;
  readonly handler: SqsHandler;
  /** Visibility timeout of failed messages, seconds (not the queue's minutes): quick local retries. @default 1 */
  readonly retryVisibilitySeconds?: number;
  /** Long-poll wait of a receive, seconds (0: short polls 50 ms apart); bounds `stop()`'s wait. @default 1 */
  readonly waitTimeSeconds?: number;
}

/**
 * Counters since `start()`: messages `received` (redeliveries again), `deleted`, `failed` (reported in
 * `batchItemFailures`, or in a batch that threw); invocations that threw (`errors`).
 */
export type SqsPollerStats = Readonly<Record<'received' | 'deleted' | 'failed' | 'errors', number>>;

/** The Lambda shape of a received message; no message attributes (no handler of this stack reads them). */
const toSqsRecord = (message: Message, queueArn: string, region: string): SQSRecord => ({
  messageId: message.MessageId!,
  receiptHandle: message.ReceiptHandle!,
  body: message.Body ?? '',
  attributes: message.Attributes as unknown as SQSRecord['attributes'],
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: region,
});

/**
 * Which messages of a batch failed, by the rules of `ReportBatchItemFailures`: the listed ones; the
 * whole batch when an identifier is empty or not in the batch; none without the setting. Pure.
 */
export const failedMessageIds = (
  batchIds: readonly string[],
  response: unknown,
  reportBatchItemFailures: boolean,
): Set<string> => {
  const reported = (response as Partial<SQSBatchResponse> | undefined | null)?.batchItemFailures;
  if (!reportBatchItemFailures || !Array.isArray(reported)) return new Set();
  const ids = new Set(batchIds);
  const failures = reported.map((f) => f?.itemIdentifier);
  if (failures.some((id) => !id || !ids.has(id))) return ids;
  return new Set(failures);
};

/** Polls one queue for one handler, with the event source mapping's semantics (see the module doc). */
export class SqsEventSourcePoller {
  private readonly counters = { received: 0, deleted: 0, failed: 0, errors: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private running = false;
  private idleWaiters = 0; // callers in `waitIdle`: a batch being gathered goes once the queue is empty
  private readonly log: (line: string) => void;

  constructor(private readonly options: SqsPollerOptions) {
    this.log = (line) => options.log?.(`sqs poller: ${line}`);
  }

  /** Start polling (no-op when running). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.receiveLoop();
  }

  /** Stop receiving and wait for the batches in flight to finish (their deletes included). */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  stats(): SqsPollerStats {
    return { ...this.counters };
  }

  /**
   * Resolve when the queue is drained: no batch is in flight here and the queue reports no messages
   * (visible, in flight or delayed). Received messages count as in flight in the queue until they are
   * deleted, so there is no gap; a message that keeps failing counts until the redrive policy moves it
   * to the dead-letter queue. Assumes this poller is the queue's only consumer. Meanwhile a batch being
   * gathered is invoked once a receive comes back empty, without waiting out the batching window.
   */
  waitIdle(timeoutMs = 30_000): Promise<void> {
    const { client, source } = this.options;
    this.idleWaiters++;
    const idle = waitUntil(`queue ${source.queueUrl}`, timeoutMs, async () => {
      if (!this.running) return true;
      if (this.inFlight.size > 0) return false;
      const { Attributes: a = {} } = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: source.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      return Object.values(a).every((v) => Number(v) === 0);
    });
    return idle.finally(() => this.idleWaiters--);
  }

  private async receiveLoop(): Promise<void> {
    const limit = this.options.source.maximumConcurrency ?? Number.POSITIVE_INFINITY;
    while (this.running) {
      // Wait for a free concurrency slot before receiving, so received messages never wait for one.
      if (this.inFlight.size >= limit) {
        await Promise.race(this.inFlight);
        continue;
      }
      const batch = await this.gather().catch(async (error: Error) => {
        if (this.running) this.log(`receive failed: ${error.message}`);
        await sleep(1000);
        return [];
      });
      if (batch.length === 0) continue;
      const invocation = this.process(batch).finally(() => this.inFlight.delete(invocation));
      this.inFlight.add(invocation);
    }
  }

  /** Gather one batch: up to the batch size, for at most the batching window after the first message. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds, queueUrl } = this.options.source;
    const batch: Message[] = [];
    let deadline = Number.POSITIVE_INFINITY;
    while (this.running && batch.length < batchSize && Date.now() < deadline) {
      const flushing = this.idleWaiters > 0 && batch.length > 0;
      const waitSeconds = flushing
        ? 0
        : Math.min(this.options.waitTimeSeconds ?? 1, Math.floor((deadline - Date.now()) / 1000));
      let got: Message[];
      try {
        ({ Messages: got = [] } = await this.options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['All'],
          }),
        ));
      } catch (error) {
        if (batch.length === 0) throw error;
        this.log(`receive failed, invoking with what was gathered: ${(error as Error).message}`);
        break;
      }
      this.counters.received += got.length;
      if (got.length === 0 && waitSeconds === 0) await sleep(50);
      if (got.length === 0 && (batch.length === 0 || flushing)) break; // idle, or `waitIdle` takes it
      batch.push(...got);
      if (deadline === Number.POSITIVE_INFINITY) deadline = Date.now() + maximumBatchingWindowSeconds * 1000;
    }
    return batch;
  }

  private async process(messages: Message[]): Promise<void> {
    const { source, handler, client } = this.options;
    const records = messages.map((m) => toSqsRecord(m, source.queueArn, this.options.region ?? 'us-east-1'));
    const ids = records.map((r) => r.messageId);
    let failed: Set<string>;
    try {
      const context = lambdaContext(this.options.fn ?? { name: 'local-sqs-consumer' });
      const response = await handler({ Records: records }, context);
      failed = failedMessageIds(ids, response, source.reportBatchItemFailures);
    } catch (error) {
      this.counters.errors++;
      this.log(`handler threw, ${records.length} messages will be retried: ${(error as Error).message}`);
      failed = new Set(ids);
    }
    this.counters.failed += failed.size;
    const visibility = this.options.retryVisibilitySeconds ?? 1;
    // Delete what succeeded; make failures visible again soon (the redrive policy counts receives).
    for (let i = 0; i < records.length; i += 10) {
      const entries = (retry: boolean) =>
        records
          .slice(i, i + 10)
          .filter((r) => failed.has(r.messageId) === retry)
          .map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle }));
      const [done, again] = [entries(false), entries(true)];
      try {
        if (done.length > 0) {
          const result = await client.send(
            new DeleteMessageBatchCommand({ QueueUrl: source.queueUrl, Entries: done }),
          );
          this.counters.deleted += result.Successful?.length ?? 0;
          for (const f of result.Failed ?? []) this.log(`delete failed: ${f.Code} ${f.Message ?? ''}`);
        }
        if (again.length > 0) {
          const Entries = again.map((e) => ({ ...e, VisibilityTimeout: visibility }));
          await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: source.queueUrl, Entries }));
        }
      } catch (error) {
        this.log(`delete/visibility call failed (messages reappear later): ${(error as Error).message}`);
      }
    }
  }
}
