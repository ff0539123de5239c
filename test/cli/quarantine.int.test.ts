import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../lambdas/ingest/handler-factory';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { DynamoHistoryStore } from '../../lambdas/shared/store/history-store';
import { motoClientConfig } from '../support/aws';
import { makeEvent } from '../support/events';
import { messageOf, sqsEventOf, type TestMessage } from '../support/pipeline';
import { createKnownStack, D2, type KnownStack, NOW_MS } from './support/known-data';
import { type CliRun, taskpulse } from './support/run';

/**
 * `quarantine list|show|replay` against a local stack on moto_server (`--local`): messages the real
 * ingest handler quarantined are listed with their reasons, shown in full, and replayed through the
 * events queue (as stored or edited), after which the same ingest handler stores them.
 */

let known: KnownStack;
let queueUrl: string;
const sqs = new SQSClient(motoClientConfig());
/** The ingest's clock (moved forward to show a message the contract accepts later). */
let ingestNowMs = NOW_MS;
let ingest: ReturnType<typeof createIngestHandler>;

const run = (argv: readonly string[], nowMs = NOW_MS): Promise<CliRun> =>
  taskpulse([...argv, '--local'], { cwd: known.cwd, env: {}, now: () => nowMs });

const MIN = 60_000;
const sentAt = (minutes: number) => NOW_MS - 60 * MIN + minutes * MIN;

/** A valid event of task q-1 but for a status the contract does not know. */
const badStatus = { ...makeEvent({ taskId: 'q-1', eventId: 'q-1.0', occurredAt: `${D2}T11:00:00.000Z` }) };
const BAD_MESSAGES: TestMessage[] = [
  messageOf('{"taskId": "q-0", oops', 'bad-json', sentAt(0)),
  messageOf(JSON.stringify({ ...badStatus, status: 'done' }), 'bad-status', sentAt(10)),
  // Ten minutes ahead of the ingest clock: rejected now, accepted once the clock has caught up.
  messageOf(
    JSON.stringify(
      makeEvent({ taskId: 'q-2', eventId: 'q-2.0', occurredAt: new Date(NOW_MS + 10 * MIN).toISOString() }),
    ),
    'ahead',
    sentAt(20),
  ),
];

const deliver = async (messages: readonly TestMessage[]) => {
  const res = await ingest(sqsEventOf(messages));
  expect(res.batchItemFailures).toEqual([]);
};

/** Every message in the events queue, as the ingest would receive it (and removed from the queue). */
const receiveAll = async (): Promise<TestMessage[]> => {
  const out: TestMessage[] = [];
  for (;;) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    if ((res.Messages ?? []).length === 0) return out;
    for (const m of res.Messages!) {
      out.push({ messageId: m.MessageId!, body: m.Body!, sentAtMs: Number(m.Attributes?.SentTimestamp) });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
};

interface ListedItem {
  id: string;
  messageId: string;
  code: string;
  source: string | null;
  taskId: string | null;
  replayedAt: string | null;
}

const listJson = async (...extra: string[]) => {
  const result = await run(['quarantine', 'list', '--since', D2, '--json', ...extra]);
  expect(result.code).toBe(0);
  return result.json<{ items: ListedItem[]; next: string | null }>();
};

const idOf = async (messageId: string) => (await listJson()).items.find((i) => i.messageId === messageId)!.id;

beforeAll(async () => {
  known = await createKnownStack();
  queueUrl = known.pipeline.stack.outputs[OUTPUT.eventsQueueUrl]!;
  ingest = createIngestHandler({
    store: new DynamoHistoryStore(documentClient(known.pipeline.client), known.pipeline.historyTable, 30),
    ttlDays: 30,
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    now: () => ingestNowMs,
  });
  await deliver(BAD_MESSAGES);
});

afterAll(async () => {
  await known?.pipeline.close();
});

describe('quarantine list', () => {
  it('lists what was quarantined, newest first, with reason, producer and task', async () => {
    const { items, next } = await listJson();

    expect(items.map((i) => [i.messageId, i.code, i.source, i.taskId])).toEqual([
      ['ahead', 'clock', 'billing-worker', 'q-2'],
      ['bad-status', 'schema', 'billing-worker', 'q-1'],
      ['bad-json', 'not-json', null, null],
    ]);
    expect(items[0]!.id).toBe(`${new Date(sentAt(20)).toISOString()}#ahead`);
    expect(next).toBeNull();
  });

  it('filters by reason and pages with --next', async () => {
    expect((await listJson('--reason', 'schema')).items.map((i) => i.messageId)).toEqual(['bad-status']);

    const first = await listJson('--limit', '2');
    expect(first.items.map((i) => i.messageId)).toEqual(['ahead', 'bad-status']);
    const second = await run(['quarantine', 'list', '--next', first.next!, '--json']);
    expect(second.json<{ items: ListedItem[]; next: null }>()).toMatchObject({
      items: [{ messageId: 'bad-json' }],
      next: null,
    });
  });

  it('prints a table with a count per reason', async () => {
    const result = await run(['quarantine', 'list', '--since', D2]);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^SENT\s+REASON\s+PRODUCER\s+TASK ID\s+DETAIL\s+REPLAYED\s+ID$/);
    expect(lines[1]).toMatch(
      /^2026-03-02 11:20:00 {2}clock +billing-worker +q-2 +occurredAt 2026-03-02T12:10:00.000Z is more/,
    );
    expect(result.stdout).toContain('3 shown: clock ×1, not-json ×1, schema ×1');
  });

  it('rejects a reason the contract does not define, listing the ones it does', async () => {
    const result = await run(['quarantine', 'list', '--reason', 'nope']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not-json');
    expect(result.stderr).toContain('too-many-events');
  });
});

describe('quarantine show', () => {
  it('shows one message in full: reason, the original body, and whether it passes now', async () => {
    const id = await idOf('bad-status');

    const result = await run(['quarantine', 'show', id, '--json']);

    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      id,
      messageId: 'bad-status',
      code: 'schema',
      reason: expect.stringContaining('status'),
      body: BAD_MESSAGES[1]!.body,
      truncated: false,
      acceptedNow: false,
      rejectionNow: { code: 'schema' },
    });
    const text = await run(['quarantine', 'show', id]);
    expect(text.stdout).toContain('reason       schema: status:');
    expect(text.stdout).toContain('"status": "done"');
  });

  it('says what is wrong and how to fix it for an unknown or malformed id', async () => {
    const missing = await run(['quarantine', 'show', `${D2}T00:00:00.000Z#nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^taskpulse: no quarantined message .*\n {2}fix: ids are the ID column/);

    const malformed = await run(['quarantine', 'show', 'nope']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('fix: pass the ID column of taskpulse quarantine list');
  });
});

describe('quarantine replay', () => {
  it('is a dry run without --yes: shows the plan and sends nothing', async () => {
    const result = await run(['quarantine', 'replay', '--reason', 'schema']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/schema +q-1 +skip: still schema: status:/);
    expect(result.stdout).toContain('dry run: nothing sent. 0 of 1 would be sent; add --yes to send them.');
    expect(await receiveAll()).toEqual([]);
  });

  it('sends a fixed body for one message; the ingest then stores the execution', async () => {
    const id = await idOf('bad-status');
    const fixed = path.join(known.cwd, 'fixed.json');
    writeFileSync(fixed, JSON.stringify({ ...badStatus, status: 'started' }));

    const result = await run(['quarantine', 'replay', id, '--body-file', fixed, '--yes', '--json']);

    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      dryRun: false,
      sent: 1,
      failed: 0,
      steps: [{ id, action: 'send', edited: true, rejectionNow: null }],
    });
    const delivered = await receiveAll();
    expect(delivered.map((m) => JSON.parse(m.body).status)).toEqual(['started']);
    await deliver(delivered);
    const shown = await run(['show', 'q-1', '--json']);
    expect(shown.code).toBe(0);
    expect(shown.json()).toMatchObject({ execution: { taskId: 'q-1', status: 'started' } });
    expect((await listJson()).items.find((i) => i.messageId === 'bad-status')!.replayedAt).toBe(
      new Date(NOW_MS).toISOString(),
    );
  });

  it('replays a filtered set once the contract accepts it, and does not resend it', async () => {
    const later = NOW_MS + 30 * MIN;
    ingestNowMs = later;

    const result = await run(['quarantine', 'replay', '--since', D2, '--yes'], later);

    expect(result.code).toBe(0);
    // not-json still fails; the edited one was replayed already; the clock one passes now.
    expect(result.stdout).toMatch(/not-json +- +skip: still not-json/);
    expect(result.stdout).toMatch(/schema +q-1 +skip: replayed 2026-03-02 12:00:00/);
    expect(result.stdout).toMatch(/clock +q-2 +send/);
    expect(result.stdout).toContain('sent 1 message to');
    const delivered = await receiveAll();
    expect(delivered.map((m) => m.body)).toEqual([BAD_MESSAGES[2]!.body]);
    await deliver(delivered);
    expect((await run(['show', 'q-2', '--json'], later)).code).toBe(0);

    const again = await run(['quarantine', 'replay', '--since', D2, '--yes', '--json'], later);
    expect(again.json()).toMatchObject({ sent: 0 });
    expect(await receiveAll()).toEqual([]);
  });

  it('needs ids or filters, and one id for --body-file', async () => {
    const none = await run(['quarantine', 'replay']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('fix: pass ids from taskpulse quarantine list, or select with --reason');

    const two = await run(['quarantine', 'replay', 'a#b', 'c#d', '--body-file', 'x.json']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('--body-file replaces the body of one message');
  });
});
