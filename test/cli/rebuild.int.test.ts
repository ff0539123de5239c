import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoRebuildDeps } from '../../cli/commands/rebuild';
import { rebuild } from '../../cli/ops/rebuild';
import { runRollup } from '../../lambdas/rollup/run-rollup';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { isProtocolField } from '../../lambdas/shared/store/aggregate-store';
import { DynamoRollupStore } from '../../lambdas/shared/store/rollup-store';
import { motoClientConfig } from '../support/aws';
import { makeLifecycle } from '../support/events';
import { messageOf } from '../support/pipeline';
import { createKnownStack, D1, D2, type KnownStack, NOW_MS } from './support/known-data';
import { type CliRun, taskpulse } from './support/run';

/**
 * `rebuild` against a local stack on moto_server (`--local`): after aggregate items, a registry entry
 * and a rollup are deleted or corrupted, a rebuild restores exactly the aggregates and rollups the
 * real aggregator and rollup code produced from the same executions; a second run finds nothing to do.
 */

let known: KnownStack;
const run = (...argv: string[]): Promise<CliRun> =>
  taskpulse([...argv, '--local', '--no-progress'], { cwd: known.cwd, env: {}, now: () => NOW_MS });

type Item = Record<string, unknown>;

/**
 * Aggregate items as a reader sees them: no write-protocol bookkeeping (in-flight markers, per-shard
 * high-water tokens), no zero counters (an aggregate that
 * went up and down again keeps a 0), no items left with nothing to count.
 */
const aggregates = async (): Promise<Record<string, Item>> => {
  const out: Record<string, Item> = {};
  for (const item of await known.pipeline.scan(known.pipeline.stateTable)) {
    if (!String(item.pk).startsWith('AG#')) continue;
    const kept = Object.fromEntries(Object.entries(item).filter(([k, v]) => !isProtocolField(k) && v !== 0));
    const counts = Object.keys(kept).filter(
      (k) => !['pk', 'sk', 'scope', 'day', 'slot', 'expiresAt'].includes(k),
    );
    if (counts.length > 0) out[`${item.pk} ${item.sk}`] = kept;
  }
  return out;
};

const itemsWith = async (prefix: string) =>
  (await known.pipeline.scan(known.pipeline.stateTable)).filter((i) => String(i.pk).startsWith(prefix));

const key = (pk: string, sk: string) => marshall({ pk, sk });

let clean: { aggregates: Record<string, Item>; rollups: Item[]; registry: Item[] };

beforeAll(async () => {
  known = await createKnownStack();
  // A task that crosses midnight: created and started on D1, finished on D2.
  const late = makeLifecycle({
    taskId: 'mid-1',
    taskType: 'resize_image',
    startMs: Date.parse(`${D1}T23:58:00Z`),
    waitMs: 60_000,
    runMs: 240_000,
  });
  expect(await known.pipeline.deliver(late.map((e, i) => messageOf(e, `mid-${i}`, NOW_MS)))).toEqual([]);
  await known.pipeline.aggregate();
  const doc = documentClient(known.pipeline.client);
  await runRollup(
    {
      aggregates: new DynamoAggregateReader(doc, known.pipeline.stateTable),
      rollups: new DynamoRollupStore(doc, known.pipeline.stateTable),
      now: () => NOW_MS,
    },
    D1,
    D2,
  );
  clean = {
    aggregates: await aggregates(),
    rollups: await itemsWith('RU#'),
    registry: await itemsWith('SC#'),
  };
});

afterAll(async () => {
  await known?.pipeline.close();
});

interface Change {
  scope: string;
  day: string;
  slot: string;
  fields: Record<string, { before: number; after: number }>;
}

describe('rebuild', () => {
  it('finds nothing to change on aggregates the aggregator computed', async () => {
    const result = await run('rebuild', '--from', D1, '--to', D2, '--json');

    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      dryRun: true,
      taskTypes: ['resize_image', 'send_invoice', 'sync_orders'],
      dimensionKeys: ['marketplace'],
      executionsRead: 19,
      changes: [],
      written: 0,
      lookbackWarning: null,
    });
  });

  it('counts an execution created the day before the range in the range, and warns without lookback', async () => {
    const withLookback = await run('rebuild', '--from', D2, '--to', D2, '--json');
    expect(withLookback.json()).toMatchObject({ changes: [] });

    const without = await run('rebuild', '--from', D2, '--to', D2, '--lookback', '0', '--json');

    // Without D1's executions the finish of mid-1 (D2 00:02) looks like a count to remove.
    expect(without.json<{ changes: Change[] }>().changes).toEqual([
      expect.objectContaining({ scope: 'resize_image', day: D2, slot: '00:00' }),
    ]);
    expect(without.json<{ lookbackWarning: string }>().lookbackWarning).toContain(
      `executions created before ${D2} may count in the range too; raise --lookback to at least 1`,
    );
  });

  it('shows the buckets that differ without writing, then restores exactly what a clean aggregation gave', async () => {
    const c = known.pipeline.client;
    const table = known.pipeline.stateTable;
    const slotOf = (scope: string, day: string) =>
      Object.values(clean.aggregates)
        .filter((i) => i.pk === `AG#${scope}#${day}` && String(i.sk).length === 5)
        .map((i) => String(i.sk));
    const [invFirst, invSecond] = slotOf('send_invoice', D2);
    // Lost: a core item, every item of a dimension scope and its registry entry, the finish bucket
    // of the task that crossed midnight, and a rollup. Corrupted: a counter. Invented: a bucket.
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`AG#send_invoice#${D2}`, invFirst!) }));
    await c.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key(`AG#send_invoice#${D2}`, invSecond!),
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: marshall({ ':n': 999 }),
      }),
    );
    for (const item of await itemsWith(`AG#send_invoice|marketplace=DE#${D2}`))
      await c.send(new DeleteItemCommand({ TableName: table, Key: key(String(item.pk), String(item.sk)) }));
    await c.send(
      new DeleteItemCommand({ TableName: table, Key: key(`SC#${D2}`, 'send_invoice|marketplace=DE') }),
    );
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`AG#resize_image#${D2}`, '00:00') }));
    await c.send(
      new PutItemCommand({
        TableName: table,
        Item: marshall({ pk: `AG#resize_image#${D1}`, sk: '03:00', n: 5, c_succeeded: 5 }),
      }),
    );
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`RU#${D2}`, 'send_invoice') }));
    // Lost only from the registry (its buckets are intact), so its rollup was not recomputed either.
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`SC#${D1}`, 'resize_image') }));
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`RU#${D1}`, 'resize_image') }));
    const corrupted = await aggregates();
    expect(corrupted).not.toEqual(clean.aggregates);

    const dry = await run('rebuild', '--from', D1, '--to', D2);

    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`send_invoice +${D2} +${invSecond} +n 999→1\\b`));
    expect(dry.stdout).toMatch(new RegExp(`resize_image +${D1} +03:00 +c_succeeded 5→0, n 5→0`));
    expect(dry.stdout).toMatch(new RegExp(`send_invoice\\|marketplace=DE +${D2} `));
    expect(dry.stdout).toContain(
      `2 scope registry entries missing (rollups skip those scopes): resize_image on ${D1}, send_invoice|marketplace=DE on ${D2}`,
    );
    expect(dry.stdout).toContain('dry run: nothing written; add --yes to correct these buckets');
    expect(await aggregates()).toEqual(corrupted);

    const fixed = await run('rebuild', '--from', D1, '--to', D2, '--yes');

    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('added 2 registry entries');
    expect(fixed.stdout).toContain('recomputed the rollups of 2 days (in-process against');
    expect(await aggregates()).toEqual(clean.aggregates);
    expect(await itemsWith('SC#')).toEqual(clean.registry);
    expect(await itemsWith('RU#')).toEqual(clean.rollups);

    const again = await run('rebuild', '--from', D1, '--to', D2, '--json');
    expect(again.json()).toMatchObject({ changes: [] });
  });

  it('applies each correction once when DynamoDB loses the answer after the write and the SDK retries it', async () => {
    const c = known.pipeline.client;
    const table = known.pipeline.stateTable;
    await c.send(new DeleteItemCommand({ TableName: table, Key: key(`AG#sync_orders#${D2}`, '08:00') }));
    // Every marked aggregate update succeeds, then its answer is lost once: the SDK sends it again.
    const faulty = new DynamoDBClient(motoClientConfig());
    const answered = new Set<string>();
    let lost = 0;
    faulty.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const input = args.input as { Key?: unknown; ExpressionAttributeValues?: Record<string, unknown> };
        const marked = JSON.stringify(input.ExpressionAttributeValues ?? {}).includes('rebuild-');
        const id = JSON.stringify(input.Key);
        if (marked && input.Key !== undefined && !answered.has(id)) {
          answered.add(id);
          lost++;
          throw Object.assign(new Error('socket timed out after the write'), {
            name: 'TimeoutError',
            $metadata: {},
          });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseAnswerAfterWrite' },
    );

    const result = await rebuild(
      dynamoRebuildDeps(documentClient(faulty), {
        historyTable: known.pipeline.historyTable,
        stateTable: table,
        aggregateRetentionDays: 400,
        now: () => NOW_MS,
      }),
      { from: D2, to: D2, lookbackDays: 1, write: true },
    );
    faulty.destroy();

    expect(result.written).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(0);
    expect(await aggregates()).toEqual(clean.aggregates);
  });

  it('refuses a range whose executions may have expired, and a range in the future', async () => {
    const old = await run('rebuild', '--from', '2026-01-20', '--to', D1);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/may have expired from the history table \(kept 30 days\)/);
    expect(old.stderr).toContain('fix: use --from 2026-02-02 or later');

    const future = await run('rebuild', '--from', D2, '--to', '2026-03-03');
    expect(future.code).toBe(2);
    expect(future.stderr).toContain('fix: use --to 2026-03-02 at most');
  });
});
