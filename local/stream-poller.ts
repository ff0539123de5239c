import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { NotIdleError } from './errors';
import { matchesAnyFilter } from './event-filter';
import { type InvocationOptions, lambdaContext } from './lambda-context';
import type { DynamoStreamEventSource } from './stack-types';

/**
 * An in-process stand-in for the Lambda DynamoDB stream event source mapping, as much of it as this
 * stack's mapping uses: one shard (moto_server keeps one per table), records that match no filter
 * dropped, batches gathered (batch size and window), one batch at a time, and on a reported failure a
 * retry from that record on (checkpoint semantics: records before it are done), forever, as
 * `MaximumRetryAttempts: -1` does (no bisect, no record age, no failure destination).
 *
 * Tumbling windows (`TumblingWindowInSeconds`): a record belongs to the window of its
 * `ApproximateCreationDateTime` (windows aligned on multiples of the length, as Lambda's are); a batch
 * holds records of one window; every invocation gets the window, the shard and the state the last
 * successful invocation of the window returned, and must return a `state` (an answer without one is a
 * failure). A failed invocation (thrown, no state, or any batch item failure) is retried whole with the
 * previous state. The window's final invocation (no records, `isFinalInvokeForWindow`) comes when a
 * record of a later window is read or the clock passes the window's end, and is retried until it
 * succeeds. A returned state over 1 MB ends the window early, as Lambda does: a final invocation with
 * `isWindowTerminatedEarly`, then the same window goes on with a fresh state. `waitIdle`/`drain` end an
 * open window the same way (early if its end has not come), and do not wait out a batching window
 * once the stream has nothing more, so what was read is written when they resolve.
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
  /**
   * Longest pause between reads of an idle shard, ms: the pause doubles while reads come back empty
   * (each GetRecords leaves an iterator behind in moto_server, so idle polling is kept sparse). @default 1000
   */
  readonly maxIdlePollMs?: number;
  /** Pause before a failed batch is retried, ms. @default 500 */
  readonly retryDelayMs?: number;
  /** Tumbling window length, seconds (0: none). @default the mapping's `tumblingWindowSeconds`, else 0 */
  readonly tumblingWindowSeconds?: number;
  /** Clock for window ends and records without a creation time, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * When a record reached the stream, epoch seconds: decides its tumbling window. The bench replays a
   * stream at a simulated rate through it. @default the record's `ApproximateCreationDateTime`, as Lambda
   */
  readonly arrivalSecondsOf?: (record: DynamoDBRecord) => number | undefined;
}

/** Counters of one poller, cumulative since `start()`. */
export interface StreamPollerStats {
  /** Records read from the stream. */
  readonly read: number;
  /** Records skipped because they matched no filter. */
  readonly filtered: number;
  /** Records handed to the handler (a retried record counts again). */
  readonly delivered: number;
  /** Delivered records whose invocation succeeded for them (each record counts once). */
  readonly succeeded: number;
  /** Handler invocations. */
  readonly batches: number;
  /** Invocations that reported a failure or threw (each one is retried). */
  readonly failedBatches: number;
  /** Invocations that threw. */
  readonly errors: number;
  /** Final invocations of tumbling windows that succeeded (early ends included). */
  readonly windows: number;
}

/** Lambda's limit on a tumbling window's returned state, bytes (1 MB per shard). */
export const WINDOW_STATE_LIMIT_BYTES = 1_048_576;

/** The open tumbling window of the shard. */
interface OpenWindow {
  /** Window start, epoch seconds. */
  readonly startSeconds: number;
  /** What the last successful invocation of the window returned. */
  state: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Order of stream sequence numbers (decimal strings of any length). */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

const seqOf = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? '0';

/**
 * The Lambda shape of a stream record read with the SDK (time in epoch seconds). The stack's items hold
 * no binary attributes, the one type whose shape differs (`Uint8Array` in the SDK, base64 in Lambda).
 * Pure.
 */
export const toStreamRecord = (
  record: SdkStreamRecord,
  streamArn: string,
  region: string,
): DynamoDBRecord => {
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

/**
 * Where a batch must be retried from, by the rules of `ReportBatchItemFailures` for streams: the
 * lowest reported sequence number; the first record when an identifier is empty or not in the batch;
 * nothing on success. Pure.
 */
export const retryPointOf = (
  batch: readonly DynamoDBRecord[],
  response: unknown,
  reportBatchItemFailures: boolean,
): string | undefined => {
  const reported = (response as Partial<DynamoDBBatchResponse> | undefined | null)?.batchItemFailures;
  if (!reportBatchItemFailures || !Array.isArray(reported) || reported.length === 0) return undefined;
  const seqs = new Set(batch.map(seqOf));
  const ids = reported.map((f) => f?.itemIdentifier);
  if (ids.some((id) => !id || !seqs.has(id))) return seqOf(batch[0]!);
  return ids.sort(compareSequenceNumbers)[0];
};

/** Polls one table stream for one handler, one batch at a time (see the module doc). */
export class DynamoStreamPoller {
  private readonly counters = {
    read: 0,
    filtered: 0,
    delivered: 0,
    succeeded: 0,
    batches: 0,
    failedBatches: 0,
    errors: 0,
    windows: 0,
  };
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
    this.windowSeconds = options.tumblingWindowSeconds ?? options.source.tumblingWindowSeconds ?? 0;
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
    // Someone is waiting: read again now rather than after an idle back-off.
    this.idleMs = this.options.pollIntervalMs ?? 200;
    this.endWindowRequested = true;
    this.wake?.();
    const idle = () =>
      (this.iterator === undefined && this.pending.length === 0) ||
      (this.lastEmptyReadAt >= since && this.pending.length === 0 && !this.busy && this.window === undefined);
    try {
      while (this.running && !idle()) {
        if (Date.now() - since > timeoutMs) {
          throw new NotIdleError(`stream ${this.options.source.streamArn} not drained after ${timeoutMs} ms`);
        }
        await sleep(25);
      }
    } finally {
      this.endWindowRequested = false;
    }
  }

  /** Alias of `waitIdle` (the fault suite's name). */
  drain(timeoutMs?: number): Promise<void> {
    return this.waitIdle(timeoutMs);
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
        if (this.window !== undefined && (this.endWindowRequested || this.windowEnded(this.window))) {
          this.busy = true;
          await this.endWindow(!this.windowEnded(this.window));
          continue;
        }
        // Idle: pause (ended early by `waitIdle` and `stop`), backing off; no later than a window's end.
        const untilEndMs =
          this.window === undefined
            ? Number.POSITIVE_INFINITY
            : Math.max(0, (this.window.startSeconds + this.windowSeconds) * 1000 - this.now());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(this.idleMs, untilEndMs));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
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
    if (records.length > 0) this.lastRead = seqOf(records.at(-1)!);
    this.pending.push(...matching);
    return records.length;
  }

  /** Up to a batch of pending records, all of one tumbling window if there are windows. */
  private async nextBatch(): Promise<DynamoDBRecord[]> {
    const batch = await this.gatherBatch();
    if (this.windowSeconds <= 0 || batch.length === 0) return batch;
    const start = this.windowStartOf(batch[0]!);
    const end = batch.findIndex((r) => this.windowStartOf(r) !== start);
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

  private windowEnded(window: OpenWindow): boolean {
    return this.now() >= (window.startSeconds + this.windowSeconds) * 1000;
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
   * Invoke the handler; the answer, or undefined when the invocation failed (threw, or under a window
   * answered without a state or with any batch item failure).
   */
  private async invoke(
    records: DynamoDBRecord[],
    windowFields?: Record<string, unknown>,
  ): Promise<{ response: unknown } | undefined> {
    try {
      const response = await this.options.handler(
        { Records: records, ...windowFields } as DynamoDBStreamEvent,
        lambdaContext(this.options.fn ?? { name: 'local-stream-consumer' }),
      );
      if (windowFields === undefined) return { response };
      const answer = response as { state?: unknown; batchItemFailures?: unknown[] } | undefined;
      const failed =
        typeof answer?.state !== 'object' ||
        answer.state === null ||
        (answer.batchItemFailures?.length ?? 0) > 0;
      if (failed)
        this.log('stream poller: window invocation answered without a state or with failures; retried');
      return failed ? undefined : { response };
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

  private async deliver(batch: DynamoDBRecord[]): Promise<void> {
    if (this.windowSeconds > 0) return this.deliverInWindow(batch);
    const { source } = this.options;
    this.counters.batches++;
    this.counters.delivered += batch.length;
    const answer = await this.invoke(batch);
    const retryFrom =
      answer === undefined
        ? seqOf(batch[0]!)
        : retryPointOf(batch, answer.response, source.reportBatchItemFailures);
    const done = batch.filter(
      (r) => retryFrom === undefined || compareSequenceNumbers(seqOf(r), retryFrom) < 0,
    );
    this.counters.succeeded += done.length;
    this.pending.splice(0, done.length);
    if (retryFrom === undefined) return;
    this.counters.failedBatches++;
    await sleep(this.options.retryDelayMs ?? 500);
  }

  /**
   * Deliver a batch of one window: a record of a later window first ends the open one; a failure
   * leaves the state as it was and the batch pending (retried whole); a state over Lambda's limit ends
   * the window early.
   */
  private async deliverInWindow(batch: DynamoDBRecord[]): Promise<void> {
    const startSeconds = this.windowStartOf(batch[0]!);
    if (this.window !== undefined && this.window.startSeconds !== startSeconds) {
      await this.endWindow(false);
      return;
    }
    const window = this.window ?? { startSeconds, state: {} };
    this.window = window;
    this.counters.batches++;
    this.counters.delivered += batch.length;
    const answer = await this.invoke(batch, this.windowFields(window, false, false));
    if (answer === undefined) {
      this.counters.failedBatches++;
      await sleep(this.options.retryDelayMs ?? 500);
      return;
    }
    window.state = (answer.response as { state: Record<string, unknown> }).state;
    this.counters.succeeded += batch.length;
    this.pending.splice(0, batch.length);
    if (Buffer.byteLength(JSON.stringify(window.state)) > WINDOW_STATE_LIMIT_BYTES) {
      await this.endWindow(true);
      this.window = { startSeconds, state: {} };
    }
  }
}
