import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SqsSender } from '../../sdk/src/options';
import { motoClientConfig, uniqueName } from '../support/aws';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A fresh queue on moto_server, a client that counts its `SendMessageBatch` requests on the wire, and
 * consumers that receive and delete in the background from the start.
 *
 * Why consume while sending: moto scans the whole queue for every message it stores or hands out, so a
 * queue of 2,000 messages makes it quadratically slow; kept short, it stays fast.
 */
export const createTestQueue = async (consumers = 3) => {
  const sqs = new SQSClient(motoClientConfig());
  const wire = { sendMessageBatchRequests: 0 };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === SendMessageBatchCommand.name) wire.sendMessageBatchRequests++;
      return next(args);
    },
    { step: 'initialize', name: 'countSendMessageBatch' },
  );
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: uniqueName('sdk-events'), Attributes: { VisibilityTimeout: '600' } }),
  );
  const queueUrl = QueueUrl!;
  const bodies = new Map<string, string>();
  let accepted = 0;
  let stopped = false;

  const consume = async () => {
    while (!stopped) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      // Short polls (moto's sees every message), 50 ms apart while empty: stopping does not wait out a
      // long poll.
      if (Messages.length === 0) {
        await sleep(50);
        continue;
      }
      for (const m of Messages) bodies.set(m.MessageId!, m.Body!);
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  };
  const consuming = Promise.allSettled(Array.from({ length: consumers }, consume));

  const stop = async () => {
    stopped = true;
    const failure = (await consuming).find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  };

  return {
    sqs,
    queueUrl,
    wire,
    /**
     * `inner` (the counting client by default), holding each request while more than `maxBacklog`
     * accepted messages wait for the consumers: a slow SQS, as far as the SDK can tell.
     */
    paced(inner: SqsSender = sqs, maxBacklog = 40): SqsSender {
      return {
        async send(command) {
          while (accepted - bodies.size > maxBacklog) await sleep(5);
          const output = await inner.send(command);
          accepted += output.Successful?.length ?? 0;
          return output;
        },
      };
    },
    /**
     * The distinct bodies received, once `expected` arrived; stops consuming. No deadline of its own:
     * on a loaded machine moto is slow, and only the test's timeout should say "too slow".
     */
    async collect(expected: number): Promise<string[]> {
      while (bodies.size < expected) await sleep(20);
      await stop();
      return [...bodies.values()];
    },
    async destroy() {
      await stop().catch(() => {});
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      sqs.destroy();
    },
  };
};

/** What moto answered, adjusted to claim the failed entries (`Id`s) failed with an SQS-side fault. */
export const withInjectedFailures = (
  output: SendMessageBatchCommandOutput,
  failedIds: readonly string[],
): SendMessageBatchCommandOutput => ({
  ...output,
  Failed: [
    ...(output.Failed ?? []),
    ...failedIds.map((Id) => ({ Id, SenderFault: false, Code: 'InternalError', Message: 'injected' })),
  ],
});
