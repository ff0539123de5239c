import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { attachCostMeter, type CostTotals } from '../cost-meter';
import type { Instrument, Role } from './design';

/**
 * The meters of one design in one bench pass: a cost meter per role (`bench/cost-meter.ts`, DynamoDB's
 * billing rules), items read per role (what the monitor and rollup scaling is about), and every item
 * write with its model time, for the hot-key figure.
 */

/** One item write on the bench's model clock. */
export interface TimedWrite {
  readonly partitionKey: string;
  readonly units: number;
  readonly atMs: number;
}

type IndexLayout = Record<string, readonly (readonly [string, string])[]>;

/** Items a response returned (GetItem, BatchGetItem, Query, Scan). Pure. */
export const itemsInResponse = (output: unknown): number => {
  const o = output as { Item?: unknown; Items?: unknown[]; Responses?: Record<string, unknown[]> };
  if (o.Items !== undefined) return o.Items.length;
  if (o.Responses !== undefined) return Object.values(o.Responses).reduce((s, items) => s + items.length, 0);
  return o.Item === undefined ? 0 : 1;
};

export class DesignMeter {
  readonly totals: Partial<Record<Role, CostTotals>> = {};
  readonly itemsRead: Record<Role, number> = { ingest: 0, aggregate: 0, rollup: 0, monitor: 0 };
  readonly writes: TimedWrite[] = [];
  /** Index key pairs per table, filled by `describeIndexes` (the meter reads it at write time). */
  private readonly layout: IndexLayout = {};

  /**
   * @param aws client settings of the emulator
   * @param clockOf the model time of a role's writes now, ms
   */
  constructor(
    private readonly aws: DynamoDBClientConfig,
    private readonly clockOf: (role: Role) => number,
  ) {}

  /** Attach the meters to a role's client (pass as a design's `instrument`). */
  readonly instrument: Instrument = (client, role) => {
    this.totals[role] = attachCostMeter(client, new DynamoDBClient(this.aws), this.layout, (w) => {
      if (role === 'ingest' || role === 'aggregate')
        this.writes.push({
          partitionKey: `${w.table}/${w.partitionKey}`,
          units: w.units,
          atMs: this.clockOf(role),
        });
    });
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        this.itemsRead[role] += itemsInResponse(result.output);
        return result;
      },
      { step: 'initialize', name: 'benchItemsRead' },
    );
  };

  /** Learn a table's global secondary indexes, so their writes are charged too. */
  async describeIndexes(table: string): Promise<void> {
    const { Table } = await new DynamoDBClient(this.aws).send(new DescribeTableCommand({ TableName: table }));
    this.layout[table] = (Table?.GlobalSecondaryIndexes ?? []).map((index) => {
      const hash = index.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '';
      const range = index.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName ?? '';
      return [hash, range] as const;
    });
  }

  /** Sum of a totals field over roles. */
  sum(roles: readonly Role[], field: 'writeUnits' | 'readUnits' | 'requests'): number {
    return roles.reduce((s, role) => {
      const t = this.totals[role];
      if (t === undefined) return s;
      if (field === 'readUnits') return s + t.readUnits;
      if (field === 'requests') return s + Object.values(t.requests).reduce((a, b) => a + b, 0);
      return s + t.tableWriteUnits + t.indexWriteUnits + t.transactionWriteUnits;
    }, 0);
  }
}
