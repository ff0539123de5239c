import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { INDEX_SHARDS, quarantineKey, quarantinePartition } from '../names/keys';
import { daysBetween } from '../time';
import { InvalidQueryError } from './errors';

/**
 * Quarantined messages as the CLI reads them from the history table: `Q#<day>#<shard>` partitions
 * (day of the SQS send time, shard by message id) with sort keys `<sentAt>#<messageId>`, written by
 * the ingest (`lambdas/ingest/ingest-batch.ts`). Read with one Query per day and shard, newest first;
 * never a Scan. The sort key is the item's id on the command line: it names the partition too.
 */

/** Attributes the CLI adds to a quarantine item when it replays it (written and read only here). */
const REPLAY_ATTR = {
  /** When the message was last sent back to the events queue, UTC ISO. */
  replayedAt: 'replayedAt',
  /** The SQS message id of that send (the new message's quarantine item, if any, has this id). */
  replayedMessageId: 'replayedMessageId',
  /** Whether the body sent was an edited one (`--body-file`) rather than the stored one. */
  replayedEdited: 'replayedEdited',
} as const;

/** Attributes of the item that are not "details" of the rejection. */
const KNOWN_ATTRIBUTES = new Set<string>([
  'pk',
  'sk',
  'kind',
  'messageId',
  'sentAt',
  'receivedAt',
  'code',
  'reason',
  'body',
  'bodyBytes',
  'bodySha256',
  'truncated',
  'expiresAt',
  ...Object.values(REPLAY_ATTR),
]);

/** What the body says about where the message came from, read best effort (it may not be JSON). */
interface QuarantineOrigin {
  readonly source: string | null;
  readonly taskType: string | null;
  readonly taskId: string | null;
  readonly eventId: string | null;
}

/** One quarantined message (stable `--json` shape: absent values are `null`). */
export interface QuarantineItem extends QuarantineOrigin {
  /** `<sentAt>#<messageId>`: what `show` and `replay` take. */
  readonly id: string;
  readonly messageId: string;
  /** SQS send time of the original message. */
  readonly sentAt: string;
  /** When the ingest quarantined it. */
  readonly receivedAt: string;
  readonly code: string;
  readonly reason: string;
  /** UTF-8 bytes of the original body. */
  readonly bodyBytes: number;
  /** True when the stored body was cut (the original was longer than the ingest keeps). */
  readonly truncated: boolean;
  readonly replayedAt: string | null;
  readonly replayedMessageId: string | null;
  /** Attributes the ingest stored beyond the common ones (e.g. a conflicting eventId), as stored. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** A quarantined message with its stored body. */
export interface QuarantineItemWithBody extends QuarantineItem {
  readonly body: string;
  readonly bodySha256: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The origin fields of a body, when it is a JSON object. Pure. */
const originOf = (body: string): QuarantineOrigin => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  return { source: str(o.source), taskType: str(o.taskType), taskId: str(o.taskId), eventId: str(o.eventId) };
};

/** The item as the CLI shows it. Pure. */
export const toQuarantineItem = (item: Record<string, unknown>): QuarantineItemWithBody => {
  const body = typeof item.body === 'string' ? item.body : '';
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!KNOWN_ATTRIBUTES.has(k)) details[k] = v;
  return {
    id: String(item.sk),
    messageId: String(item.messageId),
    sentAt: String(item.sentAt),
    receivedAt: String(item.receivedAt),
    code: String(item.code),
    reason: String(item.reason),
    ...originOf(body),
    bodyBytes: Number(item.bodyBytes ?? Buffer.byteLength(body, 'utf8')),
    truncated: item.truncated === true,
    replayedAt: str(item[REPLAY_ATTR.replayedAt]),
    replayedMessageId: str(item[REPLAY_ATTR.replayedMessageId]),
    details,
    body,
    bodySha256: str(item.bodySha256),
  };
};

/** Drop the body (for lists). */
export const withoutBody = ({ body: _b, bodySha256: _h, ...rest }: QuarantineItemWithBody): QuarantineItem =>
  rest;

/** The key of an id `<sentAt>#<messageId>`; a usage error for anything else. Pure. */
const keyOfQuarantineId = (id: string): { pk: string; sk: string } => {
  const cut = id.indexOf('#');
  const sentAt = cut < 0 ? '' : id.slice(0, cut);
  const messageId = cut < 0 ? '' : id.slice(cut + 1);
  if (messageId === '' || Number.isNaN(Date.parse(sentAt)) || !/^\d{4}-\d{2}-\d{2}T/.test(sentAt)) {
    throw new InvalidQueryError(`"${id}" is not a quarantine id`, {
      hint: 'pass the ID column of taskpulse quarantine list (<sentAt>#<messageId>)',
    });
  }
  return quarantineKey(sentAt, messageId);
};

/** What a listing asks for. */
export interface QuarantineQuery {
  /** Inclusive, UTC ISO (send time). */
  readonly fromIso: string;
  /** Exclusive, UTC ISO. */
  readonly toIso: string;
  /** Only this rejection code. */
  readonly reason?: string;
}

/** Items of one partition in `[fromIso, upper)`, newest first, at most `want` (all when undefined). */
const queryPartition = async (
  doc: DynamoDBDocumentClient,
  table: string,
  partition: string,
  fromIso: string,
  upper: string,
  reason: string | undefined,
  want: number | undefined,
): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :upper',
        ExpressionAttributeValues: {
          ':pk': partition,
          ':from': fromIso,
          ':upper': upper,
          ...(reason !== undefined && { ':code': reason }),
        },
        ...(reason !== undefined && {
          FilterExpression: '#code = :code',
          ExpressionAttributeNames: { '#code': 'code' },
        }),
        ScanIndexForward: false,
        ...(want !== undefined && { Limit: Math.max(want, 10) }),
        ExclusiveStartKey: startKey,
      }),
    );
    // BETWEEN includes its upper bound; the end (or a page cursor) is exclusive here.
    for (const item of res.Items ?? []) if (String(item.sk) < upper) out.push(item);
    startKey = want !== undefined && out.length >= want ? undefined : res.LastEvaluatedKey;
  } while (startKey !== undefined);
  return want === undefined ? out : out.slice(0, want);
};

/** A page of quarantined messages, newest first. */
interface QuarantinePage {
  readonly items: readonly QuarantineItemWithBody[];
  /** Id of the last item when older ones exist in the range (the cursor of the next page), else null. */
  readonly cursor: string | null;
}

/**
 * Quarantined messages sent in `[fromIso, toIso)`, newest first, at most `limit` (every one when
 * undefined), strictly older than `before` (an id) when given. Each day reads its shards in parallel.
 */
export const listQuarantine = async (
  doc: DynamoDBDocumentClient,
  table: string,
  query: QuarantineQuery,
  options: { readonly limit?: number; readonly before?: string } = {},
): Promise<QuarantinePage> => {
  const upper = options.before !== undefined && options.before < query.toIso ? options.before : query.toIso;
  if (upper <= query.fromIso) return { items: [], cursor: null };
  // A cursor (an id) may share its millisecond with older items; an end time is exclusive.
  const lastDay = upper.includes('#')
    ? upper.slice(0, 10)
    : new Date(Date.parse(upper) - 1).toISOString().slice(0, 10);
  const firstDay = query.fromIso.slice(0, 10);
  const items: Record<string, unknown>[] = [];
  if (firstDay > lastDay) return { items: [], cursor: null };
  for (const day of daysBetween(firstDay, lastDay).reverse()) {
    const need = options.limit === undefined ? undefined : options.limit - items.length + 1;
    const perShard = await Promise.all(
      Array.from({ length: INDEX_SHARDS }, (_, shard) =>
        queryPartition(doc, table, quarantinePartition(day, shard), query.fromIso, upper, query.reason, need),
      ),
    );
    items.push(...perShard.flat().sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : -1)));
    if (options.limit !== undefined && items.length > options.limit) {
      const page = items.slice(0, options.limit).map(toQuarantineItem);
      return { items: page, cursor: page[page.length - 1]!.id };
    }
  }
  return { items: items.map(toQuarantineItem), cursor: null };
};

/** One quarantined message by id, or undefined. */
export const getQuarantineItem = async (
  doc: DynamoDBDocumentClient,
  table: string,
  id: string,
): Promise<QuarantineItemWithBody | undefined> => {
  const res = await doc.send(new GetCommand({ TableName: table, Key: keyOfQuarantineId(id) }));
  return res.Item === undefined ? undefined : toQuarantineItem(res.Item);
};

/** Record on the item that it was sent back (the item itself stays until its TTL). */
export const markReplayed = async (
  doc: DynamoDBDocumentClient,
  table: string,
  id: string,
  replay: { readonly atIso: string; readonly messageId: string; readonly edited: boolean },
): Promise<void> => {
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keyOfQuarantineId(id),
      UpdateExpression: 'SET #at = :at, #mid = :mid, #ed = :ed',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: {
        '#at': REPLAY_ATTR.replayedAt,
        '#mid': REPLAY_ATTR.replayedMessageId,
        '#ed': REPLAY_ATTR.replayedEdited,
      },
      ExpressionAttributeValues: { ':at': replay.atIso, ':mid': replay.messageId, ':ed': replay.edited },
    }),
  );
};
