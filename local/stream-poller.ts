import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { waitUntil } from './errors';
import { matchesAnyFilter } from './event-filter';
import { type InvocationOptions, lambdaContext } from './lambda-context';
import type { DynamoStreamEventSource } from './stack-types';

/**
 * An in-process stand-in for the Lambda DynamoDB stream event source mapping, as much of it as this
 * stack's mapping uses: one shard (moto_server keeps one per table), records that match no filter
 * dropped, batches gathered (batch size and window), one batch at a time, and a failed batch retried
 * whole, forever, as `MaximumRetryAttempts: -1` does (no bisect, no record age, no failure destination):
 * the checkpoint is the batch's first record. A reported item failure fails the batch: the stack's mapping
 * has a window, where Lambda does the same (decision 0073).
 *
 * Tumbling windows (`TumblingWindowInSeconds`), as Lambda's: a record belongs to the window of its
 * `ApproximateCreationDateTime` (aligned on multiples of the length); a batch holds one window's records
 * and gets the window, the shard and the state the window's last successful invocation returned. An
 * invocation that throws, answers without a state or reports any failure is retried whole with the
 * previous state. The final invocation (no records, `isFinalInvokeForWindow`) comes when a later
 * window's record is read or the clock passes the window's end, and is retried until it succeeds. A
 * state over 1 MB ends the window early (`isWindowTerminatedEarly`) and the window goes on with a fresh
 * state; `waitIdle` ends an open window the same way and does not wait out a batching window once the
 * stream has nothing more, so what was read is written when it resolves.
 */

/** A stream-triggered Lambda handler. */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined> | Promise<void>;

/** One DynamoDB stream event source mapping to play, with local tuning. */
export interface StreamPollerOptions extends InvocationOptions {
  readonly client: DynamoDBStreamsClient;
  readonly source: DynamoStreamEventSource;
  readonly handler: StreamHandler;
  /** Pause after a read that returned nothing, ms. @default 200 */
  readonly pollIntervalMs?: number;
  /** Longest idle pause, ms: doubles while reads come back empty (moto keeps every iterator). @default 1000 */
  readonly maxIdlePollMs?: number;
  /** Pause before a failed batch is retried, ms. @default 500 */
  readonly retryDelayMs?: number;
  /** Clock for window ends and records without a creation time, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** A record's arrival, epoch seconds: its window (the bench's replay). @default ApproximateCreationDateTime */
  readonly arrivalSecondsOf?: (record: DynamoDBRecord) => number | undefined;
}

/**
 * Counters of one poller since `start()`: records `read` and of them `filtered` (matched no filter);
 * records `delivered` (a retried one counts again) and `succeeded` (each once); invocations (`batches`),
 * those that failed and are retried (`failedBatches`) and those that threw (`errors`); tumbling `windows`
 * ended by a successful final invocation (early ends included).
 */
const ZERO_COUNTS = {
  read: 0,
  filtered: 0,
  delivered: 0,
  succeeded: 0,
  batches: 0,
  failedBatches: 0,
  errors: 0,
  windows: 0,
};
export type StreamPollerStats = Readonly<typeof ZERO_COUNTS>;

/** Lambda's limit on a tumbling window's returned state, bytes (1 MB per shard). */
export const WINDOW_STATE_LIMIT_BYTES = 1_048_576;

/** A tumbling window's state, as the handler returns it and gets it back. */
type WindowState = Record<string, unknown>;

/** The open tumbling window of the shard: its start, and what its last successful invocation returned. */
interface OpenWindow {
  readonly startSeconds: number;
  state: WindowState;
}

/**
 * The Lambda shape of a stream record read with the SDK (time in epoch seconds). The stack's items hold
 * no binary attributes, the one type whose shape differs (`Uint8Array` in the SDK, base64 in Lambda).
 */
const toStreamRecord = (record: SdkStreamRecord, streamArn: string, region: string): DynamoDBRecord => {
  const { ApproximateCreationDateTime: created, ...d } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(d as NonNullable<DynamoDBRecord['dynamodb']>),
      ...(created !== undefined && { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
    },
    eventSourceARN: streamArn,
  };
};

/** Polls one table stream for one handler, one batch at a time (see the module doc). */
export class DynamoStreamPoller {
  private readonly counters = { ...ZERO_COUNTS };
  private shardId = '';
  private window: OpenWindow | undefined;
  /** `waitIdle` asked for the open window to end now, and for a batch being gathered to go now. */
  private endWindowRequested = false;
  private readonly windowSeconds: number;
  private readonly now: () => number;
  /** Undefined once the shard is closed. */
  private iterator: string | undefined;
  /** Sequence number of the last record read: where to resume when the iterator expires. */
  private lastRead: string | undefined;
  /** Matching records read and not done yet, in order. */
  private pending: DynamoDBRecord[] = [];
  /** Start time of the latest read that returned nothing. */
  private lastEmptyReadAt = 0;
  private busy = false;
  private idleMs: number;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private running = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: StreamPollerOptions) {
    this.log = options.log ?? (() => {});
    this.idleMs = options.pollIntervalMs ?? 200;
    this.windowSeconds = options.source.tumblingWindowSeconds ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** Find the stream's open shard and start reading it (resolves once its iterator exists). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { StreamDescription } = await this.options.client.send(
      new DescribeStreamCommand({ StreamArn: this.options.source.streamArn }),
    );
    this.shardId = StreamDescription?.Shards?.at(-1)?.ShardId ?? '';
    this.iterator = await this.newIterator();
    this.loop = this.run();
  }

  /** Stop reading; waits for the batch being processed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  stats(): StreamPollerStats {
    return { ...this.counters };
  }

  /**
   * Resolve when everything in the stream at the time of the call has been processed: a read started
   * after the call came back empty, nothing is pending and no batch is running.
   */
  async waitIdle(timeoutMs = 30_000): Promise<void> {
    const since = Date.now();
    // Someone is waiting: read again now rather than after an idle back-off, and end an open window.
    this.idleMs = this.options.pollIntervalMs ?? 200;
    this.endWindowRequested = true;
    this.wake?.();
    const idle = async () =>
      !this.running ||
      (this.pending.length === 0 &&
        (this.iterator === undefined ||
          (this.lastEmptyReadAt >= since && !this.busy && this.window === undefined)));
    try {
      await waitUntil(`stream ${this.options.source.streamArn}`, timeoutMs, idle);
    } finally {
      this.endWindowRequested = false;
    }
  }

  private async newIterator(): Promise<string | undefined> {
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.source.streamArn,
        ShardId: this.shardId,
        ...(this.lastRead === undefined
          ? { ShardIteratorType: this.options.source.startingPosition }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.lastRead }),
      }),
    );
    return ShardIterator;
  }

  private async run(): Promise<void> {
    const baseMs = this.options.pollIntervalMs ?? 200;
    while (this.running && (this.iterator !== undefined || this.pending.length > 0)) {
      try {
        const batch = await this.nextBatch();
        if (batch.length > 0) {
          this.idleMs = baseMs;
          this.busy = true;
          await this.deliver(batch);
          continue;
        }
        const endsAtMs = this.window ? (this.window.startSeconds + this.windowSeconds) * 1000 : Infinity;
        const untilEndMs = endsAtMs - this.now();
        if (this.window !== undefined && (this.endWindowRequested || untilEndMs <= 0)) {
          this.busy = true;
          await this.endWindow(untilEndMs > 0);
          continue;
        }
        // Idle: pause (ended early by `waitIdle` and `stop`), backing off; no later than a window's end.
        const wake = new AbortController();
        this.wake = () => wake.abort();
        await sleep(Math.min(this.idleMs, untilEndMs), undefined, { signal: wake.signal }).catch(() => {});
        this.idleMs = Math.min(Math.max(baseMs, this.options.maxIdlePollMs ?? 1000), this.idleMs * 2);
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          this.iterator = await this.newIterator().catch(() => this.iterator);
          continue;
        }
        this.log(`stream poller: ${this.shardId}: ${(error as Error).message}`);
        await sleep(1000);
      } finally {
        this.busy = false;
      }
    }
  }

  /** Read once into `pending` (matching records only); returns how many records came. */
  private async read(): Promise<number> {
    const startedAt = Date.now();
    const { Records = [], NextShardIterator } = await this.options.client.send(
      new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 1000 }),
    );
    this.iterator = NextShardIterator;
    if (Records.length === 0) this.lastEmptyReadAt = startedAt;
    const { streamArn, filters } = this.options.source;
    const records = Records.map((r) => toStreamRecord(r, streamArn, this.options.region ?? 'us-east-1'));
    const matching = records.filter((r) => matchesAnyFilter(filters, r));
    this.counters.read += records.length;
    this.counters.filtered += records.length - matching.length;
    if (records.length > 0) this.lastRead = records.at(-1)!.dynamodb?.SequenceNumber ?? '0';
    this.pending.push(...matching);
    return records.length;
  }

  /** Up to a batch of pending records, all of one tumbling window if there are windows. */
  private async nextBatch(): Promise<DynamoDBRecord[]> {
    const batch = await this.gatherBatch();
    const start = this.windowSeconds > 0 && batch[0] ? this.windowStartOf(batch[0]) : undefined;
    const end = start === undefined ? -1 : batch.findIndex((r) => this.windowStartOf(r) !== start);
    return end < 0 ? batch : batch.slice(0, end);
  }

  /** Start of the tumbling window a record belongs to, epoch seconds. */
  private windowStartOf(record: DynamoDBRecord): number {
    const arrival =
      this.options.arrivalSecondsOf?.(record) ??
      record.dynamodb?.ApproximateCreationDateTime ??
      Math.floor(this.now() / 1000);
    return Math.floor(arrival / this.windowSeconds) * this.windowSeconds;
  }

  /** The fields Lambda adds to a stream event under a tumbling window. */
  private windowFields(window: OpenWindow, final: boolean, early: boolean) {
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    return {
      window: { start: iso(window.startSeconds), end: iso(window.startSeconds + this.windowSeconds) },
      state: window.state,
      shardId: this.shardId,
      eventSourceARN: this.options.source.streamArn,
      isFinalInvokeForWindow: final,
      isWindowTerminatedEarly: early,
    };
  }

  /**
   * The window's final invocation, retried with the same state until it succeeds (Lambda holds the
   * shard meanwhile). `early`: the window ends before its time (state over the limit, or `waitIdle`);
   * later records of the same window start a fresh state.
   */
  private async endWindow(early: boolean): Promise<void> {
    const window = this.window!;
    while (this.running) {
      this.counters.batches++;
      const response = await this.invoke([], this.windowFields(window, true, early));
      if (response !== undefined) {
        this.counters.windows++;
        this.window = undefined;
        return;
      }
      this.counters.failedBatches++;
      await sleep(this.options.retryDelayMs ?? 500);
    }
  }

  /**
   * Invoke the handler: the state it answered ({} without a window), or undefined when the invocation
   * failed (threw, reported an item failure, or under a window answered without a state).
   */
  private async invoke(records: DynamoDBRecord[], windowFields?: object): Promise<WindowState | undefined> {
    try {
      const response = await this.options.handler(
        { Records: records, ...windowFields } as DynamoDBStreamEvent,
        lambdaContext(this.options.fn ?? { name: 'local-stream-consumer' }),
      );
      const { state, batchItemFailures } = (response ?? {}) as {
        state?: WindowState;
        batchItemFailures?: [];
      };
      const reported = Array.isArray(batchItemFailures) && batchItemFailures.length > 0;
      if (windowFields === undefined)
        return reported && this.options.source.reportBatchItemFailures ? undefined : {};
      if (typeof state === 'object' && state !== null && !reported) return state;
      this.log('stream poller: window invocation answered without a state or with failures; retried');
      return undefined;
    } catch (error) {
      this.counters.errors++;
      this.log(`stream poller: handler threw, batch will be retried: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Up to a batch of pending records; gathers for at most the batching window. */
  private async gatherBatch(): Promise<DynamoDBRecord[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options.source;
    let deadline: number | undefined;
    for (;;) {
      if (this.pending.length >= batchSize) return this.pending.slice(0, batchSize);
      const open = this.running && this.iterator !== undefined;
      if (this.pending.length > 0) {
        deadline ??= Date.now() + maximumBatchingWindowSeconds * 1000;
        if (Date.now() >= deadline || !open) return [...this.pending];
      } else if (!open) return [];
      if ((await this.read()) === 0) {
        // The stream has nothing more now: someone waiting for idle gets the batch without the window.
        if (this.pending.length === 0 || this.endWindowRequested) return [...this.pending];
        await sleep(Math.max(0, Math.min(this.options.pollIntervalMs ?? 200, deadline! - Date.now())));
      }
    }
  }

  /**
   * Deliver a batch; a failure leaves it pending, to be retried whole (under a window with the previous
   * state). A record of a later window first ends the open one; a state over Lambda's limit ends it early.
   */
  private async deliver(batch: DynamoDBRecord[]): Promise<void> {
    const startSeconds = this.windowSeconds > 0 ? this.windowStartOf(batch[0]!) : undefined;
    if (this.window !== undefined && this.window.startSeconds !== startSeconds) return this.endWindow(false);
    if (startSeconds !== undefined) this.window ??= { startSeconds, state: {} };
    const window = this.window;
    this.counters.batches++;
    this.counters.delivered += batch.length;
    const state = await this.invoke(batch, window && this.windowFields(window, false, false));
    if (state === undefined) {
      this.counters.failedBatches++;
      await sleep(this.options.retryDelayMs ?? 500);
      return;
    }
    this.counters.succeeded += batch.length;
    this.pending.splice(0, batch.length);
    if (window === undefined) return;
    window.state = state;
    if (Buffer.byteLength(JSON.stringify(state)) > WINDOW_STATE_LIMIT_BYTES) {
      await this.endWindow(true);
      this.window = { startSeconds: window.startSeconds, state: {} };
    }
  }
}
