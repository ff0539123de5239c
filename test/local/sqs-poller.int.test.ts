import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { failedMessageIds, SqsEventSourcePoller, type SqsHandler } from '../../local/sqs-poller';
import type { SqsEventSource } from '../../local/stack-types';
import { motoClientConfig, uniqueName } from '../support/aws';

const sqs = new SQSClient(motoClientConfig());
const pollers: SqsEventSourcePoller[] = [];

afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
});
afterAll(() => sqs.destroy());

/** A queue with a dead-letter queue after `maxReceiveCount` receives, as the template defines it. */
const createQueues = async (maxReceiveCount = 3) => {
  const name = uniqueName('poller');
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '180',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  const queueArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl!, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  return { queueUrl: queue.QueueUrl!, queueArn, dlqUrl: dlq.QueueUrl! };
};

const sourceOf = (
  queue: { queueUrl: string; queueArn: string },
  overrides: Partial<SqsEventSource> = {},
): SqsEventSource => ({
  kind: 'sqs',
  batchSize: 10,
  maximumBatchingWindowSeconds: 0,
  reportBatchItemFailures: true,
  filters: [],
  ...queue,
  ...overrides,
});

const sendBodies = async (queueUrl: string, bodies: readonly string[]) => {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
  }
};

const depthOf = async (queueUrl: string): Promise<number> => {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
};

/** A handler that records what it saw and fails the records `fail` picks. */
const recordingHandler = (fail: (record: SQSRecord) => boolean) => {
  const seen: SQSRecord[] = [];
  const batches: SQSEvent[] = [];
  const handler: SqsHandler = async (event) => {
    batches.push(event);
    seen.push(...event.Records);
    return {
      batchItemFailures: event.Records.filter(fail).map((r) => ({ itemIdentifier: r.messageId })),
    };
  };
  return { handler, seen, batches };
};

const startPoller = (source: SqsEventSource, handler: SqsHandler) => {
  // Short polls: a failure made visible again comes back at once (moto's long poll would sleep
  // through it) and stop() does not wait out a long poll.
  const poller = new SqsEventSourcePoller({
    client: sqs,
    source,
    handler,
    retryVisibilitySeconds: 0,
    waitTimeSeconds: 0,
  });
  pollers.push(poller);
  poller.start();
  return poller;
};

describe('failedMessageIds', () => {
  it('returns the reported failures only with ReportBatchItemFailures', () => {
    const response = { batchItemFailures: [{ itemIdentifier: 'b' }] };
    expect([...failedMessageIds(['a', 'b'], response, true)]).toEqual(['b']);
    expect([...failedMessageIds(['a', 'b'], response, false)]).toEqual([]);
    expect([...failedMessageIds(['a', 'b'], undefined, true)]).toEqual([]);
  });

  it('fails the whole batch when an identifier is empty or unknown, as Lambda does', () => {
    expect([...failedMessageIds(['a', 'b'], { batchItemFailures: [{ itemIdentifier: 'x' }] }, true)]).toEqual(
      ['a', 'b'],
    );
    expect([...failedMessageIds(['a', 'b'], { batchItemFailures: [{ itemIdentifier: '' }] }, true)]).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('SqsEventSourcePoller', () => {
  let queue: Awaited<ReturnType<typeof createQueues>>;
  beforeAll(async () => {
    queue = await createQueues();
  });

  it('builds real-shaped SQS records with system attributes (message attributes are not read by the stack)', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueues();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"hello":"world"}',
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
      }),
    );
    const { handler, seen } = recordingHandler(() => false);

    // Act
    const poller = startPoller(sourceOf({ queueUrl, queueArn }), handler);
    await poller.waitIdle(10_000);

    // Assess
    expect(seen).toHaveLength(1);
    const record = seen[0]!;
    expect(record).toMatchObject({
      body: '{"hello":"world"}',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
    });
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(record.receiptHandle).toBeTruthy();
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deletes successes, redelivers only the failures and counts both', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueues();
    await sendBodies(queueUrl, ['ok-1', 'ok-2', 'flaky', 'ok-3', 'ok-4']);
    const failedOnce = new Set<string>();
    const { handler, seen } = recordingHandler((r) => {
      if (r.body !== 'flaky' || failedOnce.has(r.messageId)) return false;
      failedOnce.add(r.messageId);
      return true;
    });

    // Act
    const poller = startPoller(sourceOf({ queueUrl, queueArn }), handler);
    await poller.waitIdle(15_000);

    // Assess
    const deliveries = (body: string) => seen.filter((r) => r.body === body);
    expect(deliveries('ok-1')).toHaveLength(1);
    expect(deliveries('flaky').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(poller.stats()).toMatchObject({ received: 6, deleted: 5, failed: 1, errors: 0 });
    expect(await depthOf(queueUrl)).toBe(0);
  });

  it('moves a message that fails every time to the DLQ after maxReceiveCount receives', async () => {
    // Prepare
    await sendBodies(queue.queueUrl, ['poison', 'fine']);
    const { handler, seen } = recordingHandler((r) => r.body === 'poison');

    // Act
    const poller = startPoller(sourceOf(queue), handler);
    await poller.waitIdle(20_000);

    // Assess
    expect(seen.filter((r) => r.body === 'poison')).toHaveLength(3);
    expect(seen.filter((r) => r.body === 'fine')).toHaveLength(1);
    expect(await depthOf(queue.queueUrl)).toBe(0);
    const dlq = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(dlq.Messages?.map((m) => m.Body)).toEqual(['poison']);
  });

  it('deletes nothing when the handler throws', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueues();
    await sendBodies(queueUrl, ['a', 'b', 'c']);
    let calls = 0;
    const handler: SqsHandler = async () => {
      calls++;
      if (calls === 1) throw new Error('cold start failed');
      return { batchItemFailures: [] };
    };

    // Act
    const poller = startPoller(
      sourceOf({ queueUrl, queueArn }, { batchSize: 3, maximumBatchingWindowSeconds: 1 }),
      handler,
    );
    await poller.waitIdle(15_000);

    // Assess
    expect(poller.stats()).toMatchObject({ errors: 1, failed: 3, deleted: 3, received: 6 });
    expect(await depthOf(queueUrl)).toBe(0);
  });

  it('gathers within the batching window, and waitIdle takes the batch once the queue has no more', async () => {
    // Prepare: a batching window far longer than the wait allows (Lambda's maximum, 5 minutes)
    const { queueUrl, queueArn } = await createQueues();
    await sendBodies(queueUrl, ['a', 'b', 'c']);
    const { handler, batches } = recordingHandler(() => false);

    // Act
    const poller = startPoller(
      sourceOf({ queueUrl, queueArn }, { maximumBatchingWindowSeconds: 300 }),
      handler,
    );
    await poller.waitIdle(10_000);

    // Assess: one batch of all three, handed over without waiting out the window
    expect(batches.map((b) => b.Records.map((r) => r.body).sort())).toEqual([['a', 'b', 'c']]);
    expect(await depthOf(queueUrl)).toBe(0);
  });

  it('gathers batches up to the batch size within the window and respects MaximumConcurrency', async () => {
    // Prepare
    const { queueUrl, queueArn } = await createQueues();
    await sendBodies(
      queueUrl,
      Array.from({ length: 30 }, (_, i) => `m-${i}`),
    );
    let running = 0;
    let maxRunning = 0;
    const sizes: number[] = [];
    const handler: SqsHandler = async (event) => {
      sizes.push(event.Records.length);
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Hold the batch until a second one runs beside it (or every message has been handed over), so
      // the bound is exercised however slowly the machine gathers batches; no time limit: a poller
      // that never runs two batches at once fails by the test timeout.
      const handed = () => sizes.reduce((a, b) => a + b, 0);
      while (running < 2 && handed() < 30) await new Promise((r) => setTimeout(r, 20));
      // A moment more, in which a poller that ignored the bound would start a third batch.
      await new Promise((r) => setTimeout(r, 100));
      running--;
      return { batchItemFailures: [] };
    };

    // Act
    const poller = startPoller(
      sourceOf(
        { queueUrl, queueArn },
        { batchSize: 7, maximumBatchingWindowSeconds: 1, maximumConcurrency: 2 },
      ),
      handler,
    );
    await poller.waitIdle(30_000);

    // Assess
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
    expect(sizes.filter((s) => s === 7).length).toBeGreaterThanOrEqual(3);
    expect(maxRunning).toBe(2);
  });
});
