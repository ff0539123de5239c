import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemSize, sentByDocumentClient, storedReadItems, writeUnits } from '../lambdas/shared/aws/item-size';

/**
 * Counting DynamoDB write units from requests, for the benchmark. moto reports a constant
 * ConsumedCapacity, so the meter applies DynamoDB's published billing rules itself:
 * - a write costs ceil(max(size before, size after) / 1 KB) units; in a transaction, twice that;
 * - a write whose condition fails still costs ceil(size of the existing item / 1 KB) units, at least
 *   one ("DynamoDB read and write operations", Developer Guide: a failed conditional write consumes
 *   write capacity by the size of the existing item, or 1 if there is none). The guide does not say
 *   what a cancelled transaction costs; the meter charges each of its items as a transactional write
 *   of the item's existing size (twice the units), the upper bound, so a design built on conditions
 *   is never flattered;
 * - each global secondary index costs a write when an item gains index keys, two when its keys change
 *   (delete + put), one when it loses them, nothing when they are unchanged (KEYS_ONLY projection);
 * - item size is the sum of attribute name lengths and value sizes (strings in UTF-8 bytes, numbers
 *   about 1 byte per 2 digits + 1, 3 bytes of overhead per map or list plus 1 per element).
 * Sizes follow the documented rules approximately (within a few bytes per attribute).
 */

/**
 * Index writes caused by an item write, for KEYS_ONLY indexes keyed by the given attribute pairs,
 * per index (named by its partition-key attribute).
 */
const indexWrites = (
  before: Record<string, AttributeValue> | undefined,
  after: Record<string, AttributeValue> | undefined,
  indexKeys: readonly (readonly [string, string])[],
): Record<string, number> => {
  const writes: Record<string, number> = {};
  const keyOf = (item: Record<string, AttributeValue> | undefined, [pk, sk]: readonly [string, string]) =>
    item?.[pk]?.S !== undefined && item?.[sk]?.S !== undefined ? `${item[pk].S}\n${item[sk].S}` : undefined;
  for (const pair of indexKeys) {
    const a = keyOf(before, pair);
    const b = keyOf(after, pair);
    if (a === b) continue;
    writes[pair[0]] = a !== undefined && b !== undefined ? 2 : 1;
  }
  return writes;
};

/** Totals the meter keeps. */
export interface CostTotals {
  requests: Record<string, number>;
  tableWriteUnits: number;
  indexWriteUnits: number;
  /** Index write units per index, named by its partition-key attribute (e.g. `gsi1pk`). */
  indexWriteUnitsByIndex: Record<string, number>;
  transactionWriteUnits: number;
  /** Writes refused by their condition (a cancelled transaction counts once); their units are in the totals above. */
  failedConditionWrites: number;
  readUnits: number;
  /** Table plus index write units, per table name. */
  writeUnitsByTable: Record<string, number>;
}

const emptyTotals = (): CostTotals => ({
  requests: {},
  tableWriteUnits: 0,
  indexWriteUnits: 0,
  indexWriteUnitsByIndex: {},
  transactionWriteUnits: 0,
  failedConditionWrites: 0,
  readUnits: 0,
  writeUnitsByTable: {},
});

import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

type Key = Record<string, AttributeValue>;
interface WriteOp {
  table: string;
  key: Key;
  put?: Key;
}

/**
 * True when DynamoDB refused a write because its condition failed: a `ConditionalCheckFailedException`,
 * or a transaction cancelled with a `ConditionalCheckFailed` reason (or without reasons, as moto answers).
 */
const isConditionFailure = (error: unknown): boolean => {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (e?.name === 'ConditionalCheckFailedException') return true;
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons === undefined ||
      e.CancellationReasons.some((r) => r.Code === 'ConditionalCheckFailed'))
  );
};

/** Index key pairs per table name, for `indexWrites`. */
type IndexLayout = Record<string, readonly (readonly [string, string])[]>;

/** One metered item write, as `attachCostMeter` reports it to its `onWrite` hook. */
export interface MeteredWrite {
  readonly table: string;
  /** The item's partition key value (`pk`). */
  readonly partitionKey: string;
  /** Table plus index write units of this item write (doubled in a transaction). */
  readonly units: number;
}

/** The item's key: `pk`, and `sk` when the table has one (a table keyed by `pk` alone has none). */
const keyOfItem = (item: Key): Key =>
  item.sk === undefined ? { pk: item.pk! } : { pk: item.pk!, sk: item.sk };

/**
 * Attach a meter to a DynamoDB client. Every write is bracketed by consistent reads of the item
 * through `reader` (a separate, unmetered client) to learn its size before and after.
 * Slows the client down: use it in a cost pass, not a throughput pass.
 */
export const attachCostMeter = (
  client: DynamoDBClient,
  reader: DynamoDBClient,
  layout: IndexLayout,
  /** Called after every metered item write (refused writes included, as billed; the comparison bench counts units per key and second). */
  onWrite?: (write: MeteredWrite) => void,
): CostTotals => {
  const totals = emptyTotals();
  const charge = (
    { table, key }: { table: string; key: Key },
    transaction: boolean,
    units: number,
    byIndex: Record<string, number>,
  ) => {
    if (transaction) totals.transactionWriteUnits += 2 * units;
    else totals.tableWriteUnits += units;
    let index = 0;
    for (const [name, n] of Object.entries(byIndex)) {
      totals.indexWriteUnitsByIndex[name] = (totals.indexWriteUnitsByIndex[name] ?? 0) + n;
      index += n;
    }
    totals.indexWriteUnits += index;
    totals.writeUnitsByTable[table] =
      (totals.writeUnitsByTable[table] ?? 0) + (transaction ? 2 : 1) * units + index;
    onWrite?.({ table, partitionKey: String(key.pk?.S ?? ''), units: (transaction ? 2 : 1) * units + index });
  };
  const read = async (table: string, key: Key) =>
    (await reader.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      totals.requests[name] = (totals.requests[name] ?? 0) + 1;
      const input = args.input as Record<string, unknown>;
      const ops: { op: WriteOp; transaction: boolean }[] = [];
      if (name === 'PutItem' || name === 'UpdateItem' || name === 'DeleteItem') {
        const table = String(input.TableName);
        const key = name === 'PutItem' ? keyOfItem(input.Item as Key) : (input.Key as Key);
        ops.push({ op: { table, key }, transaction: false });
      } else if (name === 'BatchWriteItem') {
        for (const [table, reqs] of Object.entries(
          input.RequestItems as Record<string, { PutRequest?: { Item: Key } }[]>,
        )) {
          for (const r of reqs)
            if (r.PutRequest)
              ops.push({ op: { table, key: keyOfItem(r.PutRequest.Item) }, transaction: false });
        }
      } else if (name === 'TransactWriteItems') {
        for (const t of input.TransactItems as Record<
          string,
          { TableName: string; Key?: Key; Item?: Key }
        >[]) {
          const w = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
          if (w)
            ops.push({ op: { table: w.TableName, key: w.Key ?? keyOfItem(w.Item!) }, transaction: true });
        }
      } else if (name === 'BatchGetItem' || name === 'GetItem' || name === 'Query') {
        totals.readUnits += 0; // counted from responses below
      }
      const before = await Promise.all(ops.map(({ op }) => read(op.table, op.key)));
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        if (isConditionFailure(error)) {
          // Refused writes change nothing (no index write) but are billed by the existing item.
          totals.failedConditionWrites += 1;
          for (const [i, { op, transaction }] of ops.entries())
            charge(op, transaction, writeUnits(itemSize(before[i]), 0), {});
        }
        throw error;
      }
      const output = storedReadItems(result.output, sentByDocumentClient(context));
      if (name === 'BatchGetItem') {
        for (const items of Object.values(output.Responses ?? {}))
          for (const item of items) totals.readUnits += Math.ceil(itemSize(item) / 4096);
      } else if (name === 'GetItem' && output.Item)
        totals.readUnits += Math.ceil(itemSize(output.Item) / 4096);
      else if (name === 'Query')
        totals.readUnits += Math.ceil((output.Items ?? []).reduce((s, i) => s + itemSize(i), 0) / 4096) / 2;
      const after = await Promise.all(ops.map(({ op }) => read(op.table, op.key)));
      for (const [i, { op, transaction }] of ops.entries())
        charge(
          op,
          transaction,
          writeUnits(itemSize(before[i]), itemSize(after[i])),
          indexWrites(before[i], after[i], layout[op.table] ?? []),
        );
      return result;
    },
    { step: 'build', name: 'taskpulseCostMeter' },
  );
  return totals;
};
