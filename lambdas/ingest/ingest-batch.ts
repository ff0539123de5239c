import { createHash } from 'node:crypto';
import { mergeEvents } from '../domain/execution';
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
export interface IngestRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS `SentTimestamp`, ms: stable across redeliveries, so a quarantine record is written once. */
  readonly sentAtMs: number;
}

export interface IngestOptions {
  readonly nowMs: number;
  /** Days quarantine records are kept. */
  readonly ttlDays: number;
  /** Conditional writes in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Attempts per task on version conflicts with concurrent writers. @default 4 */
  readonly conflictRetries?: number;
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
}

/** Bytes of a raw body kept in a quarantine item (DynamoDB items are at most 400 KB). */
export const QUARANTINE_BODY_LIMIT = 64 * 1024;

/** A quarantine record for a message, with its reason. Pure. */
export const toQuarantineRecord = (
  record: IngestRecord,
  rejection: Rejection,
  nowMs: number,
  ttlDays: number,
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
  };
};

/** Run `fn` over items with at most `limit` in flight. */
const forEachLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
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
  const byTask = new Map<string, { event: TaskEvent; messageId: string }[]>();
  const byMessage = new Map(records.map((r) => [r.messageId, r]));

  for (const record of records) {
    const parsed = parseTaskEvent(record.body, nowMs);
    if (!parsed.ok) {
      quarantine.push({
        record: toQuarantineRecord(record, parsed.rejection, nowMs, ttlDays),
        rejection: parsed.rejection,
      });
      continue;
    }
    const group = byTask.get(parsed.event.taskId) ?? [];
    group.push({ event: parsed.event, messageId: record.messageId });
    byTask.set(parsed.event.taskId, group);
  }

  const accepted: TaskEvent[] = [];
  let duplicates = 0;
  let executionsWritten = 0;
  let current = new Map<string, StoredExecution>();
  try {
    current = await store.getExecutions([...byTask.keys()]);
  } catch {
    for (const group of byTask.values()) for (const { messageId } of group) failed.add(messageId);
    byTask.clear();
  }

  await forEachLimited([...byTask.entries()], options.concurrency ?? 16, async ([taskId, group]) => {
    let stored = current.get(taskId);
    for (let attempt = 0; ; attempt++) {
      const result = mergeEvents(
        stored?.execution,
        group.map((g) => g.event),
      );
      const overflowIds = new Set(result.overflow.map((e) => e.eventId));
      try {
        if (result.changed) {
          await store.putExecution(result.execution, stored?.version);
          executionsWritten++;
        }
        const before = new Set(stored?.execution.events.map((e) => e.eventId));
        for (const { event, messageId } of group) {
          if (overflowIds.has(event.eventId)) {
            const rejection: Rejection = {
              code: 'too-many-events',
              reason: `task ${taskId} already has the maximum number of events; this one was not merged`,
            };
            quarantine.push({
              record: toQuarantineRecord(byMessage.get(messageId)!, rejection, nowMs, ttlDays),
              rejection,
            });
            continue;
          }
          accepted.push(event);
          if (before.has(event.eventId)) duplicates++;
          before.add(event.eventId);
        }
        return;
      } catch (error) {
        if (error instanceof VersionConflictError && attempt + 1 < (options.conflictRetries ?? 4)) {
          try {
            stored = (await store.getExecutions([taskId])).get(taskId);
            continue;
          } catch {
            // fall through: the records fail and come back
          }
        }
        for (const { messageId } of group) failed.add(messageId);
        return;
      }
    }
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
    executionsWritten,
  };
};
