import { createHash } from 'node:crypto';
import { type Execution, mergeEvents, orderKeyOf, toEventRecord } from '../domain/execution';
import { isRetryableAwsError } from '../shared/aws/retryable';
import { parseTaskEvent, type Rejection, type TaskEvent } from '../shared/contract/event';
import { VersionConflictError } from '../shared/errors';
import { quarantineKey } from '../shared/names/keys';
import type { HistoryStore, QuarantineRecord, StoredExecution } from '../shared/store/history-store';

/**
 * The ingest use case: turn one SQS batch into durable execution writes and quarantine records, and
 * say which messages must be delivered again. It is written by hand rather than with Powertools'
 * BatchProcessor because it groups the batch by `taskId` first: all events of one task in a batch
 * become one conditional write, which is the main lever on write units per event.
 */

/** One message as the ingest path sees it. */
interface IngestRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS `SentTimestamp`, ms: stable across redeliveries, so a quarantine record is written once. */
  readonly sentAtMs: number;
}

interface IngestOptions {
  readonly nowMs: number;
  /** Days quarantine records are kept. */
  readonly ttlDays: number;
  /** Conditional writes in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Attempts per task on version conflicts with concurrent writers. @default 4 */
  readonly conflictRetries?: number;
}

/** One execution write that was made: the stored execution before (absent if new) and after it. */
export interface ExecutionChange {
  readonly before: Execution | undefined;
  readonly after: Execution;
}

export interface IngestOutcome {
  /** Messages that were not made durable and must come back (the SQS `batchItemFailures`). */
  readonly failedMessageIds: string[];
  /** Valid events whose effect is durable (new or already present). */
  readonly accepted: TaskEvent[];
  /** Messages stored in the quarantine, with their reasons. */
  readonly quarantined: { messageId: string; rejection: Rejection }[];
  /** Events that were already stored (redeliveries and duplicates). */
  readonly duplicates: number;
  /** Conditional execution writes made. */
  readonly executionsWritten: number;
  /**
   * The execution writes made, in no particular order. Task metrics are derived from these, so that
   * they count what was stored, once, however often a message is delivered.
   */
  readonly changes: readonly ExecutionChange[];
}

/** Bytes of a raw body kept in a quarantine item (DynamoDB items are at most 400 KB). */
const QUARANTINE_BODY_LIMIT = 64 * 1024;

/** A quarantine record for a message, with its reason. Pure. */
const toQuarantineRecord = (
  record: IngestRecord,
  rejection: Rejection,
  nowMs: number,
  ttlDays: number,
  event?: TaskEvent,
): QuarantineRecord => {
  const bytes = Buffer.byteLength(record.body, 'utf8');
  const truncated = bytes > QUARANTINE_BODY_LIMIT;
  const sentAt = new Date(record.sentAtMs).toISOString();
  return {
    key: quarantineKey(sentAt, record.messageId),
    messageId: record.messageId,
    sentAt,
    receivedAt: new Date(nowMs).toISOString(),
    code: rejection.code,
    reason: rejection.reason,
    body: truncated
      ? Buffer.from(record.body, 'utf8').subarray(0, QUARANTINE_BODY_LIMIT).toString('utf8')
      : record.body,
    bodyBytes: bytes,
    bodySha256: createHash('sha256').update(record.body).digest('hex'),
    truncated,
    expiresAt: Math.floor(nowMs / 1000) + ttlDays * 86_400,
    ...(event !== undefined && {
      event: { taskId: event.taskId, eventId: event.eventId, source: event.source },
    }),
  };
};

/** Run `fn` over items with at most `limit` in flight; `fn` must not throw. */
const forEachLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
};

/** One parsed message of a task group. */
interface Member {
  readonly event: TaskEvent;
  readonly messageId: string;
}

/** What happened to one task group: per message, and the execution write that was made. */
interface GroupResult {
  readonly failed: string[];
  readonly rejected: { member: Member; rejection: Rejection }[];
  readonly accepted: Member[];
  readonly duplicates: number;
  readonly changes: ExecutionChange[];
}

const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 512) : String(error).slice(0, 512);

/**
 * Merge one task's events into its stored execution and write it: re-read and retry on version
 * conflicts; hand the messages back on a retryable error; on a permanent one (`isRetryableAwsError`
 * false) write the events one by one, so only the event DynamoDB refuses is quarantined (`unstorable`)
 * and its neighbours are stored.
 */
const storeGroup = async (
  store: HistoryStore,
  group: readonly Member[],
  initial: StoredExecution | undefined,
  conflictRetries: number,
): Promise<{ result: GroupResult; stored: StoredExecution | undefined }> => {
  const memberOf = new Map(group.map((m) => [m.event, m]));
  let stored = initial;
  for (let attempt = 0; ; attempt++) {
    const merged = mergeEvents(
      stored?.execution,
      group.map((m) => m.event),
    );
    try {
      const changes: ExecutionChange[] = [];
      let next = stored;
      if (merged.changed) {
        await store.putExecution(merged.execution, stored?.version);
        changes.push({ before: stored?.execution, after: merged.execution });
        next = { execution: merged.execution, version: (stored?.version ?? 0) + 1 };
      }
      const rejectedEvents = new Set(merged.rejected.map((r) => r.event));
      const before = new Set(stored?.execution.events.map((e) => e.eventId));
      const accepted = group.filter((m) => !rejectedEvents.has(m.event));
      let duplicates = 0;
      for (const { event } of accepted) {
        if (before.has(event.eventId)) duplicates++;
        before.add(event.eventId);
      }
      const rejected = merged.rejected.map((r) => ({
        member: memberOf.get(r.event)!,
        rejection: r.rejection,
      }));
      return { result: { failed: [], rejected, accepted, duplicates, changes }, stored: next };
    } catch (error) {
      if (error instanceof VersionConflictError && attempt + 1 < conflictRetries) {
        try {
          stored = (await store.getExecutions([group[0]!.event.taskId])).get(group[0]!.event.taskId);
          continue;
        } catch {
          // fall through: the records fail and come back
        }
      }
      const empty = { rejected: [], accepted: [], duplicates: 0, changes: [] };
      if (error instanceof VersionConflictError || isRetryableAwsError(error))
        return { result: { failed: group.map((m) => m.messageId), ...empty }, stored };
      if (group.length === 1) {
        const rejection: Rejection = {
          code: 'unstorable',
          reason: `DynamoDB refused the write of this event for good (${describeError(error)})`,
        };
        return {
          result: { failed: [], ...empty, rejected: [{ member: group[0]!, rejection }] },
          stored,
        };
      }
      return isolate(store, group, stored, conflictRetries);
    }
  }
};

/** Write a group's events one at a time (canonical order), so a permanent error hits only its own event. */
const isolate = async (
  store: HistoryStore,
  group: readonly Member[],
  initial: StoredExecution | undefined,
  conflictRetries: number,
): Promise<{ result: GroupResult; stored: StoredExecution | undefined }> => {
  const ordered = [...group].sort((a, b) => {
    const ka = orderKeyOf(toEventRecord(a.event));
    const kb = orderKeyOf(toEventRecord(b.event));
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const total: GroupResult = { failed: [], rejected: [], accepted: [], duplicates: 0, changes: [] };
  let stored = initial;
  for (const member of ordered) {
    const one = await storeGroup(store, [member], stored, conflictRetries);
    stored = one.stored;
    total.failed.push(...one.result.failed);
    total.rejected.push(...one.result.rejected);
    total.accepted.push(...one.result.accepted);
    total.changes.push(...one.result.changes);
    (total as { duplicates: number }).duplicates += one.result.duplicates;
  }
  return { result: total, stored };
};

/** Process one batch. Never throws for per-record problems: they come back as failed message ids. */
export const ingestBatch = async (
  records: readonly IngestRecord[],
  store: HistoryStore,
  options: IngestOptions,
): Promise<IngestOutcome> => {
  const { nowMs, ttlDays } = options;
  const failed = new Set<string>();
  const quarantine: { record: QuarantineRecord; rejection: Rejection }[] = [];
  const byTask = new Map<string, Member[]>();
  const byMessage = new Map(records.map((r) => [r.messageId, r]));
  const toQuarantine = (messageId: string, rejection: Rejection, event?: TaskEvent) =>
    quarantine.push({
      record: toQuarantineRecord(byMessage.get(messageId)!, rejection, nowMs, ttlDays, event),
      rejection,
    });

  for (const record of records) {
    const parsed = parseTaskEvent(record.body, nowMs);
    if (!parsed.ok) {
      toQuarantine(record.messageId, parsed.rejection);
      continue;
    }
    const group = byTask.get(parsed.event.taskId) ?? [];
    group.push({ event: parsed.event, messageId: record.messageId });
    byTask.set(parsed.event.taskId, group);
  }

  const accepted: TaskEvent[] = [];
  const changes: ExecutionChange[] = [];
  let duplicates = 0;
  let current = new Map<string, StoredExecution>();
  try {
    current = await store.getExecutions([...byTask.keys()]);
  } catch {
    for (const group of byTask.values()) for (const { messageId } of group) failed.add(messageId);
    byTask.clear();
  }

  await forEachLimited([...byTask.entries()], options.concurrency ?? 16, async ([taskId, group]) => {
    const { result } = await storeGroup(store, group, current.get(taskId), options.conflictRetries ?? 4);
    for (const id of result.failed) failed.add(id);
    for (const r of result.rejected) toQuarantine(r.member.messageId, r.rejection, r.member.event);
    accepted.push(...result.accepted.map((m) => m.event));
    duplicates += result.duplicates;
    changes.push(...result.changes);
  });

  const quarantineFailed =
    quarantine.length > 0 ? await store.putQuarantine(quarantine.map((q) => q.record)) : new Set<string>();
  for (const id of quarantineFailed) failed.add(id);

  return {
    failedMessageIds: [...failed],
    accepted,
    quarantined: quarantine
      .filter((q) => !quarantineFailed.has(q.record.messageId))
      .map((q) => ({ messageId: q.record.messageId, rejection: q.rejection })),
    duplicates,
    executionsWritten: changes.length,
    changes,
  };
};
