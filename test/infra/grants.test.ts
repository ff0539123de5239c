import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALERT_STATE_PARTITION,
  aggregateKey,
  EXECUTION_PK_PREFIX,
  executionKey,
  PARTITION,
  quarantineKey,
  rollupKey,
  runRecordKey,
  scopeRegistryKey,
} from '../../lambdas/shared/names/keys';
import { defaultStack, logicalIdOf, type Synthesized } from './support/synth';

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every identity-policy statement of a function's role. */
const statementsOf = (synth: Synthesized, fn: lambda.IFunction): Statement[] => {
  const roleId = logicalIdOf(synth.stack, fn.role as iam.Role);
  return Object.values(synth.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(roleId))
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
};
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** The DynamoDB data actions a function may call on a table, sorted, and the key patterns its writes are held to. */
const tableAccessOf = (
  synth: Synthesized,
  fn: lambda.IFunction,
  table: { node: { defaultChild?: unknown } },
) => {
  const tableId = logicalIdOf(synth.stack, table);
  const onTable = statementsOf(synth, fn).filter(
    (s) =>
      JSON.stringify(s.Resource).includes(`"${tableId}"`) &&
      !JSON.stringify(s.Resource).includes('StreamArn') &&
      actionsOf(s).some((a) => a.startsWith('dynamodb:') && !/Stream|ShardIterator|GetRecords/.test(a)),
  );
  const actions = onTable.flatMap(actionsOf).sort();
  const writes = onTable.filter((s) => actionsOf(s).some((a) => /Put|Update|Delete|Write/.test(a)));
  const leadingKeys = writes.map((s) => s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']);
  return { actions, writes, leadingKeys };
};

describe('least-privilege table grants', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = defaultStack();
  });

  it('lets ingest read executions and write only executions and quarantine records in the history table', () => {
    const tp = synth.stack.taskpulse;
    const history = tableAccessOf(synth, tp.ingestFunction, tp.historyTable);
    expect(history.actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem']);
    expect(history.leadingKeys).toEqual([['EX#*', 'Q#*']]);
    expect(tableAccessOf(synth, tp.ingestFunction, tp.stateTable).actions).toEqual([]);
  });

  it('lets the aggregator touch only its ledger, aggregates, scope registry, dirty-day marks and skip records, and nothing in the history table', () => {
    const tp = synth.stack.taskpulse;
    const state = tableAccessOf(synth, tp.aggregateFunction, tp.stateTable);
    expect(state.actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(state.leadingKeys).toEqual([['LG', 'AG#*', 'SC#*', 'DIRTY', 'AS#*']]);
    // The stream is read through the event source mapping's stream grant, not a table data grant.
    expect(tableAccessOf(synth, tp.aggregateFunction, tp.historyTable).actions).toEqual([]);
  });

  it('lets the rollup query the state table and write only rollups, the dirty-day marks it clears and its run record', () => {
    const tp = synth.stack.taskpulse;
    const state = tableAccessOf(synth, tp.alerting.rollupFunction, tp.stateTable);
    expect(state.actions).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(state.leadingKeys).toEqual([['RU#*', 'DIRTY', 'RUN#rollup']]);
    expect(tableAccessOf(synth, tp.alerting.rollupFunction, tp.historyTable).actions).toEqual([]);
  });

  it('lets the monitor write only alert states and its run record, and only read the history table', () => {
    const tp = synth.stack.taskpulse;
    const state = tableAccessOf(synth, tp.alerting.monitorFunction, tp.stateTable);
    expect(state.actions).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    expect(state.leadingKeys).toEqual([['AL', 'RUN#monitor']]);
    const history = tableAccessOf(synth, tp.alerting.monitorFunction, tp.historyTable);
    expect(history.actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    expect(history.writes).toEqual([]);
  });

  it('lets the monitor query only the indexes of the history table, and no function scan', () => {
    const tp = synth.stack.taskpulse;
    const historyId = logicalIdOf(synth.stack, tp.historyTable);
    const query = statementsOf(synth, tp.alerting.monitorFunction).find(
      (s) => JSON.stringify(s.Resource).includes(historyId) && actionsOf(s).includes('dynamodb:Query'),
    );
    expect(JSON.stringify(query?.Resource)).toContain('/index/*');
    const all = [
      tp.ingestFunction,
      tp.aggregateFunction,
      tp.alerting.rollupFunction,
      tp.alerting.monitorFunction,
    ];
    for (const fn of all) expect(statementsOf(synth, fn).flatMap(actionsOf)).not.toContain('dynamodb:Scan');
  });
});

describe('partition patterns of the grants', () => {
  it('match the keys the stores write', () => {
    const matches = (pattern: string, pk: string) =>
      pattern.endsWith('*') ? pk.startsWith(pattern.slice(0, -1)) : pk === pattern;
    expect(matches(`${PARTITION.execution}*`, executionKey('t-1').pk)).toBe(true);
    expect(matches(`${PARTITION.quarantine}*`, quarantineKey('2026-03-02T10:00:00.000Z', 'm-1').pk)).toBe(
      true,
    );
    expect(matches(`${PARTITION.aggregate}*`, aggregateKey('send_invoice', '2026-03-02', '10:05').pk)).toBe(
      true,
    );
    expect(matches(`${PARTITION.scopeRegistry}*`, scopeRegistryKey('2026-03-02', 'send_invoice').pk)).toBe(
      true,
    );
    expect(matches(`${PARTITION.rollup}*`, rollupKey('2026-03-02', 'send_invoice').pk)).toBe(true);
    expect(PARTITION.alertState).toBe(ALERT_STATE_PARTITION);
    expect(PARTITION.monitorRun).toBe(runRecordKey('monitor').pk);
    expect(PARTITION.rollupRun).toBe(runRecordKey('rollup').pk);
    expect(PARTITION.execution).toBe(EXECUTION_PK_PREFIX);
  });

  it('do not overlap, so one kind of item never falls under another kind’s grant', () => {
    const prefixes = Object.values(PARTITION);
    for (const a of prefixes)
      for (const b of prefixes) if (a !== b) expect(a.startsWith(b), `${a} under ${b}`).toBe(false);
  });
});
