import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binOf, valueOfBin } from '../../lambdas/domain/histogram';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { motoClientConfig } from '../support/aws';
import { makeLifecycle } from '../support/events';
import { messageOf } from '../support/pipeline';
import { createKnownStack, D1, D2, INVALID, type KnownStack, NOW_MS, TIMEOUT } from './support/known-data';
import { type CliRun, taskpulse } from './support/run';

/**
 * Every command against a local stack on moto_server with known data (see support/known-data.ts),
 * found through the local stack file with `--local`. `--json` output is asserted exactly; table output
 * on its key lines.
 */

let known: KnownStack;
const run = (...argv: string[]): Promise<CliRun> =>
  taskpulse([...argv, '--local'], { cwd: known.cwd, env: {}, now: () => NOW_MS });

/** The value a percentile of these run times reads back as (its histogram bin's representative). */
const approx = (ms: number) => valueOfBin(binOf(ms));

beforeAll(async () => {
  known = await createKnownStack();
});

afterAll(async () => {
  await known?.pipeline.close();
});

describe('stats', () => {
  it('sums the daily rollups per task type', async () => {
    const result = await run('stats', '--days', '2', '--to', D2, '--json');

    expect(result.code).toBe(0);
    const day = (
      d: string,
      total: number,
      s: number,
      f: number,
      c: number,
      retried: number,
      p50: number,
      p95: number,
    ) => ({
      day: d,
      total,
      succeeded: s,
      failed: f,
      cancelled: c,
      failureRate: f / total,
      retried,
      runP50Ms: approx(p50),
      runP95Ms: approx(p95),
    });
    const scope = (taskType: string) => ({ scope: taskType, taskType, dimension: null });
    expect(result.json()).toEqual({
      from: D1,
      to: D2,
      days: [D1, D2],
      daysWithoutRollups: [],
      percentileRelativeError: 0.02,
      scopes: [
        {
          ...scope('resize_image'),
          total: 5,
          succeeded: 4,
          failed: 0,
          cancelled: 1,
          failureRate: 0,
          retried: 0,
          runCount: 5,
          runAvgMs: (3 * 500 + 2_000 + 800) / 5,
          runP95MsWorstDay: approx(2_000),
          daily: [day(D1, 4, 3, 0, 1, 0, 500, 2_000), day(D2, 1, 1, 0, 0, 0, 800, 800)],
        },
        {
          ...scope('send_invoice'),
          total: 11,
          succeeded: 8,
          failed: 3,
          cancelled: 0,
          failureRate: 3 / 11,
          retried: 1,
          runCount: 11,
          runAvgMs: 2_000,
          runP95MsWorstDay: approx(2_000),
          daily: [day(D2, 11, 8, 3, 0, 1, 2_000, 2_000)],
        },
        {
          ...scope('sync_orders'),
          total: 1,
          succeeded: 0,
          failed: 1,
          cancelled: 0,
          failureRate: 1,
          retried: 0,
          runCount: 1,
          runAvgMs: 2_000,
          runP95MsWorstDay: approx(2_000),
          daily: [day(D2, 1, 0, 1, 0, 0, 2_000, 2_000)],
        },
      ],
    });
  });

  it('prints a table per task type and names the days without rollups', async () => {
    const result = await run('stats', '--days', '3', '--to', D2);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('Rollups 2026-02-28 .. 2026-03-02 (3 days, UTC) · percentiles within 2%');
    expect(lines).toContain(
      'TASK TYPE     TOTAL  SUCCEEDED  FAILED  CANCELLED  FAILURE RATE  RETRIED  AVG RUN  P95 RUN (WORST DAY)',
    );
    expect(lines).toContain(
      'send_invoice     11          8       3          0         27.3%        1     2.0s                 2.0s',
    );
    expect(result.stdout).toContain('No rollups for 2026-02-28');
    expect(result.stdout).toContain('taskpulse backfill --from 2026-02-28 --to 2026-02-28');
  });

  it('breaks a task type down by a configured dimension', async () => {
    const report = (
      await run('stats', '--days', '1', '--to', D2, '--dimension', 'marketplace', '--json')
    ).json<{
      scopes: { scope: string; total: number }[];
    }>();

    expect(report.scopes.map((s) => [s.scope, s.total])).toEqual([
      ['send_invoice|marketplace=DE', 4],
      ['send_invoice|marketplace=FR', 4],
    ]);
  });
});

const row = (
  taskId: string,
  taskType: string,
  createdAt: string,
  fields: { status?: string; attempt?: number; startedAt?: string | null; finishedAt?: string | null } & {
    runMs?: number | null;
    error?: { type: string; message: string } | null;
    dimensions?: Record<string, string>;
  } = {},
) => ({
  taskId,
  taskType,
  status: fields.status ?? 'succeeded',
  attempt: fields.attempt ?? 1,
  createdAt,
  startedAt: fields.startedAt === undefined ? plus(createdAt, 1_500) : fields.startedAt,
  finishedAt: fields.finishedAt === undefined ? plus(createdAt, 3_500) : fields.finishedAt,
  runMs: fields.runMs === undefined ? 2_000 : fields.runMs,
  errorType: fields.error?.type ?? null,
  errorMessage: fields.error?.message ?? null,
  dimensions: fields.dimensions ?? {},
});
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe('failures', () => {
  it('lists the failures of the last hour, newest first, with their errors', async () => {
    const result = await run('failures', '--since', '1h', '--json');

    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      since: '2026-03-02T11:00:00.000Z',
      until: '2026-03-02T12:00:00.000Z',
      taskType: null,
      items: [
        row('inv-11', 'send_invoice', '2026-03-02T11:45:00.000Z', { status: 'failed', error: INVALID }),
        row('inv-10', 'send_invoice', '2026-03-02T11:35:00.000Z', {
          status: 'failed',
          attempt: 2,
          startedAt: '2026-03-02T11:35:04.000Z',
          finishedAt: '2026-03-02T11:35:06.000Z',
          error: TIMEOUT,
        }),
        row('inv-09', 'send_invoice', '2026-03-02T11:30:00.000Z', { status: 'failed', error: TIMEOUT }),
      ],
      next: null,
    });
  });

  it('reaches further back with --since and prints a table', async () => {
    const result = await run('failures', '--since', '6h');

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^FINISHED +TASK TYPE +TASK ID +ATTEMPT +RUN +ERROR TYPE +MESSAGE$/);
    expect(lines).toContain(
      '2026-03-02 11:35:06  send_invoice  inv-10         2  2.0s  TimeoutError     upstream did not answer within 30 s',
    );
    expect(lines).toContain(
      '2026-03-02 08:00:03  sync_orders   ord-01         1  2.0s  ConnectionError  database is down',
    );
    expect(result.stdout).toContain('4 failed executions since 2026-03-02 06:00:00 UTC');
  });

  it('filters by task type', async () => {
    const page = (await run('failures', '--since', '6h', '--type', 'sync_orders', '--json')).json<{
      items: { taskId: string }[];
    }>();

    expect(page.items.map((i) => i.taskId)).toEqual(['ord-01']);
  });
});

interface HistoryPage {
  query: unknown;
  orderedBy: string;
  items: { taskId: string; status: string }[];
  next: string | null;
}

/** Every page of a history query, following `--next`. */
const allPages = async (...argv: string[]): Promise<HistoryPage[]> => {
  const pages: HistoryPage[] = [];
  let next: string | null = null;
  do {
    const result = await run('history', ...argv, '--json', ...(next === null ? [] : ['--next', next]));
    expect(result.code, result.stderr).toBe(0);
    const page = result.json<HistoryPage>();
    pages.push(page);
    next = page.next;
  } while (next !== null && pages.length < 10);
  return pages;
};

describe('history', () => {
  it('pages through one task type newest first, across shards, without gaps or repeats', async () => {
    const pages = await allPages('--type', 'send_invoice', '--limit', '5');

    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 2]);
    expect(pages.flatMap((p) => p.items.map((i) => i.taskId))).toEqual([
      'inv-12',
      'inv-11',
      'inv-10',
      'inv-09',
      'inv-08',
      'inv-07',
      'inv-06',
      'inv-05',
      'inv-04',
      'inv-03',
      'inv-02',
      'inv-01',
    ]);
    expect(pages[0]!.query).toEqual({
      taskType: 'send_invoice',
      status: null,
      from: '2026-03-01T12:00:00.000Z',
      to: '2026-03-02T12:00:00.000Z',
    });
    expect(pages[0]!.orderedBy).toBe('createdAt');
  });

  it('returns whole rows', async () => {
    const page = (
      await run(
        'history',
        '--type',
        'send_invoice',
        '--limit',
        '1',
        '--from',
        '2026-03-02T10:00:00Z',
        '--to',
        '2026-03-02T10:01:00Z',
        '--json',
      )
    ).json<HistoryPage>();

    expect(page).toEqual({
      query: {
        taskType: 'send_invoice',
        status: null,
        from: '2026-03-02T10:00:00.000Z',
        to: '2026-03-02T10:01:00.000Z',
      },
      orderedBy: 'createdAt',
      items: [
        row('inv-01', 'send_invoice', '2026-03-02T10:00:00.000Z', { dimensions: { marketplace: 'DE' } }),
      ],
      next: null,
    });
  });

  it('filters by status across every task type of the range, a page at a time', async () => {
    const pages = await allPages('--status', 'succeeded', '--from', D1, '--limit', '5');

    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 2]);
    expect(pages.flatMap((p) => p.items.map((i) => i.taskId))).toEqual([
      'inv-08',
      'inv-07',
      'inv-06',
      'inv-05',
      'inv-04',
      'inv-03',
      'inv-02',
      'inv-01',
      'img-05',
      'img-03',
      'img-02',
      'img-01',
    ]);
  });

  it('reads failed executions from the byStatus index, by finish time', async () => {
    const page = (await run('history', '--status', 'failed', '--json')).json<HistoryPage>();

    expect(page.orderedBy).toBe('finishedAt');
    expect(page.items.map((i) => i.taskId)).toEqual(['inv-11', 'inv-10', 'inv-09', 'ord-01']);
  });

  it('prints a table with the command for the next page', async () => {
    const result = await run('history', '--type', 'send_invoice', '--limit', '2');

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^CREATED +TASK ID +TASK TYPE +STATUS +ATTEMPT +RUN +ERROR$/);
    expect(lines[1]).toBe('2026-03-02 11:50:00  inv-12   send_invoice  started        1     -  -');
    expect(lines[2]).toBe(
      '2026-03-02 11:45:00  inv-11   send_invoice  failed         1  2.0s  ValidationError: amount must be positive',
    );
    expect(result.stdout).toMatch(/next page: repeat the command with --next [A-Za-z0-9_-]+\n$/);
  });

  it('refuses a --next token of another query', async () => {
    const first = (
      await run('history', '--type', 'send_invoice', '--limit', '2', '--json')
    ).json<HistoryPage>();

    const result = await run('history', '--type', 'resize_image', '--next', first.next!);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the --next token belongs to another query');
  });
});

describe('show', () => {
  it('shows one execution with its attempts and events', async () => {
    const result = await run('show', 'inv-10', '--json');

    expect(result.code).toBe(0);
    const event = (i: number, status: string, at: string, attempt: number, extra: object = {}) => ({
      occurredAt: at,
      status,
      attempt,
      eventId: `inv-10.${i}`,
      source: 'billing-worker',
      durationMs: null,
      errorType: null,
      errorMessage: null,
      ...extra,
    });
    const failure = { durationMs: 2_000, errorType: TIMEOUT.type, errorMessage: TIMEOUT.message };
    expect(result.json()).toEqual({
      execution: {
        taskId: 'inv-10',
        taskType: 'send_invoice',
        status: 'failed',
        attempt: 2,
        createdAt: '2026-03-02T11:35:00.000Z',
        enqueuedAt: '2026-03-02T11:35:00.000Z',
        firstStartedAt: '2026-03-02T11:35:01.500Z',
        startedAt: '2026-03-02T11:35:04.000Z',
        finishedAt: '2026-03-02T11:35:06.000Z',
        waitMs: 1_500,
        runMs: 2_000,
        source: 'billing-worker',
        jobId: null,
        parentTaskId: null,
        error: { type: TIMEOUT.type, message: TIMEOUT.message, stack: null },
        params: null,
        dimensions: {},
        metrics: {},
      },
      attempts: [
        {
          attempt: 1,
          status: 'retrying',
          startedAt: '2026-03-02T11:35:01.500Z',
          endedAt: '2026-03-02T11:35:03.500Z',
          durationMs: 2_000,
          errorType: TIMEOUT.type,
          errorMessage: TIMEOUT.message,
        },
        {
          attempt: 2,
          status: 'failed',
          startedAt: '2026-03-02T11:35:04.000Z',
          endedAt: '2026-03-02T11:35:06.000Z',
          durationMs: 2_000,
          errorType: TIMEOUT.type,
          errorMessage: TIMEOUT.message,
        },
      ],
      events: [
        event(0, 'enqueued', '2026-03-02T11:35:00.000Z', 1),
        event(1, 'started', '2026-03-02T11:35:01.500Z', 1),
        event(2, 'retrying', '2026-03-02T11:35:03.500Z', 1, failure),
        event(3, 'started', '2026-03-02T11:35:04.000Z', 2),
        event(4, 'failed', '2026-03-02T11:35:06.000Z', 2, failure),
      ],
    });
  });

  it('prints fields, attempts, the timeline and the stack', async () => {
    const result = await run('show', 'inv-11');

    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'Task      inv-11',
      'Type      send_invoice',
      'Status    failed (attempt 1)',
    ]);
    expect(lines).toContain('Params    {"invoiceId":11,"currency":"EUR"}');
    expect(lines).toContain('Error     ValidationError: amount must be positive');
    expect(lines).toContain(
      '      1  failed  2026-03-02 11:45:01  2026-03-02 11:45:03      2.0s  ValidationError: amount must be positive',
    );
    expect(result.stdout).toContain('2026-03-02 11:45:03.500  failed          1      2.0s');
    expect(lines.slice(-3)).toEqual([
      'Stack',
      '  ValidationError: amount must be positive',
      '      at charge (billing.ts:12:9)',
    ]);
  });

  it('says clearly when there is no such execution', async () => {
    const result = await run('show', 'no-such-task');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^taskpulse: no execution no-such-task in tp-\S+\n {2}fix: task ids are case-sensitive/,
    );
  });
});

describe('alerts', () => {
  it('lists alert states, firing first', async () => {
    const result = await run('alerts', '--json');

    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      alerts: [
        {
          rule: 'failure-rate',
          scope: 'send_invoice',
          taskType: 'send_invoice',
          dimension: null,
          status: 'ALARM',
          since: '2026-03-02T11:50:00.000Z',
          flapping: false,
          lastNotification: 'ALARM',
          lastNotifiedAt: '2026-03-02T11:50:00.000Z',
          evaluatedAt: '2026-03-02T12:00:00.000Z',
          pendingNotification: false,
        },
        {
          rule: 'stuck',
          scope: 'resize_image',
          taskType: 'resize_image',
          dimension: null,
          status: 'OK',
          since: '2026-03-02T09:00:00.000Z',
          flapping: false,
          lastNotification: null,
          lastNotifiedAt: null,
          evaluatedAt: '2026-03-02T12:00:00.000Z',
          pendingNotification: false,
        },
      ],
    });
  });

  it('prints a table, and only firing ones with --firing', async () => {
    const all = await run('alerts');
    const firing = await run('alerts', '--firing');

    expect(all.stdout).toContain(
      'ALARM   failure-rate  send_invoice  2026-03-02 11:50:00  ALARM 2026-03-02 11:50:00  2026-03-02 12:00:00',
    );
    expect(all.stdout).toContain('1 firing, 1 ok');
    expect(firing.stdout).not.toContain('resize_image');
  });
});

describe('backfill', () => {
  it('recomputes the rollups of a range in-process against local mode', async () => {
    const result = await run('backfill', '--from', D1, '--to', D2, '--json');

    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      from: D1,
      to: D2,
      mode: 'in-process',
      days: [
        { day: D1, scopes: 1, written: 1, superseded: 0, empty: 0 },
        { day: D2, scopes: 5, written: 5, superseded: 0, empty: 0 },
      ],
      written: 6,
    });
  });

  it('draws a progress bar on a terminal and prints a table', async () => {
    const result = await taskpulse(['backfill', '--local', '--from', '2026-02-27', '--to', D2], {
      cwd: known.cwd,
      env: {},
      now: () => NOW_MS,
      stderrTTY: true,
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('backfill [████████████████████████] 100% 4/4');
    expect(result.stdout).toContain('2026-03-02       5        5           0        0');
    expect(result.stdout).toContain('recomputed 4 days, 6 rollups written (in-process against');
  });
});

describe('emit', () => {
  const sqs = new SQSClient(motoClientConfig());

  /** Take the messages waiting in the events queue. */
  const drainEvents = async (): Promise<unknown[]> => {
    const url = known.pipeline.stack.outputs[OUTPUT.eventsQueueUrl]!;
    const bodies: unknown[] = [];
    for (;;) {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if ((res.Messages ?? []).length === 0) return bodies;
      for (const m of res.Messages!) {
        bodies.push(JSON.parse(m.Body!));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
  };

  it('sends an event built from flags', async () => {
    const beforeMs = Date.now();
    const result = await run(
      'emit',
      '--type',
      'send_invoice',
      '--status',
      'failed',
      '--task-id',
      'cli-1',
      '--attempt',
      '2',
      '--duration-ms',
      '1200',
      '--error-type',
      'TimeoutError',
      '--error-message',
      'no answer',
      '--dim',
      'marketplace=DE',
      '--metric',
      'pages=3',
      '--json',
    );

    expect(result.code, result.stderr).toBe(0);
    // The SDK checks occurredAt against the real clock, so the event is sent "now".
    const output = result.json<{ sent: number; events: { eventId: string; occurredAt: string }[] }>();
    const occurredAtMs = Date.parse(output.events[0]!.occurredAt);
    // Between the start and the end of the command (occurredAt has millisecond or second precision).
    expect(occurredAtMs).toBeGreaterThanOrEqual(Math.floor(beforeMs / 1000) * 1000);
    expect(occurredAtMs).toBeLessThanOrEqual(Date.now());
    const expected = {
      version: 1,
      eventId: output.events[0]!.eventId,
      taskId: 'cli-1',
      taskType: 'send_invoice',
      status: 'failed',
      attempt: 2,
      durationMs: 1_200,
      error: { type: 'TimeoutError', message: 'no answer' },
      dimensions: { marketplace: 'DE' },
      metrics: { pages: 3 },
      occurredAt: output.events[0]!.occurredAt,
      source: 'taskpulse-cli',
    };
    expect(output).toEqual({
      queueUrl: known.pipeline.stack.outputs[OUTPUT.eventsQueueUrl],
      sent: 1,
      events: [expected],
    });
    expect(await drainEvents()).toEqual([expected]);
  });

  it('sends events given as JSON, on the command line or stdin', async () => {
    const event = { taskId: 'cli-2', taskType: 'resize_image', status: 'started', attempt: 1 };
    const inline = await run('emit', '--json', JSON.stringify(event));
    const piped = await taskpulse(['emit', '--local', '--json', '-'], {
      cwd: known.cwd,
      env: {},
      now: () => NOW_MS,
      stdin: [JSON.stringify({ ...event, taskId: 'cli-3' })],
    });

    expect([inline.code, piped.code]).toEqual([0, 0]);
    const sent = (await drainEvents()) as { taskId: string; status: string }[];
    expect(sent.map((e) => [e.taskId, e.status]).sort()).toEqual([
      ['cli-2', 'started'],
      ['cli-3', 'started'],
    ]);
  });

  it('prints one line per event without --json', async () => {
    const result = await run('emit', '--type', 'send_invoice', '--status', 'started', '--task-id', 'cli-4');

    expect(result.stdout).toMatch(
      /^sent started send_invoice cli-4 \(attempt 1, event [0-9a-f-]{36}\)\nto http/,
    );
    await drainEvents();
  });

  it('refuses an event that breaks the contract, naming the field, with exit code 2', async () => {
    const result = await run('emit', '--json', '{"taskId":"x","taskType":"9 bad","status":"started"}');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('taskType: taskType must start with a letter');
    expect(await drainEvents()).toEqual([]);
  });

  it('needs a type and a status', async () => {
    const result = await run('emit', '--type', 'send_invoice');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('emit needs --type and --status');
  });
});

describe('tail', () => {
  it('prints events as they are stored, until --limit', async () => {
    const controller = new AbortController();
    const stderr: string[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const stdout: string[] = [];
    const { runCli } = await import('../../cli/run-cli');
    const tail = runCli(['tail', '--local', '--json', '--limit', '3', '--interval', '100ms'], {
      cwd: known.cwd,
      env: {},
      now: () => NOW_MS,
      signal: controller.signal,
      stdout: { write: (s: string) => stdout.push(s) },
      stderr: {
        write: (s: string) => {
          stderr.push(s);
          if (s.startsWith('following')) ready();
        },
      },
    });
    await isReady;

    const events = makeLifecycle({ taskId: 'tail-1', taskType: 'tail_demo', startMs: NOW_MS - 60_000 }).map(
      (e, i) => ({ ...e, eventId: `tail-1.${i}` }),
    );
    await known.pipeline.deliver(events.map((e, i) => messageOf(e, `tail-${i}`, NOW_MS)));
    const timer = setTimeout(() => controller.abort(), 10_000);
    const code = await tail;
    clearTimeout(timer);

    expect(code).toBe(0);
    const lines = stdout
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.taskId, l.status, l.eventId, l.executionStatus])).toEqual([
      ['tail-1', 'enqueued', 'tail-1.0', 'succeeded'],
      ['tail-1', 'started', 'tail-1.1', 'succeeded'],
      ['tail-1', 'succeeded', 'tail-1.2', 'succeeded'],
    ]);
    expect(lines[2]).toEqual({
      occurredAt: '2026-03-02T11:59:03.500Z',
      taskId: 'tail-1',
      taskType: 'tail_demo',
      status: 'succeeded',
      attempt: 1,
      eventId: 'tail-1.2',
      source: 'billing-worker',
      durationMs: 2_000,
      errorType: null,
      errorMessage: null,
      executionStatus: 'succeeded',
    });
  });
});
