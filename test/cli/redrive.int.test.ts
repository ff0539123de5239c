import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RedriveResult, redrive } from '../../cli/ops/redrive';
import { motoClientConfig, uniqueName } from '../support/aws';
import { taskpulse } from './support/run';

/**
 * `redrive` on moto_server (which has no StartMessageMoveTask): messages put straight into a
 * dead-letter queue move to the events queue, found by flags (`--queue-url`, `--dlq-url`,
 * `--endpoint`), and none is lost when sends fail.
 */

const sqs = new SQSClient(motoClientConfig());
// Receives of this file short-poll: moto's short poll sees every message, so a move ends at its first
// empty answer instead of after the 1 s long poll redrive asks for (real SQS needs it). The CLI runs
// build their own client (cli/clients.ts), so the rewrite sits on every SQS client's `send` for the
// duration of this file; the long poll itself is not what these tests prove.
const send = SQSClient.prototype.send;
let shortPolls: { mockRestore(): void } | undefined;
beforeAll(() => {
  shortPolls = vi.spyOn(SQSClient.prototype, 'send').mockImplementation(function (
    this: SQSClient,
    ...args: Parameters<SQSClient['send']>
  ) {
    const [command] = args;
    if (command instanceof ReceiveMessageCommand) command.input.WaitTimeSeconds = 0;
    return send.apply(this, args);
  } as SQSClient['send']);
});
afterAll(() => {
  // Only this spy: integration files share modules (isolate: false), so SQSClient is theirs too.
  shortPolls?.mockRestore();
});
const aws = motoClientConfig();
/** What a shell with credentials for the emulator would have. */
const env = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: aws.region,
};

let eventsUrl: string;
let dlqUrl: string;

const createQueue = async (prefix: string) =>
  (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }))).QueueUrl!;

const fillDlq = async (count: number): Promise<string[]> => {
  const bodies = Array.from({ length: count }, (_, i) => JSON.stringify({ n: i, taskId: `dead-${i}` }));
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlqUrl,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({
          Id: String(j),
          MessageBody: body,
          ...(i + j === 0 && {
            MessageAttributes: { origin: { DataType: 'String', StringValue: 'replay' } },
          }),
        })),
      }),
    );
  }
  return bodies;
};

/** Take every message of a queue (visible now): bodies, and the attributes of each. */
const drain = async (url: string) => {
  const out: { body: string; attributes: Record<string, unknown> }[] = [];
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    if ((res.Messages ?? []).length === 0) return out;
    for (const m of res.Messages!) {
      out.push({ body: m.Body!, attributes: m.MessageAttributes ?? {} });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
};

beforeEach(async () => {
  eventsUrl = await createQueue('events');
  dlqUrl = await createQueue('dlq');
});

describe('redrive', () => {
  it('moves every message from the DLQ to the events queue, with its attributes', async () => {
    const bodies = await fillDlq(25);

    const result = await taskpulse(
      ['redrive', '--queue-url', eventsUrl, '--dlq-url', dlqUrl, '--endpoint', aws.endpoint, '--json'],
      { env },
    );

    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toEqual({
      from: dlqUrl,
      to: eventsUrl,
      moved: 25,
      failed: 0,
      duplicated: 0,
      before: 25,
      remaining: 0,
      errors: {},
    });
    const moved = await drain(eventsUrl);
    expect(moved.map((m) => m.body).sort()).toEqual([...bodies].sort());
    expect(moved.find((m) => m.body === bodies[0])?.attributes).toEqual({
      origin: { DataType: 'String', StringValue: 'replay' },
    });
    expect(await drain(dlqUrl)).toEqual([]);
  });

  it('shows a progress bar on a terminal and a count', async () => {
    await fillDlq(12);

    const result = await taskpulse(
      ['redrive', '--queue-url', eventsUrl, '--dlq-url', dlqUrl, '--endpoint', aws.endpoint],
      { env, stderrTTY: true },
    );

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('redrive [████████████████████████] 100% 12/12');
    expect(result.stdout).toContain(`moved 12 messages from ${dlqUrl}`);
    expect(result.stdout).toContain('about 0 left in the dead-letter queue');
  });

  it('moves at most --max', async () => {
    await fillDlq(15);

    const result = await taskpulse(
      [
        'redrive',
        '--queue-url',
        eventsUrl,
        '--dlq-url',
        dlqUrl,
        '--endpoint',
        aws.endpoint,
        '--max',
        '7',
        '--json',
      ],
      { env },
    );

    expect(result.json()).toMatchObject({ moved: 7, failed: 0 });
    expect(await drain(eventsUrl)).toHaveLength(7);
  });

  it('says so when the DLQ is empty', async () => {
    const result = await taskpulse(
      ['redrive', '--queue-url', eventsUrl, '--dlq-url', dlqUrl, '--endpoint', aws.endpoint],
      {
        env,
      },
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`the dead-letter queue is empty: nothing to move (${dlqUrl})\n`);
  });

  /**
   * SQS as seen through a client that refuses every third entry of each send batch. With
   * `reappearAtOnce`, a refused message is visible in the DLQ again straight away, as it is when the
   * move takes longer than the visibility timeout (a slow network, a big DLQ, a loaded machine).
   */
  const refusingEveryThird = (options: { reappearAtOnce: boolean }): SQSClient => {
    const receipts = new Map<string, string>();
    return {
      send: async (command: unknown) => {
        if (command instanceof SendMessageBatchCommand) {
          const entries = command.input.Entries ?? [];
          const refused = entries.filter((_, i) => i % 3 === 0);
          const accepted = entries.filter((_, i) => i % 3 !== 0);
          const res =
            accepted.length === 0
              ? { Successful: [] }
              : await sqs.send(new SendMessageBatchCommand({ ...command.input, Entries: accepted }));
          if (options.reappearAtOnce) {
            for (const e of refused) {
              await sqs.send(
                new ChangeMessageVisibilityCommand({
                  QueueUrl: dlqUrl,
                  ReceiptHandle: receipts.get(e.MessageBody!)!,
                  VisibilityTimeout: 0,
                }),
              );
            }
          }
          return {
            ...res,
            Failed: refused.map((e) => ({
              Id: e.Id!,
              SenderFault: false,
              Code: 'InternalError',
              Message: 'injected',
            })),
          };
        }
        const res = await sqs.send(command as SendMessageCommand);
        if (command instanceof ReceiveMessageCommand) {
          for (const m of (res as ReceiveMessageCommandOutput).Messages ?? [])
            receipts.set(m.Body!, m.ReceiptHandle!);
        }
        return res;
      },
    } as unknown as SQSClient;
  };

  /**
   * Every message counted once and found once: moved ones in the events queue, failed ones back in the
   * DLQ and visible at once (no waiting for a visibility timeout: the move hands back what it could
   * not send).
   */
  const expectEachMessageOnce = async (result: RedriveResult, bodies: readonly string[]) => {
    expect(result.moved + result.failed).toBe(bodies.length);
    const inEvents = (await drain(eventsUrl)).map((m) => m.body);
    const inDlq = (await drain(dlqUrl)).map((m) => m.body);
    expect(inEvents).toHaveLength(result.moved);
    expect(inDlq).toHaveLength(result.failed);
    expect([...inEvents, ...inDlq].sort()).toEqual([...bodies].sort());
  };

  it('loses nothing when some sends fail: they stay in the DLQ, visible, the rest move once', async () => {
    const bodies = await fillDlq(30);

    const result = await redrive({
      sqs: refusingEveryThird({ reappearAtOnce: false }),
      fromUrl: dlqUrl,
      toUrl: eventsUrl,
    });

    expect(result.failed).toBeGreaterThan(0);
    expect(result.errors).toEqual({ InternalError: result.failed });
    await expectEachMessageOnce(result, bodies);
  });

  it('counts each message once when a refused one reappears in the DLQ before the move ends', async () => {
    const bodies = await fillDlq(30);

    const result = await redrive({
      sqs: refusingEveryThird({ reappearAtOnce: true }),
      fromUrl: dlqUrl,
      toUrl: eventsUrl,
    });

    expect(result.duplicated).toBe(0);
    await expectEachMessageOnce(result, bodies);
  });

  it('does not move again a message this run sent that came back to the DLQ', async () => {
    await fillDlq(3);
    // The "events queue" here is the DLQ itself: everything sent comes straight back.
    const result = await redrive({ sqs, fromUrl: dlqUrl, toUrl: dlqUrl, visibilityTimeoutSeconds: 1 });

    expect(result).toMatchObject({ moved: 3, failed: 0 });
    expect(await drain(dlqUrl)).toHaveLength(3);
  });

  it('exits 1 naming the error when sending fails', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: '{}' }));

    const result = await taskpulse(
      ['redrive', '--queue-url', `${eventsUrl}-missing`, '--dlq-url', dlqUrl, '--endpoint', aws.endpoint],
      { env },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^taskpulse: not found: /);
  });
});
