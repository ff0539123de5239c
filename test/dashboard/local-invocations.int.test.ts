import { QueryCommand as RawQueryCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { observeHandler, onLocalActivity } from '../../dashboard/aws/local-invocations';
import type { DynamoRequestRecord } from '../../dashboard/aws/service-metrics';
import { resolveMonitorConfig } from '../../lambdas/domain/rules/config';
import { type MonitorDeps, runMonitor } from '../../lambdas/monitor/run-monitor';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../../lambdas/shared/store/alert-state-store';
import { DynamoRunLookup } from '../../lambdas/shared/store/run-lookup';
import { runs } from '../lambdas/monitor/runs';
import { RecordingPublisher } from '../support/fakes/stores';
import { createTestTables, TestFeed } from '../support/tables';

/**
 * Local mode's tap on the functions' DynamoDB requests (what the local dashboard graphs as
 * AWS/DynamoDB), on moto_server: it must measure what the functions read without changing what they
 * get, whichever client (document or plain) they read through.
 */

const at = (iso: string) => Date.parse(iso);

let stopListening: (() => void) | undefined;
afterEach(() => stopListening?.());

/** Record the DynamoDB requests the tapped functions make, as the local dashboard does. */
const listen = (): DynamoRequestRecord[] => {
  const requests: DynamoRequestRecord[] = [];
  stopListening = onLocalActivity({ invocation: () => {}, dynamoRequest: (r) => requests.push(r) });
  return requests;
};

/** Run `body` as the invocation of a local function, so its DynamoDB requests are tapped. */
const invoke = <T>(body: () => Promise<T>): Promise<T> =>
  observeHandler('Local-Function', async (_event: unknown, _context: unknown) => body())(
    {} as never,
    {} as never,
  );

describe('local DynamoDB request tap', () => {
  it('lets the monitor run again after its first alert, with the cleared message read back as null', async () => {
    // Prepare: an hour with 35% failures, the monitor's stores on moto, the dashboard listening.
    const tables = await createTestTables();
    const publisher = new RecordingPublisher();
    const deps: MonitorDeps = {
      aggregates: new DynamoAggregateReader(tables.doc, tables.stateTable),
      runs: new DynamoRunLookup(tables.doc, tables.historyTable),
      states: new DynamoAlertStateStore(tables.doc, tables.stateTable),
      publisher,
      config: resolveMonitorConfig({ defaults: { alerts: { reminderIntervalMs: 3_600_000 } } }),
      stage: 'test',
    };
    const hour = runs('send_invoice', '2026-03-02T09:00:00Z', 55, 20, (i) => i % 3 === 0);
    await new TestFeed(tables).send(hour.events, at('2026-03-02T10:00:00Z'));
    const requests = listen();

    // Act: the run that fires the alert (its state keeps `pending: null` once sent), then the next one.
    const first = await invoke(() => runMonitor(deps, at('2026-03-02T10:00:00Z')));
    const second = invoke(() => runMonitor(deps, at('2026-03-02T10:05:00Z')));

    // Assess: one ALARM, and the next run reads the alert state back and stays quiet.
    expect(first.failures).toEqual([]);
    expect(publisher.take().map((a) => a.subject)).toEqual([
      '[ALARM] send_invoice failure rate 35.0% > 20% (last 1h)',
    ]);
    await expect(second).resolves.toMatchObject({ failures: [] });
    expect(publisher.take()).toEqual([]);
    const stateQueries = requests.filter((r) => r.operation === 'Query' && r.tableName === tables.stateTable);
    expect(stateQueries.length).toBeGreaterThan(0);
    expect(stateQueries.every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('counts read units by the size of the items read, through the document client and the plain one', async () => {
    // Prepare: one 6 KB item (six 1 KB write units; two 4 KB read units when read strongly consistent).
    const tables = await createTestTables();
    const key = { pk: 'BIG', sk: 'one' };
    const requests = listen();
    await invoke(() =>
      tables.doc.send(
        new PutCommand({
          TableName: tables.stateTable,
          Item: { ...key, blob: 'x'.repeat(6_000), gone: null },
        }),
      ),
    );

    // Act: the same query through both clients.
    const query = { TableName: tables.stateTable, KeyConditionExpression: 'pk = :pk', ConsistentRead: true };
    const viaDocument = await invoke(() =>
      tables.doc.send(new QueryCommand({ ...query, ExpressionAttributeValues: { ':pk': 'BIG' } })),
    );
    await invoke(() =>
      tables.client.send(
        new RawQueryCommand({ ...query, ExpressionAttributeValues: { ':pk': { S: 'BIG' } } }),
      ),
    );

    // Assess: the document client still gets plain values; the write is charged 6 units, both reads 2.
    expect(viaDocument.Items).toEqual([{ ...key, blob: 'x'.repeat(6_000), gone: null }]);
    expect(requests.map((r) => [r.operation, r.readUnits, r.writeUnits, r.outcome])).toEqual([
      ['PutItem', 0, 6, 'ok'],
      ['Query', 2, 0, 'ok'],
      ['Query', 2, 0, 'ok'],
    ]);
  });

  it('taps each request once when a second copy of the module is loaded (modules reset between test files)', async () => {
    // Prepare: this copy listening, then a fresh copy of the module (as `vi.resetModules()` gives) too.
    const tables = await createTestTables();
    const requests = listen();
    vi.resetModules();
    const second = await import('../../dashboard/aws/local-invocations');
    const secondRequests: DynamoRequestRecord[] = [];
    const stopSecond = second.onLocalActivity({
      invocation: () => {},
      dynamoRequest: (r) => secondRequests.push(r),
    });

    // Act: a function of the second copy reads through a client the first copy has tapped already.
    const key = { TableName: tables.stateTable, Key: { pk: 'ONCE', sk: 'X' } };
    try {
      await invoke(() => tables.doc.send(new GetCommand(key)));
      await second.observeHandler('Local-Function', async (_e: unknown, _c: unknown) =>
        tables.doc.send(new GetCommand(key)),
      )({} as never, {} as never);
    } finally {
      stopSecond();
    }

    // Assess: no duplicate tap on the client, and every listener hears each request exactly once.
    expect(requests.map((r) => r.operation)).toEqual(['GetItem', 'GetItem']);
    expect(secondRequests.map((r) => r.operation)).toEqual(['GetItem', 'GetItem']);
  });
});
