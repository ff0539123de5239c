import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { NotIdleError } from './errors';
import { type FunctionIdentity, lambdaContext } from './lambda-context';
import type { SqsEventSource } from './stack-types';

/**
 * An in-process stand-in for the Lambda SQS event source mapping: long-polls the queue, gathers
 * batches (batch size and batching window), invokes the handler with a real-shaped `SQSEvent`, deletes
 * what succeeded and makes failures visible again after a short, local visibility timeout so that the
 * queue's redrive policy moves a message that keeps failing to the dead-letter queue (moto_server does
 * that on receive, after `maxReceiveCount` receives, like SQS).
 */

/** An SQS-triggered Lambda handler (one without `ReportBatchItemFailures` may return nothing). */
export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined> | Promise<void>;

/** One SQS event source mapping to play, with local tuning. */
export interface SqsPollerOptions {
  readonly client: SQSClient;
  /** The event source mapping, as read from the template. */
  readonly source: Pick<
    SqsEventSource,
    | 'queueUrl'
    | 'queueArn'
    | 'batchSize'
    | 'maximumBatchingWindowSeconds'
    | 'reportBatchItemFailures'
    | 'maximumConcurrency'
  >;
  readonly handler: SqsHandler;
  /** Region in the records' `awsRegion`. @default 'us-east-1' */
  readonly region?: string;
  /** The function played (context and logs). @default { name: 'local-sqs-consumer' } */
  readonly fn?: FunctionIdentity;
  /**
   * Visibility timeout given to failed messages, seconds: they come back after this instead of the
   * queue's (minutes-long) timeout, so retries and redrive take seconds locally. @default 1
   */
  readonly retryVisibilitySeconds?: number;
  /** Long-poll wait of one ReceiveMessage, seconds; also bounds how long `stop()` waits. @default 1 */
  readonly waitTimeSeconds?: number;
  /** @default ignore */
  readonly log?: (line: string) => void;
}

/** Counters of one poller, cumulative since `start()`. */
export interface SqsPollerStats {
  /** Messages received (each redelivery counts again). */
  readonly received: number;
  /** Messages deleted after a successful invocation. */
  readonly deleted: number;
  /** Messages that failed (reported in `batchItemFailures`, or in a batch whose invocation threw). */
  readonly failed: number;
  /** Handler invocations. */
  readonly batches: number;
  /** Invocations that threw. */
  readonly errors: number;
  /** Batches being processed now. */
  readonly inFlight: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** The Lambda shape of a received SQS message. Pure. */
export const toSqsRecord = (message: Message, queueArn: string, region: string): SQSRecord => {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      ...(a.StringValue !== undefined && { stringValue: a.StringValue }),
      ...(a.BinaryValue !== undefined && { binaryValue: Buffer.from(a.BinaryValue).toString('base64') }),
      stringListValues: a.StringListValues ?? [],
      binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
      dataType: a.DataType ?? 'String',
    };
  }
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...attributes,
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined && {
      md5OfMessageAttributes: message.MD5OfMessageAttributes,
    }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
};

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

/** A counting semaphore that can be woken up on stop. */
class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<void> {
    while (this.used >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.used++;
  }
  release(): void {
    this.used--;
    this.waiters.shift()?.();
  }
  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Polls one queue for one handler, with the event source mapping's semantics (see the module doc). */
export class SqsEventSourcePoller {
  private readonly counters = { received: 0, deleted: 0, failed: 0, batches: 0, errors: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Slots;
  private loop: Promise<void> | undefined;
  private running = false;
  /** Messages received and not yet handed to an invocation. */
  private held = 0;
  private readonly log: (line: string) => void;

  constructor(private readonly options: SqsPollerOptions) {
    this.slots = new Slots(options.source.maximumConcurrency ?? Number.POSITIVE_INFINITY);
    this.log = options.log ?? (() => {});
  }

  /** Start polling (no-op when running). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.receiveLoop();
  }

  /** Stop receiving and wait for the batches in flight to finish (their deletes included). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.slots.wakeAll();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  stats(): SqsPollerStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  /**
   * Resolve when the queue is drained: nothing is held or in flight here and the queue reports no
   * messages (visible, in flight or delayed). Received messages count as in flight in the queue until
   * they are deleted, so there is no gap; a message that keeps failing counts until the redrive policy
   * moves it to the dead-letter queue. Assumes this poller is the queue's only consumer.
   */
  async waitIdle(timeoutMs = 30_000): Promise<void> {
    const since = Date.now();
    while (this.running) {
      if (this.inFlight.size === 0 && this.held === 0 && (await this.queueDepth()) === 0) return;
      if (Date.now() - since > timeoutMs) {
        throw new NotIdleError(`queue ${this.options.source.queueUrl} not idle after ${timeoutMs} ms`);
      }
      await sleep(50);
    }
  }

  /** Visible + in-flight + delayed messages of the queue. */
  async queueDepth(): Promise<number> {
    const { Attributes: a = {} } = await this.options.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.source.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) +
      Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }

  private async receiveLoop(): Promise<void> {
    while (this.running) {
      // Take a concurrency slot before receiving, so received messages never wait for one.
      await this.slots.acquire();
      if (!this.running) {
        this.slots.release();
        break;
      }
      let batch: Message[];
      try {
        batch = await this.gather();
      } catch (error) {
        this.slots.release();
        if (this.running) this.log(`sqs poller: receive failed: ${(error as Error).message}`);
        await sleep(1000);
        continue;
      }
      if (batch.length === 0) {
        this.slots.release();
        continue;
      }
      this.held -= batch.length;
      const invocation = this.process(batch).finally(() => {
        this.inFlight.delete(invocation);
        this.slots.release();
      });
      this.inFlight.add(invocation);
    }
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const { Messages = [] } = await this.options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.source.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    this.counters.received += Messages.length;
    this.held += Messages.length;
    return Messages;
  }

  /** Gather one batch: up to the batch size, for at most the batching window after the first message. */
  private async gather(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options.source;
    const wait = this.options.waitTimeSeconds ?? 1;
    const batch: Message[] = [];
    let deadline: number | undefined;
    while (batch.length < batchSize && this.running) {
      const remainingMs = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
      if (remainingMs <= 0) break;
      const waitSeconds = Math.min(wait, Math.floor(remainingMs / 1000));
      let got: Message[];
      try {
        got = await this.receive(Math.min(10, batchSize - batch.length), waitSeconds);
      } catch (error) {
        if (batch.length === 0) throw error;
        this.log(`sqs poller: receive failed, invoking with what was gathered: ${(error as Error).message}`);
        break;
      }
      if (got.length === 0) {
        if (deadline === undefined) break; // idle: nothing arrived during the long poll
        if (waitSeconds === 0) await sleep(Math.min(remainingMs, 50));
        continue;
      }
      batch.push(...got);
      deadline ??= Date.now() + maximumBatchingWindowSeconds * 1000;
    }
    return batch;
  }

  private async process(messages: Message[]): Promise<void> {
    const { source, handler } = this.options;
    const region = this.options.region ?? 'us-east-1';
    // The stack's SQS mapping has no filter criteria: every message is delivered.
    const keep = messages.map((m) => toSqsRecord(m, source.queueArn, region));
    this.counters.batches++;
    let failed: Set<string>;
    try {
      const response = await handler(
        { Records: keep },
        lambdaContext(this.options.fn ?? { name: 'local-sqs-consumer' }),
      );
      failed = failedMessageIds(
        keep.map((r) => r.messageId),
        response,
        source.reportBatchItemFailures,
      );
    } catch (error) {
      this.counters.errors++;
      this.log(
        `sqs poller: handler threw, ${keep.length} messages will be retried: ${(error as Error).message}`,
      );
      failed = new Set(keep.map((r) => r.messageId));
    }
    this.counters.failed += failed.size;
    try {
      await this.deleteRecords(keep.filter((r) => !failed.has(r.messageId)));
      await this.retryLater(keep.filter((r) => failed.has(r.messageId)));
    } catch (error) {
      this.log(
        `sqs poller: delete/visibility call failed (messages reappear later): ${(error as Error).message}`,
      );
    }
  }

  private async deleteRecords(records: readonly SQSRecord[]): Promise<void> {
    for (const chunk of chunks(records, 10)) {
      const result = await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.source.queueUrl,
          Entries: chunk.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      this.counters.deleted += result.Successful?.length ?? 0;
      for (const f of result.Failed ?? [])
        this.log(`sqs poller: delete failed: ${f.Code} ${f.Message ?? ''}`);
    }
  }

  /** Make failed messages visible again soon; the redrive policy counts their receives. */
  private async retryLater(records: readonly SQSRecord[]): Promise<void> {
    for (const chunk of chunks(records, 10)) {
      await this.options.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.source.queueUrl,
          Entries: chunk.map((r, i) => ({
            Id: String(i),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: this.options.retryVisibilitySeconds ?? 1,
          })),
        }),
      );
    }
  }
}
