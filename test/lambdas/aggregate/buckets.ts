import { paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AGG_FIELD, contributionOf, sumDeltas } from '../../../lambdas/domain/aggregate';
import type { Execution } from '../../../lambdas/domain/execution';
import { slotOfAggregateSort } from '../../../lambdas/shared/names/keys';
import { isProtocolField } from '../../../lambdas/shared/store/aggregate-store';
import type { TestTables } from '../../support/tables';

/** Aggregates as stored and as an oracle computes them, for comparing the two in aggregator tests. */

// Keys, item metadata, write-protocol bookkeeping and the distinct-name counters (bookkeeping of the
// cap) are not counts.
const META = new Set([
  'pk',
  'sk',
  'scope',
  'day',
  'slot',
  'expiresAt',
  AGG_FIELD.errorNames,
  AGG_FIELD.metricNames,
]);

/** Stored aggregate counters per bucket (`pk\nslot`), parts merged. */
export const storedBuckets = async (tables: TestTables): Promise<Map<string, Record<string, unknown>>> => {
  const buckets = new Map<string, Record<string, unknown>>();
  for await (const page of paginateScan(
    { client: tables.client },
    { TableName: tables.stateTable, ConsistentRead: true },
  )) {
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      if (!String(item.pk).startsWith('AG#')) continue;
      const key = `${item.pk}\n${slotOfAggregateSort(String(item.sk))}`;
      const fields = buckets.get(key) ?? {};
      for (const [field, value] of Object.entries(item))
        if (!META.has(field) && !isProtocolField(field)) fields[field] = value;
      buckets.set(key, fields);
    }
  }
  return buckets;
};

/** The buckets an oracle computes from the executions alone, in the same shape. */
export const expectedBuckets = (executions: readonly Execution[]): Map<string, Record<string, unknown>> =>
  new Map(
    sumDeltas(
      executions.flatMap((x) => contributionOf(x, [])).map((delta) => ({ delta, sign: 1 as const })),
    ).map((d) => [`AG#${d.target.scope}#${d.target.day}\n${d.target.slot}`, { ...d.counters, ...d.samples }]),
  );

/** Counters and samples stored, without counters that are zero. */
export const nonZero = (buckets: Map<string, Record<string, unknown>>) =>
  new Map(
    [...buckets].map(([k, fields]) => [
      k,
      Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== 0)),
    ]),
  );
