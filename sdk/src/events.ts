import { randomUUID } from 'node:crypto';
import { CONTRACT_VERSION, type TaskEvent, validateTaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import type { SizedEntry } from './batching';
import { TaskpulseValidationError } from './errors';

/**
 * What a caller passes to `emit`: a contract event whose bookkeeping fields may be left out.
 * `version`, `eventId` (a UUID), `occurredAt` (now), `attempt` (1) and `source` (the client's) are
 * filled in.
 */
export type EventInput = Omit<TaskEvent, 'version' | 'eventId' | 'occurredAt' | 'attempt' | 'source'> & {
  /** @default a new UUID */
  readonly eventId?: string;
  /** @default now */
  readonly occurredAt?: string | Date;
  /** @default 1 */
  readonly attempt?: number;
  /** @default the client's `source` */
  readonly source?: string;
};

/** One serialized event waiting to be sent. */
export interface OutgoingMessage extends SizedEntry {
  readonly eventId: string;
  /** The JSON message body. */
  readonly body: string;
}

/** Fill the bookkeeping fields of an event; the result still has to be validated. */
export const completeEvent = (
  input: EventInput,
  defaults: { readonly source: string },
  nowMs: number,
  newId: () => string = randomUUID,
): Record<string, unknown> => {
  const { eventId, occurredAt, attempt, source, ...rest } = input;
  return {
    version: CONTRACT_VERSION,
    eventId: eventId ?? newId(),
    ...rest,
    occurredAt:
      occurredAt === undefined
        ? new Date(nowMs).toISOString()
        : occurredAt instanceof Date
          ? occurredAt.toISOString()
          : occurredAt,
    attempt: attempt ?? 1,
    source: source ?? defaults.source,
  };
};

/**
 * Validate a completed event against the contract (the same checks the ingest Lambda runs, including
 * the whole-message size) and serialize it. Throws `TaskpulseValidationError` with the reason.
 */
export const toMessage = (
  candidate: unknown,
  nowMs: number,
): { event: TaskEvent; message: OutgoingMessage } => {
  const result = validateTaskEvent(candidate, nowMs);
  if (!result.ok) throw new TaskpulseValidationError(result.rejection);
  const body = JSON.stringify(result.event);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > EVENT_LIMITS.maxEventBytes) {
    throw new TaskpulseValidationError({
      code: 'oversize',
      reason: `event is ${bytes} bytes as JSON; the limit is ${EVENT_LIMITS.maxEventBytes}`,
    });
  }
  return { event: result.event, message: { eventId: result.event.eventId, body, bytes } };
};
