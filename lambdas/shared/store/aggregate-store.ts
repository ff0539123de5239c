import { createHash } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Admission,
  type AggregateDelta,
  type AggregateTarget,
  admitNames,
  cappedNameOf,
  foldNames,
  NAME_FAMILIES,
  type NameFamily,
  OTHER_NAME,
} from '../../domain/aggregate';
import { isRetryableAwsError } from '../aws/retryable';
import { isConditionalCheckFailed, StoreError } from '../errors';
import { aggregateKey, aggregateSkipKey, dirtyDayKey, parseScope, scopeRegistryKey } from '../names/keys';
import { allSettledOrThrow } from '../settle';

/**
 * Writes aggregate deltas exactly once per stream batch, without transactions.
 *
 * A stream batch is retried from the same checkpoint, so its first sequence number identifies it (an
 * "intent"). The intent's progress is kept in a ledger item; each aggregate update carries the intent
 * id as a marker and is conditional on the marker being absent, so a retried update is a no-op:
 *
 *   ledger applying → every target: ADD counters + marker (if no marker) → ledger applied
 *                   → every target: remove marker → ledger done
 *
 * A target was counted iff its marker is present or the ledger says `applied`/`done`, so a crash at
 * any point is resumed without loss or double counting. Markers live only while an intent is in
 * flight, so aggregate items stay small. (Lambda stream events do not name their shard, which rules
 * out a per-shard high-water mark; DynamoDB transactions would also work but cost the same two writes
 * per item, and moto_server copies a whole table per transaction item, which makes them unusable for
 * local mode and tests.)
 */
export interface AggregateStore {
  readLedger(intent: string): Promise<LedgerEntry | undefined>;
  /** Create the ledger entry; returns the existing one if another try created it first. */
  beginLedger(intent: string, through: string): Promise<LedgerEntry>;
  /** Mark the ledger entry `applied` or `done`. */
  advanceLedger(intent: string, state: 'applied' | 'done'): Promise<void>;
  /**
   * Add a delta to its aggregate items unless this intent already did (idempotent). Throws only after
   * every write of the delta settled: a transient error as is, or, when the only failures are writes
   * DynamoDB refused for good (`isRetryableAwsError` false), an `AggregateWriteRefusedError` listing
   * them (the other writes of the delta are applied).
   */
  applyDelta(intent: string, delta: AggregateDelta): Promise<void>;
  /**
   * Add a delta of one flush of a tumbling window (see `WindowFlush`): one write per stored part, no
   * marker to clear. Each part keeps, per shard, the highest flush token applied to it; an update lands
   * only if its token is higher, so a retried flush is a no-op where it was applied. Throws like
   * `applyDelta`.
   */
  applyWindowDelta(flush: WindowFlush, delta: AggregateDelta): Promise<void>;
  /**
   * Targets (`targetKey`) a failed try of a flush applied completely, so a retry starts where it
   * stopped (progress under throttling). Empty when no try failed.
   */
  readFlushProgress(flushId: string): Promise<ReadonlySet<string>>;
  /** Remember targets a failing try applied completely (best effort: a retry without it redoes them). */
  recordFlushProgress(flushId: string, targets: readonly string[]): Promise<void>;
  /** Remove this intent's marker from an aggregate item (idempotent). */
  clearMarker(intent: string, delta: AggregateDelta): Promise<void>;
  /** Record that scopes had activity on days (idempotent). */
  registerScopes(targets: readonly { scope: string; day: string }[]): Promise<void>;
  /** Mark days whose aggregates changed after they ended (`changedAt` = now, epoch ms): one write per day. */
  markDirtyDays(days: readonly string[]): Promise<void>;
  /** Store what was skipped and why, so an operator can find and rebuild it (idempotent per record). */
  recordSkips(skips: readonly SkipRecord[]): Promise<void>;
}

/** A write of one stored part that DynamoDB refused for good (e.g. `ValidationException`). */
export interface RefusedWrite {
  readonly part: string;
  /** Counter and sample attributes the write would have changed. */
  readonly fields: readonly string[];
  readonly error: { readonly name: string; readonly message: string };
}

/** Some writes of a delta were refused for good; every other write of it is applied. */
export class AggregateWriteRefusedError extends StoreError {
  override readonly name = 'AggregateWriteRefusedError';
  constructor(readonly refused: readonly RefusedWrite[]) {
    super(`DynamoDB refused ${refused.length} aggregate write(s): ${refused[0]?.error.name}`);
  }
}

/** The stream change a skipped write came from: enough to find the execution. */
export interface ChangeId {
  readonly sequenceNumber: string;
  readonly taskId: string;
}

/**
 * A skipped aggregate write, stored at `aggregateSkipKey`. `scope`, `slot` and `part` are `*` when a
 * whole intent was skipped (a permanent error outside the part writes).
 */
export interface SkipRecord {
  readonly intent: string;
  readonly day: string;
  readonly scope: string;
  readonly slot: string;
  readonly part: string;
  readonly fields: readonly string[];
  readonly error: { readonly name: string; readonly message: string };
  /** Changes that contributed (at most `MAX_CHANGE_IDS_PER_SKIP`), and how many there were. */
  readonly changes: readonly ChangeId[];
  readonly changeCount: number;
}

/** Change ids kept on one skip record (the item stays far below 400 KB; the rest is in the history). */
export const MAX_CHANGE_IDS_PER_SKIP = 50;

/** Progress of one intent. */
export interface LedgerEntry {
  /** Sequence number of the intent's last change. */
  readonly through: string;
  readonly state: 'applying' | 'applied' | 'done';
}

/** Attribute holding the markers of in-flight intents (a string set). */
export const MARKER_ATTRIBUTE = 'inflight';

/**
 * One flush of a tumbling window's state: the shard it came from and its token, the first stream
 * sequence number folded into the flushed state. Sequence numbers only grow within a shard, so a later
 * window (or a later flush of the same window, after an early one) always has a higher token, and a
 * retry of the same flush has the same one.
 */
export interface WindowFlush {
  readonly shardId: string;
  /** First stream sequence number of the flushed state (decimal). */
  readonly firstSequenceNumber: string;
}

/** Prefix of the per-shard high-water attributes of aggregate parts (`hw_<hash of the shard id>`). */
export const WATERMARK_PREFIX = 'hw_';

/** Attributes of an aggregate item that are bookkeeping of the write protocol, never counters. */
export const isProtocolField = (field: string): boolean =>
  field === MARKER_ATTRIBUTE || field.startsWith(WATERMARK_PREFIX);

/**
 * The high-water attribute of a shard: a hash, so the name stays short (an item may carry one per
 * shard that ever wrote it, and every byte is billed) and is safe in any expression. 48 bits: two
 * shards of one table colliding on one item is negligible.
 */
export const watermarkAttributeOf = (shardId: string): string =>
  `${WATERMARK_PREFIX}${createHash('sha256').update(shardId).digest('hex').slice(0, 12)}`;

/**
 * A flush token as a fixed-width string, so DynamoDB's string order (`<`) is the numeric order of the
 * sequence numbers (up to 40 decimal digits; stream sequence numbers are about 21 to 30), then the chunk.
 */
const watermarkTokenOf = (firstSequenceNumber: string, chunk: number): string =>
  `${BigInt(firstSequenceNumber).toString(36).padStart(26, '0')}.${String(chunk).padStart(3, '0')}`;

/**
 * What makes one part update apply once: the intent's marker (removed afterwards by `clearMarker`), or
 * a window flush's token checked against the shard's high-water attribute (nothing to remove).
 */
type WriteGuard =
  | { readonly kind: 'marker'; readonly intent: string }
  | { readonly kind: 'watermark'; readonly attribute: string; readonly firstSequenceNumber: string };

const markerGuard = (intent: string): WriteGuard => ({ kind: 'marker', intent });
const watermarkGuard = (flush: WindowFlush): WriteGuard => ({
  kind: 'watermark',
  attribute: watermarkAttributeOf(flush.shardId),
  firstSequenceNumber: flush.firstSequenceNumber,
});

/** The token of chunk `i` of a part update under a guard. */
const tokenOf = (guard: WriteGuard, chunk: number): string =>
  guard.kind === 'marker'
    ? markerOf(guard.intent, chunk)
    : watermarkTokenOf(guard.firstSequenceNumber, chunk);

/** The item shows that the update with this token was applied before. */
const appliedBefore = (item: Record<string, unknown>, guard: WriteGuard, token: string): boolean =>
  guard.kind === 'marker'
    ? markersOf(item).has(token)
    : typeof item[guard.attribute] === 'string' && (item[guard.attribute] as string) >= token;

const ledgerKey = (intent: string) => ({ pk: 'LG', sk: intent });

/** Histogram bins per stored part: an update stays far below the 4 KB expression limit and a part item under 1 KB. */
const BINS_PER_PART = 50;
/** The part holding error counts and samples: one per bucket, so its cap of names is the bucket's. */
export const ERROR_PART = 'err';
/** The core part: it also holds custom-metric counts and sums, and so decides which metric names are kept. */
export const CORE_PART = '';

/**
 * Parts that admit producer-chosen names (see `admitNames`): the family whose cap they hold. Metric
 * histogram parts follow the core part's decision (a folded metric's bins go to `m.(other).…`).
 */
const ADMITTING_PARTS: ReadonlyMap<string, NameFamily> = new Map([
  [CORE_PART, 'metric'],
  [ERROR_PART, 'error'],
]);

/** Names per update of an admitting part: keeps the update and condition expressions far below 4 KB. */
const NAMES_PER_ADMITTING_UPDATE = 25;
/** Tries of one admitting update that lost a race with another writer of the same part. */
const MAX_ADMISSION_TRIES = 10;

const binPart = (family: string, bin: string): string =>
  bin === 'z'
    ? `${family}.z`
    : `${family}.${bin[0]}${Math.floor(Math.abs(Number(bin.slice(1))) / BINS_PER_PART)}${Number(bin.slice(1)) < 0 ? 'm' : ''}`;

/**
 * The stored part a counter field belongs to: a pure function of the field name, so every delivery
 * order and batch split lays a bucket out the same way. Core counters ('' part), run and wait
 * histograms in ranges of 50 bins, custom-metric histograms per metric, error counts and samples in
 * one part. (Buckets written before the cap spread error types over `err.0`..`err.7`; readers merge
 * every part of a bucket, so those still count.)
 */
export const partOfField = (field: string): string => {
  if (field.startsWith('rh_')) return binPart('rh', field.slice(3));
  if (field.startsWith('wh_')) return binPart('wh', field.slice(3));
  if (field.startsWith('mh_')) {
    const rest = field.slice(3);
    const cut = rest.lastIndexOf('_');
    return binPart(`m.${rest.slice(0, cut)}`, rest.slice(cut + 1));
  }
  if (field.startsWith('es_') || field.startsWith('e_')) return ERROR_PART;
  return CORE_PART;
};

/** One stored item's share of a delta. */
export interface DeltaPart {
  readonly part: string;
  readonly counters: Record<string, number>;
  readonly samples: Record<string, string>;
}

/** Split a delta into the parts it touches. Pure. */
export const splitDelta = (delta: Pick<AggregateDelta, 'counters' | 'samples'>): DeltaPart[] => {
  const parts = new Map<
    string,
    { part: string; counters: Record<string, number>; samples: Record<string, string> }
  >();
  const partFor = (name: string) => {
    let p = parts.get(name);
    if (p === undefined) {
      p = { part: name, counters: {}, samples: {} };
      parts.set(name, p);
    }
    return p;
  };
  for (const [field, value] of Object.entries(delta.counters))
    partFor(partOfField(field)).counters[field] = value;
  for (const [field, value] of Object.entries(delta.samples))
    partFor(partOfField(field)).samples[field] = value;
  return [...parts.values()].sort((a, b) => a.part.localeCompare(b.part));
};
/** DynamoDB's limit on one expression string, bytes. */
export const MAX_EXPRESSION_BYTES = 4_096;
/** What a part update's `UpdateExpression` may use: the limit less a margin for safety. */
const EXPRESSION_BUDGET_BYTES = MAX_EXPRESSION_BYTES - 96;

/** One `UpdateItem` of a part: its own marker, so chunks of one part are applied exactly once each. */
export interface PartUpdate {
  /** The chunk's token: its marker (marker protocol) or its high-water token (window flushes). */
  readonly marker: string;
  readonly updateExpression: string;
  readonly conditionExpression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  readonly fields: readonly string[];
}

/** Marker of chunk `i` of a part update: the intent itself for the first, `<intent>.<i>` after. */
const markerOf = (intent: string, chunk: number): string => (chunk === 0 ? intent : `${intent}.${chunk}`);

type PlannedField = { field: string; value: unknown; kind: 'add' | 'sample' };

const fieldsOf = (part: Pick<DeltaPart, 'counters' | 'samples'>): PlannedField[] => [
  ...Object.entries(part.counters).map(([field, value]) => ({ field, value, kind: 'add' as const })),
  ...Object.entries(part.samples).map(([field, value]) => ({ field, value, kind: 'sample' as const })),
];

/** The admission an update of an admitting part carries: its conditions and the counter it grows. */
interface AdmissionClause {
  readonly family: NameFamily;
  readonly admission: Admission;
}

/** A guard, or an intent id (the marker protocol). */
export type GuardOrIntent = string | WriteGuard;
const asGuard = (g: GuardOrIntent): WriteGuard => (typeof g === 'string' ? markerGuard(g) : g);

const buildUpdate = (
  guardOrIntent: GuardOrIntent,
  target: AggregateTarget,
  chunk: number,
  included: readonly PlannedField[],
  expiresAt: number,
  clause?: AdmissionClause,
): PartUpdate => {
  const guard = asGuard(guardOrIntent);
  const token = tokenOf(guard, chunk);
  const names: Record<string, string> = {
    '#scope': 'scope',
    '#day': 'day',
    '#slot': 'slot',
    '#exp': 'expiresAt',
  };
  const values: Record<string, unknown> = {
    ':scope': target.scope,
    ':day': target.day,
    ':slot': target.slot,
    ':exp': expiresAt,
  };
  const adds: string[] = [];
  const sets = ['#scope = :scope', '#day = :day', '#slot = :slot', '#exp = :exp'];
  const conditions: string[] = [];
  if (guard.kind === 'marker') {
    names['#mk'] = MARKER_ATTRIBUTE;
    values[':mks'] = new Set([token]);
    values[':mk'] = token;
    adds.push('#mk :mks');
    conditions.push('(attribute_not_exists(#mk) OR NOT contains(#mk, :mk))');
  } else {
    // The shard's high-water token: lower means this flush (chunk) has not reached the item yet.
    names['#hw'] = guard.attribute;
    values[':hw'] = token;
    sets.push('#hw = :hw');
    conditions.push('(attribute_not_exists(#hw) OR #hw < :hw)');
  }
  included.forEach(({ field, value, kind }, i) => {
    names[`#f${i}`] = field;
    values[`:f${i}`] = value;
    if (kind === 'add') adds.push(`#f${i} :f${i}`);
    else sets.push(`#f${i} = if_not_exists(#f${i}, :f${i})`);
  });
  if (clause !== undefined) {
    const spec = NAME_FAMILIES[clause.family];
    const { named, admitted, folded } = clause.admission;
    // Every name's standing is part of the condition, so the update lands only if the decision holds.
    const check = (list: readonly string[], exists: boolean, tag: string) =>
      list.forEach((name, i) => {
        names[`#${tag}${i}`] = spec.countField(name);
        conditions.push(`${exists ? 'attribute_exists' : 'attribute_not_exists'}(#${tag}${i})`);
      });
    // `OTHER_NAME` is never admitted nor folded: it may be written before it exists.
    check(
      named.filter((name) => name !== OTHER_NAME),
      true,
      'k',
    );
    check([...admitted, ...folded], false, 'a');
    if (admitted.length > 0) {
      names['#cnt'] = spec.namesField;
      values[':cnt'] = admitted.length;
      values[':room'] = spec.cap - admitted.length;
      adds.push('#cnt :cnt');
      conditions.push('(attribute_not_exists(#cnt) OR #cnt <= :room)');
    }
  }
  return {
    marker: token,
    updateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
    conditionExpression: conditions.join(' AND '),
    names,
    values,
    fields: included.map((f) => f.field),
  };
};

/**
 * The update(s) that add a part to its item, split so that no `UpdateExpression` is longer than
 * DynamoDB allows (measured on the built string, in UTF-8 bytes). Each chunk carries its own marker;
 * the split is a pure function of the intent and the part, so a retry rebuilds the same chunks.
 * For parts without producer-chosen names of their own (admitting parts use `chunksOfAdmittingPart`).
 */
export const planPartUpdates = (
  intent: GuardOrIntent,
  target: AggregateTarget,
  part: DeltaPart,
  expiresAt: number,
): PartUpdate[] => {
  const out: PartUpdate[] = [];
  let current: PlannedField[] = [];
  for (const f of fieldsOf(part)) {
    const candidate = [...current, f];
    if (
      current.length > 0 &&
      Buffer.byteLength(buildUpdate(intent, target, out.length, candidate, expiresAt).updateExpression) >
        EXPRESSION_BUDGET_BYTES
    ) {
      out.push(buildUpdate(intent, target, out.length, current, expiresAt));
      current = [f];
    } else current = candidate;
  }
  out.push(buildUpdate(intent, target, out.length, current, expiresAt));
  return out;
};

/**
 * Split an admitting part (core or errors) into chunks of at most `NAMES_PER_ADMITTING_UPDATE`
 * names, all fields of one name in the same chunk (its count decides its admission), fields without a
 * name in the first. A pure function of the part, so a retry rebuilds the same chunks and markers.
 */
export const chunksOfAdmittingPart = (part: DeltaPart): DeltaPart[] => {
  const family = ADMITTING_PARTS.get(part.part);
  const byName = new Map<string, { counters: Record<string, number>; samples: Record<string, string> }>();
  const groupOf = (field: string) => {
    const carried = cappedNameOf(field);
    const key = carried !== undefined && carried.family === family ? carried.name : '';
    let g = byName.get(key);
    if (g === undefined) {
      g = { counters: {}, samples: {} };
      byName.set(key, g);
    }
    return g;
  };
  for (const [field, value] of Object.entries(part.counters)) groupOf(field).counters[field] = value;
  for (const [field, value] of Object.entries(part.samples)) groupOf(field).samples[field] = value;
  const named = [...byName.keys()].filter((k) => k !== '').sort();
  const chunks: DeltaPart[] = [];
  for (let i = 0; i === 0 || i < named.length; i += NAMES_PER_ADMITTING_UPDATE) {
    const groups = named.slice(i, i + NAMES_PER_ADMITTING_UPDATE).map((k) => byName.get(k)!);
    if (i === 0 && byName.has('')) groups.unshift(byName.get('')!);
    chunks.push({
      part: part.part,
      counters: Object.assign({}, ...groups.map((g) => g.counters)),
      samples: Object.assign({}, ...groups.map((g) => g.samples)),
    });
  }
  return chunks;
};

/** The count delta per name of `family` in a chunk (0 for a name with only sums or samples). Pure. */
const netByNameOf = (chunk: DeltaPart, family: NameFamily): Map<string, number> => {
  const net = new Map<string, number>();
  for (const field of [...Object.keys(chunk.counters), ...Object.keys(chunk.samples)]) {
    const carried = cappedNameOf(field);
    if (carried === undefined || carried.family !== family) continue;
    const count = field === NAME_FAMILIES[family].countField(carried.name) ? chunk.counters[field]! : 0;
    net.set(carried.name, (net.get(carried.name) ?? 0) + count);
  }
  return net;
};

/**
 * The update of one admitting chunk under an admission decision: folded names counted in
 * `OTHER_NAME`, the decision held by the condition (atomic with the counting). Pure.
 */
export const planAdmittingUpdate = (
  intent: GuardOrIntent,
  target: AggregateTarget,
  chunkIndex: number,
  chunk: DeltaPart,
  expiresAt: number,
  admission: Admission,
): PartUpdate => {
  const family = ADMITTING_PARTS.get(chunk.part)!;
  const folded = foldNames(chunk.counters, chunk.samples, new Set(admission.folded));
  return buildUpdate(intent, target, chunkIndex, fieldsOf(folded), expiresAt, { family, admission });
};

/** The first try of an admitting chunk: every name assumed to have its entry (the usual case). */
const assumeNamed = (chunk: DeltaPart): Admission => ({
  named: [...netByNameOf(chunk, ADMITTING_PARTS.get(chunk.part)!).keys()].sort(),
  admitted: [],
  folded: [],
});

/** An admitting update kept losing races with other writers of the same part; retried with the batch. */
export class AdmissionContendedError extends StoreError {
  override readonly name = 'AdmissionContendedError';
}

/** Name and message of an error, for a skip record and the log. */
export const errorSummaryOf = (error: unknown): { name: string; message: string } => ({
  name: String((error as { name?: unknown })?.name ?? 'Error'),
  message: String((error as { message?: unknown })?.message ?? error).slice(0, 1024),
});

const markersOf = (item: Record<string, unknown>): ReadonlySet<string> => {
  const raw = item[MARKER_ATTRIBUTE];
  return raw instanceof Set ? (raw as Set<string>) : new Set(Array.isArray(raw) ? raw.map(String) : []);
};

/** Largest list of finished targets one flush-progress item holds, bytes (DynamoDB allows 400 KB per item). */
const MAX_PROGRESS_BYTES = 256 * 1024;

/** Ledger entries outlive the 24 h stream retention, then expire. */
const LEDGER_TTL_SECONDS = 2 * 86_400;

export class DynamoAggregateStore implements AggregateStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlDays: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async readLedger(intent: string): Promise<LedgerEntry | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(intent), ConsistentRead: true }),
    );
    return res.Item === undefined
      ? undefined
      : { through: String(res.Item.through), state: res.Item.state as LedgerEntry['state'] };
  }

  async beginLedger(intent: string, through: string): Promise<LedgerEntry> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...ledgerKey(intent),
            through,
            state: 'applying',
            expiresAt: Math.floor(this.nowMs() / 1000) + LEDGER_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { through, state: 'applying' };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.readLedger(intent);
      if (existing === undefined) throw error;
      return existing;
    }
  }

  async advanceLedger(intent: string, state: 'applied' | 'done'): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(intent),
        UpdateExpression: 'SET #state = :state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':state': state },
      }),
    );
  }

  async applyDelta(intent: string, delta: AggregateDelta): Promise<void> {
    await this.applyGuarded(markerGuard(intent), delta);
  }

  async readFlushProgress(flushId: string): Promise<ReadonlySet<string>> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: ledgerKey(flushId), ConsistentRead: true }),
    );
    const done = res.Item?.done;
    return done instanceof Set ? (done as Set<string>) : new Set();
  }

  async recordFlushProgress(flushId: string, targets: readonly string[]): Promise<void> {
    // Progress is an optimisation: past a size that could strain the item limit, a retry redoes all.
    if (targets.length === 0 || Buffer.byteLength(targets.join('')) > MAX_PROGRESS_BYTES) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(flushId),
        UpdateExpression: 'ADD done :done SET expiresAt = :exp',
        ExpressionAttributeValues: {
          ':done': new Set(targets),
          ':exp': Math.floor(this.nowMs() / 1000) + LEDGER_TTL_SECONDS,
        },
      }),
    );
  }

  async applyWindowDelta(flush: WindowFlush, delta: AggregateDelta): Promise<void> {
    await this.applyGuarded(watermarkGuard(flush), delta);
  }

  private async applyGuarded(guard: WriteGuard, delta: AggregateDelta): Promise<void> {
    const { target } = delta;
    const expiresAt = this.expiresAt(target.day);
    const parts = splitDelta(delta);
    // Admitting parts first: the core part's admission decides where metric histogram bins go.
    const admitting = parts.filter((p) => ADMITTING_PARTS.has(p.part));
    // Chunks of one part one after the other: in parallel they would only race for its names counter.
    const refusedFirst = (
      await allSettledOrThrow(
        admitting.map(async (part) => {
          const refused: (RefusedWrite | undefined)[] = [];
          for (const [i, chunk] of chunksOfAdmittingPart(part).entries())
            refused.push(await this.applyAdmitting(guard, target, i, chunk, expiresAt));
          return refused;
        }),
      )
    ).flat();
    const following = await this.followingParts(target, parts);
    // Chunks of one part in order: a high-water token is only exact if chunk i lands before chunk i+1.
    const refusedThen = (
      await allSettledOrThrow(
        following.map(async (part) => {
          const refused: (RefusedWrite | undefined)[] = [];
          for (const update of planPartUpdates(guard, target, part, expiresAt))
            refused.push(await this.applyUpdate(target, part.part, update));
          return refused;
        }),
      )
    ).flat();
    const permanent = [...refusedFirst, ...refusedThen].filter((r): r is RefusedWrite => r !== undefined);
    if (permanent.length > 0) throw new AggregateWriteRefusedError(permanent);
  }

  /**
   * Apply one chunk of an admitting part: first assuming every name has its entry (one write in the
   * usual case); when the condition fails, read the item: this chunk's marker there means an earlier
   * try applied it (nothing to add again), otherwise decide admission on what the item holds and try
   * again. Only another writer of the same part admitting names in between makes a try fail again.
   */
  private async applyAdmitting(
    guard: WriteGuard,
    target: AggregateTarget,
    chunkIndex: number,
    chunk: DeltaPart,
    expiresAt: number,
  ): Promise<RefusedWrite | undefined> {
    const family = ADMITTING_PARTS.get(chunk.part)!;
    const spec = NAME_FAMILIES[family];
    let admission = assumeNamed(chunk);
    for (let attempt = 0; attempt < MAX_ADMISSION_TRIES; attempt++) {
      const update = planAdmittingUpdate(guard, target, chunkIndex, chunk, expiresAt, admission);
      try {
        await this.send(target, chunk.part, update);
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) {
          if (isRetryableAwsError(error)) throw error;
          return { part: chunk.part, fields: update.fields, error: errorSummaryOf(error) };
        }
      }
      const item = (await this.readPart(target, chunk.part)) ?? {};
      if (appliedBefore(item, guard, update.marker)) return undefined;
      admission = admitNames({
        cap: spec.cap,
        has: (name) => item[spec.countField(name)] !== undefined,
        count: Number(item[spec.namesField] ?? 0),
        netByName: netByNameOf(chunk, family),
      });
    }
    throw new AdmissionContendedError(
      `aggregate part ${target.scope} ${target.day} ${target.slot} '${chunk.part}': admission lost ${MAX_ADMISSION_TRIES} races`,
    );
  }

  /**
   * The parts that follow the core part's decision (histograms), with the bins of folded metric
   * names moved to `OTHER_NAME`. A metric name has its own entry iff the core part holds its count:
   * entries are never removed and a folded name is never admitted later, so this read gives the same
   * answer to the first try, a retry and `clearMarker`.
   */
  private async followingParts(target: AggregateTarget, parts: readonly DeltaPart[]): Promise<DeltaPart[]> {
    const following = parts.filter((p) => !ADMITTING_PARTS.has(p.part));
    const metricNames = new Set<string>();
    for (const p of following)
      for (const field of Object.keys(p.counters)) {
        const carried = cappedNameOf(field);
        if (carried?.family === 'metric' && carried.name !== OTHER_NAME) metricNames.add(carried.name);
      }
    if (metricNames.size === 0) return following;
    const core = (await this.readPart(target, CORE_PART)) ?? {};
    const folded = new Set(
      [...metricNames].filter((name) => core[NAME_FAMILIES.metric.countField(name)] === undefined),
    );
    if (folded.size === 0) return following;
    const counters: Record<string, number> = Object.assign({}, ...following.map((p) => p.counters));
    return splitDelta({ counters: foldNames(counters, {}, folded).counters, samples: {} });
  }

  private async readPart(
    target: AggregateTarget,
    part: string,
  ): Promise<Record<string, unknown> | undefined> {
    const res = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: aggregateKey(target.scope, target.day, target.slot, part),
        ConsistentRead: true,
      }),
    );
    return res.Item;
  }

  private async send(target: AggregateTarget, part: string, update: PartUpdate): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: aggregateKey(target.scope, target.day, target.slot, part),
        UpdateExpression: update.updateExpression,
        ConditionExpression: update.conditionExpression,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
      }),
    );
  }

  /** Apply one chunk; a permanent refusal is returned, a transient error thrown. */
  private async applyUpdate(
    target: AggregateTarget,
    part: string,
    update: PartUpdate,
  ): Promise<RefusedWrite | undefined> {
    try {
      await this.send(target, part, update);
      return undefined;
    } catch (error) {
      // The marker (or a token at least as high) is there: an earlier try applied this chunk already.
      if (isConditionalCheckFailed(error)) return undefined;
      if (isRetryableAwsError(error)) throw error;
      return { part, fields: update.fields, error: errorSummaryOf(error) };
    }
  }

  async clearMarker(intent: string, delta: AggregateDelta): Promise<void> {
    const { target } = delta;
    const expiresAt = this.expiresAt(target.day);
    const parts = splitDelta(delta);
    const markers = new Map<string, string[]>();
    for (const part of parts.filter((p) => ADMITTING_PARTS.has(p.part)))
      markers.set(
        part.part,
        chunksOfAdmittingPart(part).map((_, i) => markerOf(intent, i)),
      );
    for (const part of await this.followingParts(target, parts))
      markers.set(
        part.part,
        planPartUpdates(intent, target, part, expiresAt).map((u) => u.marker),
      );
    await allSettledOrThrow(
      [...markers].map(([part, ids]) =>
        this.doc
          .send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: aggregateKey(target.scope, target.day, target.slot, part),
              UpdateExpression: 'DELETE #mk :mks',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#mk': MARKER_ATTRIBUTE },
              ExpressionAttributeValues: { ':mks': new Set(ids) },
            }),
          )
          .catch((error: unknown) => {
            if (!isConditionalCheckFailed(error)) throw error;
          }),
      ),
    );
  }

  async markDirtyDays(days: readonly string[]): Promise<void> {
    const changedAt = this.nowMs();
    await allSettledOrThrow(
      [...new Set(days)].map((day) =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: dirtyDayKey(day),
            UpdateExpression: 'SET changedAt = :now',
            ExpressionAttributeValues: { ':now': changedAt },
          }),
        ),
      ),
    );
  }

  async recordSkips(skips: readonly SkipRecord[]): Promise<void> {
    const recordedAt = new Date(this.nowMs()).toISOString();
    await allSettledOrThrow(
      skips.map((skip) =>
        this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...aggregateSkipKey(skip.day, skip.intent, skip.scope, skip.slot, skip.part),
              kind: 'aggregate-skip',
              ...skip,
              fields: [...skip.fields],
              changes: [...skip.changes],
              recordedAt,
              expiresAt: this.expiresAt(skip.day),
            },
          }),
        ),
      ),
    );
  }

  async registerScopes(targets: readonly { scope: string; day: string }[]): Promise<void> {
    const unique = new Map(targets.map((t) => [`${t.day}\n${t.scope}`, t]));
    await allSettledOrThrow(
      [...unique.values()].map((t) => {
        const { taskType, dimension } = parseScope(t.scope);
        return this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: scopeRegistryKey(t.day, t.scope),
            UpdateExpression: 'SET taskType = :t, dimension = :d, expiresAt = :e',
            ExpressionAttributeValues: {
              ':t': taskType,
              ':d': dimension === undefined ? null : `${dimension.key}=${dimension.value}`,
              ':e': this.expiresAt(t.day),
            },
          }),
        );
      }),
    );
  }

  private expiresAt(day: string): number {
    return Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + this.ttlDays * 86_400;
  }
}
