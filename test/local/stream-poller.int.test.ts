import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, ExpiredIteratorException } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DynamoStreamEventSource } from '../../local/stack-types';
import { DynamoStreamPoller, type StreamHandler } from '../../local/stream-poller';
import { motoClientConfig, uniqueName } from '../support/aws';

const ddb = new DynamoDBClient(motoClientConfig());
const streams = new DynamoDBStreamsClient(motoClientConfig());
const pollers: DynamoStreamPoller[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});
afterAll(() => {
  ddb.destroy();
  streams.destroy();
});

const EXECUTION_CHANGES = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { Keys: { pk: { S: [{ prefix: 'EX#' }] } } },
};

/** A table with a NEW_AND_OLD_IMAGES stream, like the history table. */
const createTable = async () => {
  const name = uniqueName('stream');
  const { TableDescription } = await ddb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  return { tableName: name, streamArn: TableDescription!.LatestStreamArn! };
};

const put = (tableName: string, pk: string, n: number) =>
  ddb.send(
    new PutItemCommand({
      TableName: tableName,
      Item: { pk: { S: pk }, sk: { S: 'EX' }, n: { N: String(n) } },
    }),
  );

const sourceOf = (
  table: { tableName: string; streamArn: string },
  overrides: Partial<DynamoStreamEventSource> = {},
): DynamoStreamEventSource => ({
  kind: 'dynamodb',
  batchSize: 100,
  maximumBatchingWindowSeconds: 0,
  reportBatchItemFailures: true,
  filters: [],
  startingPosition: 'TRIM_HORIZON',
  streamArn: table.streamArn,
  ...overrides,
});

const startPoller = async (source: DynamoStreamEventSource, handler: StreamHandler) => {
  const poller = new DynamoStreamPoller({
    client: streams,
    source,
    handler,
    pollIntervalMs: 50,
    maxIdlePollMs: 100,
    retryDelayMs: 50,
  });
  pollers.push(poller);
  await poller.start();
  return poller;
};

const pkOf = (r: DynamoDBRecord) => r.dynamodb?.Keys?.pk?.S;
const nOf = (r: DynamoDBRecord) => Number(r.dynamodb?.NewImage?.n?.N);

describe('DynamoStreamPoller', () => {
  it('delivers only records that match the filter, in real Lambda shape', async () => {
    // Prepare
    const table = await createTable();
    await put(table.tableName, 'EX#a', 1);
    await put(table.tableName, 'Q#2026-03-02#1', 1);
    await put(table.tableName, 'EX#a', 2);
    await put(table.tableName, 'EX#b', 1);
    await ddb.send(
      new DeleteItemCommand({ TableName: table.tableName, Key: { pk: { S: 'EX#b' }, sk: { S: 'EX' } } }),
    );
    const seen: DynamoDBRecord[] = [];

    // Act
    const poller = await startPoller(sourceOf(table, { filters: [EXECUTION_CHANGES] }), async (event) => {
      seen.push(...event.Records);
      return { batchItemFailures: [] };
    });
    await poller.waitIdle(10_000);

    // Assess
    expect(seen.map((r) => `${r.eventName} ${pkOf(r)}`)).toEqual([
      'INSERT EX#a',
      'MODIFY EX#a',
      'INSERT EX#b',
    ]);
    const modify = seen[1]!;
    expect(modify).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventSourceARN: table.streamArn,
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { pk: { S: 'EX#a' }, sk: { S: 'EX' } },
        NewImage: { n: { N: '2' } },
        OldImage: { n: { N: '1' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(typeof modify.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(poller.stats()).toMatchObject({ read: 5, filtered: 2, delivered: 3, batches: 1 });
  });

  it('retries the whole batch when the handler reports an item failure (the checkpoint is its first record)', async () => {
    // Prepare
    const table = await createTable();
    for (let n = 1; n <= 5; n++) await put(table.tableName, `EX#t${n}`, n);
    const batches: DynamoDBStreamEvent[] = [];
    const handler: StreamHandler = async (event) => {
      batches.push(event);
      const third = event.Records.find((r) => nOf(r) === 3)!;
      return batches.length === 1
        ? { batchItemFailures: [{ itemIdentifier: third.dynamodb!.SequenceNumber! }] }
        : { batchItemFailures: [] };
    };

    // Act
    const poller = await startPoller(sourceOf(table), handler);
    await poller.waitIdle(10_000);

    // Assess
    expect(batches.map((b) => b.Records.map(nOf))).toEqual([
      [1, 2, 3, 4, 5],
      [1, 2, 3, 4, 5],
    ]);
    expect(batches[1]!.Records.map((r) => r.dynamodb?.SequenceNumber)).toEqual(
      batches[0]!.Records.map((r) => r.dynamodb?.SequenceNumber),
    );
    expect(poller.stats()).toMatchObject({ batches: 2, failedBatches: 1, delivered: 10, succeeded: 5 });
  });

  it('retries the whole batch when the handler throws, and picks up records written later', async () => {
    // Prepare
    const table = await createTable();
    await put(table.tableName, 'EX#x', 1);
    let calls = 0;
    const seen: number[][] = [];
    const handler: StreamHandler = async (event) => {
      seen.push(event.Records.map(nOf));
      calls++;
      if (calls === 1) throw new Error('transient');
      return { batchItemFailures: [] };
    };

    // Act
    const poller = await startPoller(sourceOf(table), handler);
    await poller.waitIdle(10_000);
    await put(table.tableName, 'EX#x', 2);
    await poller.waitIdle(10_000);

    // Assess
    expect(seen).toEqual([[1], [1], [2]]);
    expect(poller.stats()).toMatchObject({ errors: 1, batches: 3 });
  });

  it('resumes an expired iterator after the records it has read: a retried batch is not read twice', async () => {
    // Prepare: the read made while a failed batch waits for its window expires once.
    const table = await createTable();
    for (let n = 1; n <= 3; n++) await put(table.tableName, `EX#t${n}`, n);
    let armed = false;
    const client = new DynamoDBStreamsClient({ ...motoClientConfig(), maxAttempts: 1 });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (armed && context.commandName === 'GetRecordsCommand') {
          armed = false;
          throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: 'expireIteratorOnce' },
    );
    const seen: number[][] = [];
    const handler: StreamHandler = async (event) => {
      seen.push(event.Records.map(nOf));
      if (seen.length > 1) return { batchItemFailures: [] };
      armed = true;
      const second = event.Records.find((r) => nOf(r) === 2)!;
      return { batchItemFailures: [{ itemIdentifier: second.dynamodb!.SequenceNumber! }] };
    };
    const poller = new DynamoStreamPoller({
      client,
      source: sourceOf(table, { maximumBatchingWindowSeconds: 1 }),
      handler,
      pollIntervalMs: 50,
      retryDelayMs: 50,
    });
    pollers.push(poller);

    // Act
    await poller.start();
    await poller.waitIdle(10_000);
    await poller.stop();
    client.destroy();

    // Assess
    expect(armed).toBe(false);
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('starts at the end of the stream with LATEST', async () => {
    // Prepare
    const table = await createTable();
    await put(table.tableName, 'EX#old', 1);
    const seen: number[] = [];

    // Act
    const poller = await startPoller(sourceOf(table, { startingPosition: 'LATEST' }), async (event) => {
      seen.push(...event.Records.map(nOf));
      return { batchItemFailures: [] };
    });
    await put(table.tableName, 'EX#new', 2);
    await poller.waitIdle(10_000);

    // Assess
    expect(seen).toEqual([2]);
  });

  it('gathers within the batching window, and waitIdle takes the batch once the stream has no more', async () => {
    // Prepare: a batching window far longer than the wait allows (Lambda's maximum, 5 minutes)
    const table = await createTable();
    for (let n = 1; n <= 3; n++) await put(table.tableName, `EX#${n}`, n);
    const batches: number[][] = [];

    // Act
    const poller = await startPoller(
      sourceOf(table, { maximumBatchingWindowSeconds: 300 }),
      async (event) => {
        batches.push(event.Records.map(nOf));
        return { batchItemFailures: [] };
      },
    );
    await poller.waitIdle(10_000);

    // Assess: one batch of all three, handed over without waiting out the window
    expect(batches).toEqual([[1, 2, 3]]);
  });
});

/** A stream event under a tumbling window, as the poller builds it. */
type WindowEvent = DynamoDBStreamEvent & {
  state: { n?: number };
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
  window: { start: string; end: string };
  shardId: string;
};

/** A promise and its resolver: an explicit signal from the handler to the test. */
const signal = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('DynamoStreamPoller with a tumbling window', () => {
  // Windows of about 31 years: every record of a test run falls in the same one, whatever the time.
  const WINDOW_SECONDS = 1_000_000_000;

  it('carries the state across invocations and ends the window when the clock passes its end', async () => {
    // Prepare: a clock the test moves; three records, one per batch.
    const table = await createTable();
    for (let n = 1; n <= 3; n++) await put(table.tableName, `EX#w${n}`, n);
    let nowMs = 1_000 * 1_000_000_000; // The window's start.
    const seen: WindowEvent[] = [];
    const threeRecords = signal();
    const final = signal();
    const poller = new DynamoStreamPoller({
      client: streams,
      source: sourceOf(table, { batchSize: 1, tumblingWindowSeconds: WINDOW_SECONDS }),
      handler: async (event) => {
        const e = event as WindowEvent;
        seen.push(structuredClone(e));
        if (seen.flatMap((x) => x.Records).length === 3) threeRecords.resolve();
        if (e.isFinalInvokeForWindow) final.resolve();
        return { state: { n: (e.state.n ?? 0) + e.Records.length }, batchItemFailures: [] };
      },
      pollIntervalMs: 50,
      maxIdlePollMs: 100,
      now: () => nowMs,
    });
    pollers.push(poller);

    // Act
    await poller.start();
    await threeRecords.promise;
    const finalBeforeEnd = seen.some((e) => e.isFinalInvokeForWindow);
    nowMs = 2_000 * 1_000_000_000; // Past the window's end.
    await final.promise;

    // Assess
    expect(finalBeforeEnd).toBe(false);
    expect(seen.map((e) => [e.Records.map(nOf), e.state.n ?? 0, e.isFinalInvokeForWindow])).toEqual([
      [[1], 0, false],
      [[2], 1, false],
      [[3], 2, false],
      [[], 3, true],
    ]);
    expect(seen.at(-1)).toMatchObject({
      isWindowTerminatedEarly: false,
      window: { start: '2001-09-09T01:46:40.000Z', end: '2033-05-18T03:33:20.000Z' },
    });
    expect(seen.every((e) => e.shardId !== '' && e.shardId === seen[0]!.shardId)).toBe(true);
  });

  it('retries a failed invocation with the previous state, and the final one until it succeeds', async () => {
    // Prepare: the second batch fails once (thrown), then answers without a state once; the final
    // invocation fails once.
    const table = await createTable();
    for (let n = 1; n <= 2; n++) await put(table.tableName, `EX#r${n}`, n);
    const seen: [number[], number, boolean][] = [];
    let secondTries = 0;
    let finalTries = 0;
    const handler: StreamHandler = async (event) => {
      const e = event as WindowEvent;
      seen.push([e.Records.map(nOf), e.state.n ?? 0, e.isFinalInvokeForWindow]);
      if (e.Records.some((r) => nOf(r) === 2) && ++secondTries === 1) throw new Error('transient');
      if (e.Records.some((r) => nOf(r) === 2) && secondTries === 2) return { batchItemFailures: [] };
      if (e.isFinalInvokeForWindow && ++finalTries === 1) throw new Error('transient');
      return { state: { n: (e.state.n ?? 0) + e.Records.length }, batchItemFailures: [] };
    };
    const poller = new DynamoStreamPoller({
      client: streams,
      source: sourceOf(table, { batchSize: 1, tumblingWindowSeconds: WINDOW_SECONDS }),
      handler,
      pollIntervalMs: 50,
      maxIdlePollMs: 100,
      retryDelayMs: 10,
      now: () => 1_000 * 1_000_000_000,
    });
    pollers.push(poller);

    // Act: draining ends the open window early, so what was read is written.
    await poller.start();
    await poller.waitIdle(10_000);

    // Assess
    expect(seen).toEqual([
      [[1], 0, false],
      [[2], 1, false],
      [[2], 1, false],
      [[2], 1, false],
      [[], 2, true],
      [[], 2, true],
    ]);
    expect(poller.stats()).toMatchObject({ windows: 1, errors: 2, failedBatches: 3 });
  });
});
