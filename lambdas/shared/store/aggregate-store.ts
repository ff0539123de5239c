import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AggregateDelta, AggregateTarget } from '../../domain/aggregate';
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

const ledgerKey = (intent: string) => ({ pk: 'LG', sk: intent });

/** Histogram bins per stored part: an update stays far below the 4 KB expression limit and a part item under 1 KB. */
const BINS_PER_PART = 50;
/** Error-type parts per bucket (error types are spread over them by hash). */
const ERROR_PARTS = 8;

const hashOf = (text: string): number => {
  let h = 0;
  for (const ch of text) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return h;
};

const binPart = (family: string, bin: string): string =>
  bin === 'z'
    ? `${family}.z`
    : `${family}.${bin[0]}${Math.floor(Math.abs(Number(bin.slice(1))) / BINS_PER_PART)}${Number(bin.slice(1)) < 0 ? 'm' : ''}`;

/**
 * The stored part a counter field belongs to: a pure function of the field name, so every delivery
 * order and batch split lays a bucket out the same way. Core counters ('' part), run and wait
 * histograms in ranges of 50 bins, custom-metric histograms per metric, error counts by hash.
 */
export const partOfField = (field: string): string => {
  if (field.startsWith('rh_')) return binPart('rh', field.slice(3));
  if (field.startsWith('wh_')) return binPart('wh', field.slice(3));
  if (field.startsWith('mh_')) {
    const rest = field.slice(3);
    const cut = rest.lastIndexOf('_');
    return binPart(`m.${rest.slice(0, cut)}`, rest.slice(cut + 1));
  }
  if (field.startsWith('es_')) return `err.${hashOf(field.slice(3)) % ERROR_PARTS}`;
  if (field.startsWith('e_')) return `err.${hashOf(field.slice(2)) % ERROR_PARTS}`;
  return '';
};

/** One stored item's share of a delta. */
export interface DeltaPart {
  readonly part: string;
  readonly counters: Record<string, number>;
  readonly samples: Record<string, string>;
}

/** Split a delta into the parts it touches. Pure. */
export const splitDelta = (delta: AggregateDelta): DeltaPart[] => {
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
  readonly marker: string;
  readonly updateExpression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
  readonly fields: readonly string[];
}

/** Marker of chunk `i` of a part update: the intent itself for the first, `<intent>.<i>` after. */
const markerOf = (intent: string, chunk: number): string => (chunk === 0 ? intent : `${intent}.${chunk}`);

/**
 * The update(s) that add a part to its item, split so that no `UpdateExpression` is longer than
 * DynamoDB allows (measured on the built string, in UTF-8 bytes). Each chunk carries its own marker;
 * the split is a pure function of the intent and the part, so a retry rebuilds the same chunks.
 */
export const planPartUpdates = (
  intent: string,
  target: AggregateTarget,
  part: DeltaPart,
  expiresAt: number,
): PartUpdate[] => {
  const fixedNames = {
    '#scope': 'scope',
    '#day': 'day',
    '#slot': 'slot',
    '#exp': 'expiresAt',
    '#mk': MARKER_ATTRIBUTE,
  };
  const fields: { field: string; value: unknown; kind: 'add' | 'sample' }[] = [
    ...Object.entries(part.counters).map(([field, value]) => ({ field, value, kind: 'add' as const })),
    ...Object.entries(part.samples).map(([field, value]) => ({ field, value, kind: 'sample' as const })),
  ];
  const build = (chunk: number, included: typeof fields): PartUpdate => {
    const names: Record<string, string> = { ...fixedNames };
    const values: Record<string, unknown> = {
      ':scope': target.scope,
      ':day': target.day,
      ':slot': target.slot,
      ':exp': expiresAt,
      ':mks': new Set([markerOf(intent, chunk)]),
      ':mk': markerOf(intent, chunk),
    };
    const adds = ['#mk :mks'];
    const sets = ['#scope = :scope', '#day = :day', '#slot = :slot', '#exp = :exp'];
    included.forEach(({ field, value, kind }, i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = value;
      if (kind === 'add') adds.push(`#f${i} :f${i}`);
      else sets.push(`#f${i} = if_not_exists(#f${i}, :f${i})`);
    });
    return {
      marker: markerOf(intent, chunk),
      updateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
      names,
      values,
      fields: included.map((f) => f.field),
    };
  };
  const out: PartUpdate[] = [];
  let current: typeof fields = [];
  for (const f of fields) {
    const candidate = [...current, f];
    if (
      current.length > 0 &&
      Buffer.byteLength(build(out.length, candidate).updateExpression) > EXPRESSION_BUDGET_BYTES
    ) {
      out.push(build(out.length, current));
      current = [f];
    } else current = candidate;
  }
  out.push(build(out.length, current));
  return out;
};

/** Name and message of an error, for a skip record and the log. */
export const errorSummaryOf = (error: unknown): { name: string; message: string } => ({
  name: String((error as { name?: unknown })?.name ?? 'Error'),
  message: String((error as { message?: unknown })?.message ?? error).slice(0, 1024),
});

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
    const expiresAt = this.expiresAt(delta.target.day);
    const updates = splitDelta(delta).flatMap((part) =>
      planPartUpdates(intent, delta.target, part, expiresAt).map((update) => ({ part: part.part, update })),
    );
    const refused = await allSettledOrThrow(
      updates.map(({ part, update }) => this.applyUpdate(delta.target, part, update)),
    );
    const permanent = refused.filter((r): r is RefusedWrite => r !== undefined);
    if (permanent.length > 0) throw new AggregateWriteRefusedError(permanent);
  }

  /** Apply one chunk; a permanent refusal is returned, a transient error thrown. */
  private async applyUpdate(
    target: AggregateTarget,
    part: string,
    update: PartUpdate,
  ): Promise<RefusedWrite | undefined> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: aggregateKey(target.scope, target.day, target.slot, part),
          UpdateExpression: update.updateExpression,
          ConditionExpression: 'attribute_not_exists(#mk) OR NOT contains(#mk, :mk)',
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
        }),
      );
      return undefined;
    } catch (error) {
      // The marker is there: an earlier try of this intent applied this chunk already.
      if (isConditionalCheckFailed(error)) return undefined;
      if (isRetryableAwsError(error)) throw error;
      return { part, fields: update.fields, error: errorSummaryOf(error) };
    }
  }

  async clearMarker(intent: string, delta: AggregateDelta): Promise<void> {
    const expiresAt = this.expiresAt(delta.target.day);
    await allSettledOrThrow(
      splitDelta(delta).map((part) =>
        this.doc
          .send(
            new UpdateCommand({
              TableName: this.tableName,
              Key: aggregateKey(delta.target.scope, delta.target.day, delta.target.slot, part.part),
              UpdateExpression: 'DELETE #mk :mks',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#mk': MARKER_ATTRIBUTE },
              ExpressionAttributeValues: {
                ':mks': new Set(planPartUpdates(intent, delta.target, part, expiresAt).map((u) => u.marker)),
              },
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
