import type {
  SendMessageBatchCommand,
  SendMessageBatchCommandOutput,
  SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import type { SqsSender } from '../../sdk/src/options';

/** Decides what one request returns (or throws); `call` counts from 1. */
export type Respond = (
  entries: readonly SendMessageBatchRequestEntry[],
  call: number,
) => SendMessageBatchCommandOutput | Promise<SendMessageBatchCommandOutput>;

/** A `SendMessageBatch` response accepting the given entries, failing the rest as listed. */
export const batchOutput = (
  entries: readonly SendMessageBatchRequestEntry[],
  failed: readonly { id: string; senderFault: boolean; code?: string }[] = [],
): SendMessageBatchCommandOutput => ({
  $metadata: { httpStatusCode: 200 },
  Successful: entries
    .filter((e) => !failed.some((f) => f.id === e.Id))
    .map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
  Failed: failed.map((f) => ({
    Id: f.id,
    SenderFault: f.senderFault,
    Code: f.code ?? (f.senderFault ? 'InvalidMessageContents' : 'InternalError'),
    Message: 'injected',
  })),
});

/** An in-memory SQS that records every request and keeps the bodies it accepted. */
export class FakeSqs implements SqsSender {
  /** Bodies of every request, in call order (accepted or not). */
  readonly requests: string[][] = [];
  /** Bodies SQS accepted. */
  readonly accepted: string[] = [];

  constructor(private readonly respond: Respond = (entries) => batchOutput(entries)) {}

  async send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput> {
    const entries = command.input.Entries ?? [];
    this.requests.push(entries.map((e) => e.MessageBody ?? ''));
    const output = await this.respond(entries, this.requests.length);
    const ok = new Set((output.Successful ?? []).map((s) => s.Id));
    this.accepted.push(...entries.filter((e) => ok.has(e.Id)).map((e) => e.MessageBody ?? ''));
    return output;
  }

  /** The accepted events, decoded. */
  events(): TaskEvent[] {
    return this.accepted.map((body) => JSON.parse(body) as TaskEvent);
  }
}

/** A promise plus its resolver, to hold requests open. */
export const gate = (): { promise: Promise<void>; open: () => void } => {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
};
