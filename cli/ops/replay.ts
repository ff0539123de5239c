import { randomUUID } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseTaskEvent } from '../../lambdas/shared/contract/event';
import type { QuarantineItemWithBody } from '../../lambdas/shared/queries/quarantine';
import { planBatches } from '../../sdk/src/batching';
import { sendBatch } from './redrive';

/**
 * `quarantine replay`: send quarantined messages (or an edited body) back through the events queue,
 * where the ingest parses them as any other message. Planning is pure: each selected item gets a body
 * and an action, checked against the event contract as the ingest would check it now, so a dry run
 * shows what would be accepted before anything is sent.
 */

/** Why an item is not sent. */
const SKIP_REASON = {
  /** The stored body was cut by the ingest; only an edited body can be sent. */
  truncated: 'truncated',
  /** The body still breaks the contract (sent only with `force`). */
  invalid: 'invalid',
  /** Already replayed, and the item was selected by a filter (not by its id). */
  replayed: 'replayed',
} as const;

export type SkipReason = (typeof SKIP_REASON)[keyof typeof SKIP_REASON];

/** What replay does with one item. */
export interface ReplayStep {
  readonly item: QuarantineItemWithBody;
  /** The body that would be sent. */
  readonly body: string;
  /** True when the body is an edited one rather than the stored one. */
  readonly edited: boolean;
  /** The ingest's verdict on the body now: null when accepted, else the rejection. */
  readonly rejection: { readonly code: string; readonly reason: string } | null;
  /** Send it, or skip it and why. */
  readonly action: 'send' | SkipReason;
}

interface ReplayPlanOptions {
  readonly nowMs: number;
  /** A body to send instead of the stored one (only with one item). */
  readonly body?: string;
  /** Send bodies that still break the contract (they are quarantined again). @default false */
  readonly force?: boolean;
  /** Send items replayed before even when selected by a filter. @default false */
  readonly again?: boolean;
  /** True when the items were named by id (then earlier replays do not matter). */
  readonly byId: boolean;
}

/** Decide what to send. Pure (the clock is passed in). */
export const planReplay = (
  items: readonly QuarantineItemWithBody[],
  options: ReplayPlanOptions,
): ReplayStep[] =>
  items.map((item) => {
    const edited = options.body !== undefined;
    const body = options.body ?? item.body;
    const parsed = parseTaskEvent(body, options.nowMs);
    const rejection = parsed.ok ? null : parsed.rejection;
    let action: ReplayStep['action'] = 'send';
    if (!options.byId && item.replayedAt !== null && options.again !== true) action = SKIP_REASON.replayed;
    else if (item.truncated && !edited) action = SKIP_REASON.truncated;
    else if (rejection !== null && options.force !== true) action = SKIP_REASON.invalid;
    return { item, body, edited, rejection, action };
  });

/** What happened to one sent step. */
interface ReplaySent {
  readonly step: ReplayStep;
  /** The new SQS message id. */
  readonly messageId: string;
}

interface ReplayResult {
  readonly sent: readonly ReplaySent[];
  /** Steps SQS did not accept, still only in the quarantine. */
  readonly failed: readonly ReplayStep[];
  /** Send errors by code, e.g. `{ "AccessDenied": 3 }`. */
  readonly errors: Readonly<Record<string, number>>;
}

/** Send the steps whose action is `send`, in SQS batches; `onSent` runs after each accepted batch. */
export const sendReplay = async (
  sqs: Pick<SQSClient, 'send'>,
  queueUrl: string,
  steps: readonly ReplayStep[],
  onSent: (sent: readonly ReplaySent[]) => Promise<void>,
): Promise<ReplayResult> => {
  const toSend = steps
    .filter((s) => s.action === 'send')
    .map((step) => ({ step, bytes: Buffer.byteLength(step.body, 'utf8') }));
  const sent: ReplaySent[] = [];
  const failed: ReplayStep[] = [];
  const errors: Record<string, number> = {};
  for (const batch of planBatches(toSend)) {
    const entries = batch.map(({ step }, j) => ({
      id: String(j),
      message: { Body: step.body, MessageId: randomUUID() },
      step,
    }));
    const accepted = new Map(
      (await sendBatch(sqs, queueUrl, entries, errors)).map((a) => [a.message, a.newMessageId]),
    );
    const batchSent: ReplaySent[] = [];
    for (const e of entries) {
      const messageId = accepted.get(e.message);
      if (messageId === undefined) failed.push(e.step);
      else batchSent.push({ step: e.step, messageId });
    }
    sent.push(...batchSent);
    if (batchSent.length > 0) await onSent(batchSent);
  }
  return { sent, failed, errors };
};
