import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { NotIdleError } from './errors';
import { matchesAnyFilter } from './event-filter';
import { type FunctionIdentity, lambdaContext } from './lambda-context';
import type { DynamoStreamEventSource } from './stack-types';

export { matchesFilter } from './event-filter';

/**
 * An in-process stand-in for the Lambda DynamoDB stream event source mapping: reads each shard of a
 * table's stream (DescribeStream, GetShardIterator, GetRecords), drops records that match no filter,
 * gathers batches (batch size and window), invokes the handler with a real-shaped
 * `DynamoDBStreamEvent`, one batch at a time per shard, and on a reported failure retries from that
 * record on (checkpoint semantics: records before it are done), forever, as the stack's mapping does
 * (`MaximumRetryAttempts` -1). moto_server keeps one shard per table.
 */

/** A stream-triggered Lambda handler. */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
) => Promise<DynamoDBBatchResponse | undefined> | Promise<void>;

/** One DynamoDB stream event source mapping to play, with local tuning. */
export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly source: Pick<
    DynamoStreamEventSource,
    | 'streamArn'
    | 'batchSize'
    | 'maximumBatchingWindowSeconds'
    | 'startingPosition'
    | 'reportBatchItemFailures'
    | 'filters'
  >;
  readonly handler: StreamHandler;
  /** Region in the records' `awsRegion`. @default 'us-east-1' */
  readonly region?: string;
  /** The function played (context and logs). @default { name: 'local-stream-consumer' } */
  readonly fn?: FunctionIdentity;
  /** Pause between reads of a shard that just had records, ms. @default 200 */
  readonly pollIntervalMs?: number;
  /**
   * Longest pause between reads of an idle shard, ms: the pause doubles while reads come back empty
   * (each GetRecords leaves an iterator behind in moto_server, so idle polling is kept sparse). @default 1000
   */
  readonly maxIdlePollMs?: number;
  /** Pause before a failed batch is retried, ms. @default 500 */
  readonly retryDelayMs?: number;
  /** @default ignore */
  readonly log?: (line: string) => void;
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
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Order of stream sequence numbers (decimal strings of any length). */
export const compareSequenceNumbers = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

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
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(created !== undefined && {
        ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000),
      }),
      ...(d.Keys !== undefined && { Keys: d.Keys as Record<string, AttributeValue> }),
      ...(d.NewImage !== undefined && { NewImage: d.NewImage as Record<string, AttributeValue> }),
      ...(d.OldImage !== undefined && { OldImage: d.OldImage as Record<string, AttributeValue> }),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
    eventSourceARN: streamArn,
  };
};

/**
 * Where a batch must be retried from, by the rules of `ReportBatchItemFailures` for streams: the
 * lowest reported sequence number; the first record when the handler threw or reported an identifier
 * that is not in the batch; nothing on success. Pure.
 */
export const retryPointOf = (
  batch: readonly DynamoDBRecord[],
  response: unknown,
  reportBatchItemFailures: boolean,
): string | undefined => {
  const reported = (response as Partial<DynamoDBBatchResponse> | undefined | null)?.batchItemFailures;
  if (!reportBatchItemFailures || !Array.isArray(reported) || reported.length === 0) return undefined;
  const seqs = new Set(batch.map((r) => r.dynamodb?.SequenceNumber));
  const ids = reported.map((f) => f?.itemIdentifier);
  if (ids.some((id) => !id || !seqs.has(id))) return batch[0]?.dynamodb?.SequenceNumber;
  return ids.sort(compareSequenceNumbers)[0];
};

const seqOf = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? '0';

interface ShardState {
  readonly shardId: string;
  iterator: string | undefined;
  /** Last sequence number done (delivered successfully or skipped); where to resume an expired iterator. */
  checkpoint: string | undefined;
  /** Records read and not done yet, in order. */
  pending: DynamoDBRecord[];
  /** Start time of the latest read that returned nothing. */
  lastEmptyReadAt: number;
  busy: boolean;
  /** Current pause between reads while idle, ms (backs off, reset by records or `waitIdle`). */
  idlePollMs: number;
  closed: boolean;
}

/** Polls one table stream for one handler, one batch at a time per shard (see the module doc). */
export class DynamoStreamPoller {
  private readonly counters = {
    read: 0,
    filtered: 0,
    delivered: 0,
    succeeded: 0,
    batches: 0,
    failedBatches: 0,
    errors: 0,
  };
  private readonly shards = new Map<string, ShardState>();
  private loops: Promise<void>[] = [];
  /** Ends the idle pauses early (on `waitIdle` and `stop`). */
  private readonly wakers = new Set<() => void>();
  private running = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: StreamPollerOptions) {
    this.log = options.log ?? (() => {});
  }

  /** Describe the stream and start one loop per shard (resolves once the shard iterators exist). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { StreamDescription } = await this.options.client.send(
      new DescribeStreamCommand({ StreamArn: this.options.source.streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const state: ShardState = {
        shardId: shard.ShardId!,
        iterator: undefined,
        checkpoint: undefined,
        pending: [],
        lastEmptyReadAt: 0,
        busy: false,
        idlePollMs: this.options.pollIntervalMs ?? 200,
        closed: false,
      };
      state.iterator = await this.iteratorFor(state);
      this.shards.set(state.shardId, state);
    }
    this.loops = [...this.shards.values()].map((s) => this.shardLoop(s));
  }

  /** Stop reading; waits for the batch being processed on each shard. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeIdle();
    await Promise.all(this.loops);
  }

  stats(): StreamPollerStats {
    return { ...this.counters };
  }

  /**
   * Resolve when everything in the stream at the time of the call has been processed: on every shard a
   * read started after the call came back empty, nothing is pending and no batch is running.
   */
  async waitIdle(timeoutMs = 30_000): Promise<void> {
    const since = Date.now();
    // Someone is waiting: read again now rather than after an idle back-off.
    for (const shard of this.shards.values()) shard.idlePollMs = this.options.pollIntervalMs ?? 200;
    this.wakeIdle();
    const idle = (s: ShardState) =>
      s.closed || (s.lastEmptyReadAt >= since && s.pending.length === 0 && !s.busy);
    while (this.running && ![...this.shards.values()].every(idle)) {
      if (Date.now() - since > timeoutMs) {
        throw new NotIdleError(`stream ${this.options.source.streamArn} not drained after ${timeoutMs} ms`);
      }
      await sleep(25);
    }
  }

  /** Alias of `waitIdle`. */
  drain(timeoutMs?: number): Promise<void> {
    return this.waitIdle(timeoutMs);
  }

  /** Sleep while idle; `wakeIdle` ends it early. */
  private idlePause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private wakeIdle(): void {
    for (const wake of [...this.wakers]) wake();
  }

  private async iteratorFor(shard: ShardState): Promise<string | undefined> {
    const at = shard.checkpoint;
    const { ShardIterator } = await this.options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.source.streamArn,
        ShardId: shard.shardId,
        ...(at === undefined
          ? { ShardIteratorType: this.options.source.startingPosition }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: at }),
      }),
    );
    return ShardIterator;
  }

  private async shardLoop(shard: ShardState): Promise<void> {
    const basePollMs = this.options.pollIntervalMs ?? 200;
    const maxPollMs = Math.max(basePollMs, this.options.maxIdlePollMs ?? 1000);
    while (this.running && !(shard.closed && shard.pending.length === 0)) {
      try {
        const batch = await this.nextBatch(shard);
        if (batch.length === 0) {
          await this.idlePause(shard.idlePollMs);
          shard.idlePollMs = Math.min(maxPollMs, shard.idlePollMs * 2);
          continue;
        }
        shard.idlePollMs = basePollMs;
        shard.busy = true;
        await this.deliver(shard, batch);
      } catch (error) {
        if (error instanceof ExpiredIteratorException) {
          shard.iterator = await this.iteratorFor(shard).catch(() => shard.iterator);
          continue;
        }
        this.log(`stream poller: ${shard.shardId}: ${(error as Error).message}`);
        await sleep(1000);
      } finally {
        shard.busy = false;
      }
    }
  }

  /** Read once from the shard into `pending`; returns how many records came. */
  private async read(shard: ShardState): Promise<number> {
    if (shard.iterator === undefined) {
      shard.closed = true;
      return 0;
    }
    const startedAt = Date.now();
    const { Records = [], NextShardIterator } = await this.options.client.send(
      new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }),
    );
    shard.iterator = NextShardIterator;
    if (NextShardIterator === undefined) shard.closed = true;
    if (Records.length === 0) shard.lastEmptyReadAt = startedAt;
    const region = this.options.region ?? 'us-east-1';
    shard.pending.push(...Records.map((r) => toStreamRecord(r, this.options.source.streamArn, region)));
    this.counters.read += Records.length;
    return Records.length;
  }

  /** Records that match the filters, up to a batch; gathers for at most the batching window. */
  private async nextBatch(shard: ShardState): Promise<DynamoDBRecord[]> {
    const { batchSize, maximumBatchingWindowSeconds, filters } = this.options.source;
    let deadline: number | undefined;
    for (;;) {
      const matching = shard.pending.filter((r) => matchesAnyFilter(filters, r));
      if (matching.length === 0 && shard.pending.length > 0) {
        // Nothing to deliver: the records read are done (a mapping never shows them to the function).
        this.counters.filtered += shard.pending.length;
        shard.checkpoint = seqOf(shard.pending[shard.pending.length - 1]!);
        shard.pending = [];
      }
      if (matching.length >= batchSize) return matching.slice(0, batchSize);
      if (matching.length > 0) {
        deadline ??= Date.now() + maximumBatchingWindowSeconds * 1000;
        if (Date.now() >= deadline || shard.closed || !this.running) return matching;
      }
      if (shard.closed || !this.running) return matching;
      const read = await this.read(shard);
      if (read === 0) {
        if (matching.length === 0) return [];
        await sleep(Math.max(0, Math.min(this.options.pollIntervalMs ?? 200, deadline! - Date.now())));
      }
    }
  }

  /** Drop the pending records before (or through) a sequence number, counting the filtered ones. */
  private settle(shard: ShardState, seq: string, inclusive: boolean): void {
    const { filters } = this.options.source;
    const keep: DynamoDBRecord[] = [];
    for (const r of shard.pending) {
      const c = compareSequenceNumbers(seqOf(r), seq);
      if (c < 0 || (inclusive && c === 0)) {
        if (!matchesAnyFilter(filters, r)) this.counters.filtered++;
        shard.checkpoint = seqOf(r);
      } else keep.push(r);
    }
    shard.pending = keep;
  }

  private async deliver(shard: ShardState, batch: DynamoDBRecord[]): Promise<void> {
    const { source, handler } = this.options;
    this.counters.batches++;
    this.counters.delivered += batch.length;
    let retryFrom: string | undefined;
    try {
      const response = await handler(
        { Records: batch },
        lambdaContext(this.options.fn ?? { name: 'local-stream-consumer' }),
      );
      retryFrom = retryPointOf(batch, response, source.reportBatchItemFailures);
    } catch (error) {
      this.counters.errors++;
      this.log(`stream poller: handler threw, batch will be retried: ${(error as Error).message}`);
      retryFrom = seqOf(batch[0]!);
    }
    const last = seqOf(batch[batch.length - 1]!);
    const before = retryFrom;
    this.counters.succeeded +=
      before === undefined
        ? batch.length
        : batch.filter((r) => compareSequenceNumbers(seqOf(r), before) < 0).length;
    if (retryFrom === undefined) {
      this.settle(shard, last, true);
      return;
    }
    this.counters.failedBatches++;
    this.settle(shard, retryFrom, false);
    // The stack's mapping retries forever (MaximumRetryAttempts -1): no give-up, no destination.
    await sleep(this.options.retryDelayMs ?? 500);
  }
}
