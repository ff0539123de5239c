import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AggregateDelta } from '../../domain/aggregate';
import { isConditionalCheckFailed } from '../errors';
import { aggregateKey, parseScope, scopeRegistryKey } from '../names/keys';
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
  /** Add a delta to its aggregate item unless this intent already did (idempotent). */
  applyDelta(intent: string, delta: AggregateDelta): Promise<void>;
  /** Remove this intent's marker from an aggregate item (idempotent). */
  clearMarker(intent: string, delta: AggregateDelta): Promise<void>;
  /** Record that scopes had activity on days (idempotent). */
  registerScopes(targets: readonly { scope: string; day: string }[]): Promise<void>;
}

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
    await allSettledOrThrow(splitDelta(delta).map((part) => this.applyPart(intent, delta, part)));
  }

  private async applyPart(intent: string, delta: AggregateDelta, part: DeltaPart): Promise<void> {
    const names: Record<string, string> = {
      '#scope': 'scope',
      '#day': 'day',
      '#slot': 'slot',
      '#exp': 'expiresAt',
      '#mk': MARKER_ATTRIBUTE,
    };
    const values: Record<string, unknown> = {
      ':scope': delta.target.scope,
      ':day': delta.target.day,
      ':slot': delta.target.slot,
      ':exp': this.expiresAt(delta.target.day),
      ':mks': new Set([intent]),
      ':mk': intent,
    };
    const adds: string[] = ['#mk :mks'];
    const sets: string[] = ['#scope = :scope', '#day = :day', '#slot = :slot', '#exp = :exp'];
    Object.entries(part.counters).forEach(([field, value], i) => {
      names[`#c${i}`] = field;
      values[`:c${i}`] = value;
      adds.push(`#c${i} :c${i}`);
    });
    Object.entries(part.samples).forEach(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = if_not_exists(#s${i}, :s${i})`);
    });
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: aggregateKey(delta.target.scope, delta.target.day, delta.target.slot, part.part),
          UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#mk) OR NOT contains(#mk, :mk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // The marker is there: an earlier try of this intent applied this part already.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async clearMarker(intent: string, delta: AggregateDelta): Promise<void> {
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
              ExpressionAttributeValues: { ':mks': new Set([intent]) },
            }),
          )
          .catch((error: unknown) => {
            if (!isConditionalCheckFailed(error)) throw error;
          }),
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
