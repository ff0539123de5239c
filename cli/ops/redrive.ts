import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * `redrive`: move messages from the dead-letter queue back to the events queue. SQS has
 * StartMessageMoveTask for this, but emulators (moto) lack it and it cannot report per-message
 * outcomes, so the CLI moves messages itself, and never loses one:
 *
 * 1. receive up to 10 from the DLQ (they stay there, invisible for `visibilityTimeoutSeconds`);
 * 2. send them to the events queue (body and message attributes unchanged);
 * 3. delete from the DLQ only the ones SQS confirmed as sent.
 *
 * A message whose send fails stays in the DLQ and is made visible again when the move ends. A crash
 * between 2 and 3, or a failed delete, leaves a message in both queues: it is delivered twice, which the
 * pipeline absorbs (events are idempotent by `eventId`). No message is sent twice in one run: neither
 * one whose send failed nor one this run sent that came back to the DLQ (it failed again).
 */

interface RedriveOptions {
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly fromUrl: string;
  readonly toUrl: string;
  /** Move at most this many. @default all */
  readonly max?: number;
  /** How long received messages stay invisible while being moved. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Long-poll wait of each receive, seconds (at least 1: a long poll asks every SQS server, so an empty
   * answer means the queue has no visible message left and the move ends). @default 1
   */
  readonly waitSeconds?: number;
  /** Called once with the approximate number of messages in the DLQ, before the first move. */
  readonly onStart?: (before: number) => void;
  /** Called after each batch. */
  readonly onProgress?: (progress: RedriveProgress) => void;
  /** Stops after the batch in hand. */
  readonly signal?: AbortSignal;
}

interface RedriveProgress {
  /** Sent to the events queue and deleted from the DLQ. */
  readonly moved: number;
  /** Could not be sent: still in the DLQ. */
  readonly failed: number;
  /** Sent but not deleted from the DLQ: will be delivered twice (harmless). */
  readonly duplicated: number;
}

export interface RedriveResult extends RedriveProgress {
  /** Messages in the DLQ before the move (approximate, as SQS counts). */
  readonly before: number;
  /** Approximate messages left in the DLQ (visible and in flight) after the move. */
  readonly remaining: number;
  /** Send errors by code, e.g. `{ "AccessDenied": 3 }`. */
  readonly errors: Readonly<Record<string, number>>;
}

/** Approximate number of messages in a queue (visible + in flight + delayed). */
export const approximateCount = async (sqs: Pick<SQSClient, 'send'>, queueUrl: string): Promise<number> => {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = res.Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
};

/**
 * Move messages from `fromUrl` to `toUrl`: send first, delete after. Each DLQ message is handled at
 * most once per run: one whose send failed, or that this run sent and that came back, may become
 * visible again while the move goes on (when it outlasts the visibility timeout); it is then held,
 * not sent again or counted twice. The move ends when a receive brings no message it has not handled;
 * everything it held is made visible again before it returns.
 */
export const redrive = async (options: RedriveOptions): Promise<RedriveResult> => {
  const { sqs, fromUrl, toUrl } = options;
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const before = await approximateCount(sqs, fromUrl);
  options.onStart?.(before);
  // DLQ message ids this run received and tried to send, and the ids of the copies it sent.
  const handled = new Set<string>();
  // Messages this run received that are still in the DLQ, by id, with the newest receipt handle.
  const held = new Map<string, Message>();
  const errors: Record<string, number> = {};
  const progress = { moved: 0, failed: 0, duplicated: 0 };
  let empty = false;

  try {
    while (progress.moved + progress.failed < max && !empty && options.signal?.aborted !== true) {
      const want = Math.min(10, max - progress.moved - progress.failed);
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: fromUrl,
          MaxNumberOfMessages: want,
          WaitTimeSeconds: Math.max(1, options.waitSeconds ?? 1),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages: Message[] = [];
      for (const m of received.Messages ?? []) {
        const id = m.MessageId ?? '';
        held.set(id, m);
        if (!handled.has(id)) messages.push(m);
      }
      if (messages.length === 0) {
        empty = true;
        continue;
      }
      for (const m of messages) handled.add(m.MessageId ?? '');
      const entries = messages.map((m, i) => ({ id: String(i), message: m }));
      const sent = await sendBatch(sqs, toUrl, entries, errors);
      progress.failed += entries.length - sent.length;
      for (const s of sent) handled.add(s.newMessageId);
      const deleted = await deleteBatch(
        sqs,
        fromUrl,
        sent.map((s) => s.message),
      );
      for (const m of deleted) held.delete(m.MessageId ?? '');
      progress.moved += deleted.length;
      progress.duplicated += sent.length - deleted.length;
      options.onProgress?.({ ...progress });
    }
  } finally {
    await release(sqs, fromUrl, [...held.values()]);
  }
  return { ...progress, before, remaining: await approximateCount(sqs, fromUrl), errors };
};

/**
 * Send a batch (body and message attributes of each message); returns the entries SQS accepted (with
 * their new ids) and counts rejected ones in `errors` by code. Throws only for a request SQS refused
 * as a whole (no permission, no queue); a request that got no answer counts all its entries as failed.
 */
export const sendBatch = async (
  sqs: Pick<SQSClient, 'send'>,
  toUrl: string,
  entries: readonly { id: string; message: Message }[],
  errors: Record<string, number>,
): Promise<{ message: Message; newMessageId: string }[]> => {
  try {
    const res = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: entries.map(({ id, message }) => ({
          Id: id,
          MessageBody: message.Body ?? '',
          ...(message.MessageAttributes !== undefined &&
            Object.keys(message.MessageAttributes).length > 0 && {
              MessageAttributes: message.MessageAttributes,
            }),
        })),
      }),
    );
    for (const f of res.Failed ?? []) errors[f.Code ?? 'Unknown'] = (errors[f.Code ?? 'Unknown'] ?? 0) + 1;
    const byId = new Map(entries.map((e) => [e.id, e.message]));
    return (res.Successful ?? [])
      .filter((s) => s.Id !== undefined && byId.has(s.Id))
      .map((s) => ({ message: byId.get(s.Id!)!, newMessageId: s.MessageId ?? '' }));
  } catch (error) {
    const code = (error as { name?: string }).name ?? 'Error';
    errors[code] = (errors[code] ?? 0) + entries.length;
    // Nothing was confirmed: nothing is deleted. A request error SQS would fail the same way again
    // (no permission, no queue) stops the move; the messages become visible in the DLQ again.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined)
      throw error;
    return [];
  }
};

/** Make received messages visible again at once (best effort: they reappear after the timeout anyway). */
const release = async (
  sqs: Pick<SQSClient, 'send'>,
  url: string,
  messages: readonly Message[],
): Promise<void> => {
  for (let i = 0; i < messages.length; i += 10) {
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: messages.slice(i, i + 10).map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined);
  }
};

/** Delete received messages; returns the ones deleted. */
const deleteBatch = async (
  sqs: Pick<SQSClient, 'send'>,
  fromUrl: string,
  messages: readonly Message[],
): Promise<Message[]> => {
  if (messages.length === 0) return [];
  try {
    const res = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: fromUrl,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    return (res.Successful ?? []).flatMap((s) => {
      const m = messages[Number(s.Id)];
      return m === undefined ? [] : [m];
    });
  } catch {
    return [];
  }
};
