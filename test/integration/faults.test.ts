import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../support/aws';
import { type FaultCall, FaultInjector, isInjectedFault } from '../support/faults';

/** The fault-injection middleware on real SDK clients against moto_server. */

const isPut = (call: FaultCall) => call.operation === 'PutItem';

describe('FaultInjector', () => {
  const table = uniqueName('faults');
  const plain = new DynamoDBClient(motoClientConfig());
  const put = (client: DynamoDBClient, id: string) =>
    client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: id } } }));
  const stored = async (id: string) =>
    (await plain.send(new GetItemCommand({ TableName: table, Key: { pk: { S: id } }, ConsistentRead: true })))
      .Item !== undefined;
  const outcomeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: Error & { code?: string }) => `${error.name}${error.code ? `/${error.code}` : ''}`,
    );

  beforeAll(async () => {
    await plain.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
  });

  it('fails a throttled, timed-out or reset write before it reaches DynamoDB', async () => {
    for (const kind of ['throttle', 'timeout', 'reset'] as const) {
      // Prepare
      const faults = new FaultInjector({ seed: 1, kinds: [kind], select: isPut });
      const client = faults.attach(new DynamoDBClient(motoClientConfig()));
      // Act
      const outcome = await outcomeOf(put(client, `before-${kind}`));
      // Assess
      expect(outcome).toBe(
        {
          throttle: 'ProvisionedThroughputExceededException',
          timeout: 'TimeoutError',
          reset: 'Error/ECONNRESET',
        }[kind],
      );
      expect(await stored(`before-${kind}`)).toBe(false);
      expect(faults.report()).toEqual([{ kind, step: 'PutItem', count: 1 }]);
    }
  });

  it('applies a write whose answer is lost, then fails the call', async () => {
    // Prepare
    const faults = new FaultInjector({ seed: 1, kinds: ['lostAnswer'], select: isPut });
    const client = faults.attach(new DynamoDBClient(motoClientConfig()));
    // Act
    const error = await put(client, 'lost').catch((e: unknown) => e);
    // Assess
    expect(isInjectedFault(error)).toBe(true);
    expect(await stored('lost')).toBe(true);
    expect(faults.injected('lostAnswer', 'PutItem')).toBe(1);
  });

  it('hits the same requests for the same seed whatever the order of the calls, and others for another seed', async () => {
    // Prepare
    const ids = Array.from({ length: 60 }, (_, i) => `d-${i}`);
    const failedWith = async (seed: number, order: readonly string[]) => {
      const faults = new FaultInjector({ seed, rate: 0.3, kinds: ['throttle'] });
      const client = faults.attach(new DynamoDBClient(motoClientConfig()));
      const outcomes = await Promise.all(order.map(async (id) => [id, await outcomeOf(put(client, id))]));
      return {
        failed: outcomes
          .filter(([, o]) => o !== 'ok')
          .map(([id]) => id)
          .sort(),
        faults,
      };
    };
    // Act
    const a = await failedWith(7, ids);
    const b = await failedWith(7, [...ids].reverse());
    const c = await failedWith(8, ids);
    // Assess
    expect(a.failed).toEqual(b.failed);
    expect(a.failed.length).toBeGreaterThan(5);
    expect(a.failed.length).toBeLessThan(35);
    expect(c.failed).not.toEqual(a.failed);
    expect(a.faults.injected()).toBe(a.failed.length);
    expect(a.faults.callsSeen).toBe(60);
  });

  it('draws again for a repeated request, so a retried call can succeed', async () => {
    // Prepare: only the first sending of each request fails
    const faults = new FaultInjector({ seed: 3, kinds: ['throttle'], select: (c) => c.repeat === 0 });
    const client = faults.attach(new DynamoDBClient(motoClientConfig()));
    // Act
    const first = await outcomeOf(put(client, 'again'));
    const second = await outcomeOf(put(client, 'again'));
    // Assess
    expect([first, second]).toEqual(['ProvisionedThroughputExceededException', 'ok']);
  });

  it('placed on the wire, lets the SDK retry a throttled call itself', async () => {
    // Prepare
    const faults = new FaultInjector({
      seed: 3,
      kinds: ['throttle'],
      select: (c) => isPut(c) && c.repeat === 0,
    });
    const client = faults.attach(new DynamoDBClient(motoClientConfig()), 'wire');
    // Act
    const outcome = await outcomeOf(put(client, 'wire'));
    // Assess
    expect(outcome).toBe('ok');
    expect(faults.injected('throttle', 'PutItem')).toBe(1);
  });

  it('counts per step as the plan names them, and passes everything through when disabled', async () => {
    // Prepare
    const faults = new FaultInjector({
      seed: 5,
      kinds: ['timeout'],
      select: isPut,
      stepOf: (c) => `put ${(c.input.Item as { pk: { S: string } }).pk.S.split('-')[0]}`,
    });
    const client = faults.attach(new DynamoDBClient(motoClientConfig()));
    // Act
    await outcomeOf(put(client, 'alpha-1'));
    await outcomeOf(put(client, 'alpha-2'));
    await outcomeOf(put(client, 'beta-1'));
    faults.enabled = false;
    const passed = await outcomeOf(put(client, 'gamma-1'));
    // Assess
    expect(faults.report()).toEqual([
      { kind: 'timeout', step: 'put alpha', count: 2 },
      { kind: 'timeout', step: 'put beta', count: 1 },
    ]);
    expect(passed).toBe('ok');
    expect(await stored('gamma-1')).toBe(true);
  });

  it('throttles SQS with ThrottlingException and loses the answer of a message that was sent', async () => {
    // Prepare
    const sqs = new SQSClient(motoClientConfig());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('faults') }));
    const depth = async () =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
          )
        ).Attributes?.ApproximateNumberOfMessages,
      );
    const send = (client: SQSClient, body: string) =>
      outcomeOf(client.send(new SendMessageCommand({ QueueUrl, MessageBody: body })));
    const throttled = new FaultInjector({
      seed: 1,
      kinds: ['throttle'],
      select: (c) => c.operation === 'SendMessage',
    });
    const lost = new FaultInjector({
      seed: 1,
      kinds: ['lostAnswer'],
      select: (c) => c.operation === 'SendMessage',
    });
    // Act
    const a = await send(throttled.attach(new SQSClient(motoClientConfig())), 'a');
    const afterThrottle = await depth();
    const b = await send(lost.attach(new SQSClient(motoClientConfig())), 'b');
    // Assess
    expect(a).toBe('ThrottlingException');
    expect(afterThrottle).toBe(0);
    expect(b).not.toBe('ok');
    expect(await depth()).toBe(1);
  });
});
