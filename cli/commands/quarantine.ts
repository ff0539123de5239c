import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { type Command, Option } from 'commander';
import { parseTaskEvent, REJECTION_CODES } from '../../lambdas/shared/contract/event';
import { DEFAULTS } from '../../lambdas/shared/names/env';
import {
  getQuarantineItem,
  listQuarantine,
  markReplayed,
  type QuarantineItemWithBody,
  type QuarantineQuery,
  withoutBody,
} from '../../lambdas/shared/queries/quarantine';
import { type CommandContext, type CommandModule, withJson, withTarget } from '../context';
import { CliError, NotFoundError, UsageError } from '../errors';
import {
  formatQuarantineItem,
  formatQuarantineList,
  formatReasonCounts,
  formatReplayPlan,
} from '../format/quarantine';
import { readAll } from '../io';
import { planReplay, type ReplayStep, sendReplay } from '../ops/replay';
import { parseInstantMs, positiveInt } from '../parse';
import type { TargetOptions } from '../target';

/**
 * `taskpulse quarantine list|show|replay`: what the ingest set aside and why, one message in full, and
 * sending messages (as stored, or edited) back through the events queue. Reasons come from the event
 * contract (`REJECTION_CODES`), so a code added there is accepted here without a CLI change.
 */

interface RangeOptions {
  readonly since: string;
  readonly until: string;
  readonly reason?: string;
}

interface ListOptions extends TargetOptions, RangeOptions {
  readonly limit: number;
  readonly next?: string;
  readonly json?: boolean;
}

interface ReplayOptions extends TargetOptions, Partial<RangeOptions> {
  readonly bodyFile?: string;
  readonly force?: boolean;
  readonly again?: boolean;
  readonly yes?: boolean;
  readonly max?: number;
  readonly json?: boolean;
}

/** Days the ingest keeps quarantined messages by default (they share the history table's TTL). */
const KEPT = `${DEFAULTS.historyTtlDays}d`;

const reasonOption = () =>
  new Option('--reason <code>', 'only messages quarantined for this reason').choices(REJECTION_CODES);

const rangeOf = (ctx: CommandContext, o: RangeOptions): QuarantineQuery => {
  const now = ctx.now();
  const fromMs = parseInstantMs(o.since, now, '--since', 'start');
  const toMs = parseInstantMs(o.until, now, '--until', 'end');
  if (fromMs >= toMs) throw new UsageError(`--since (${o.since}) must be before --until (${o.until})`);
  return {
    fromIso: new Date(fromMs).toISOString(),
    toIso: new Date(toMs).toISOString(),
    ...(o.reason !== undefined && { reason: o.reason }),
  };
};

/** `--next` token: the resolved query and the id of the last item shown, as base64url JSON. */
const encodeNext = (q: QuarantineQuery, cursor: string): string =>
  Buffer.from(JSON.stringify({ f: q.fromIso, u: q.toIso, r: q.reason ?? null, c: cursor })).toString(
    'base64url',
  );

const decodeNext = (token: string): { query: QuarantineQuery; cursor: string } => {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof t.f === 'string' && typeof t.u === 'string' && typeof t.c === 'string') {
      const query = { fromIso: t.f, toIso: t.u, ...(typeof t.r === 'string' && { reason: t.r }) };
      return { query, cursor: t.c };
    }
  } catch {
    // reported below
  }
  throw new UsageError('the --next token is not valid', {
    hint: 'pass the "next" value printed by the previous page, unchanged',
  });
};

const historyTableOf = async (ctx: CommandContext, options: TargetOptions) => {
  const { target, clients } = await ctx.connect(options);
  return { target, clients, table: await target.resource('historyTable') };
};

const notFound = (id: string, table: string) =>
  new NotFoundError(`no quarantined message ${id} in ${table}`, {
    hint: `ids are the ID column of taskpulse quarantine list; messages are kept ${DEFAULTS.historyTtlDays} days by default`,
  });

const readBody = async (ctx: CommandContext, file: string): Promise<string> => {
  if (file === '-') return readAll(ctx.io.stdin ?? process.stdin);
  const full = path.resolve(ctx.io.cwd ?? process.cwd(), file);
  return readFile(full, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read ${full}: ${error.message}`, { hint: 'check the --body-file path' });
  });
};

const addList = (parent: Command, ctx: CommandContext) => {
  const command = parent
    .command('list')
    .description('quarantined messages newest first: reason, producer, send time, id')
    .option('--since <time>', 'sent at or after: a day, an ISO time, or a duration ago (2h, 7d)', '7d')
    .option('--until <time>', 'sent before: a day (inclusive), an ISO time, now, or a duration ago', 'now')
    .addOption(reasonOption())
    .option('--limit <n>', 'messages per page', positiveInt(1000), 50)
    .option('--next <token>', 'the next page (the token printed under the previous page)');
  withJson(withTarget(command, ['historyTable'])).action(async (options: ListOptions) => {
    const fromFlags = rangeOf(ctx, options);
    const { query, cursor } =
      options.next === undefined ? { query: fromFlags, cursor: undefined } : decodeNext(options.next);
    const { clients, table } = await historyTableOf(ctx, options);
    const page = await listQuarantine(clients.doc, table, query, {
      limit: options.limit,
      ...(cursor !== undefined && { before: cursor }),
    });
    const items = page.items.map(withoutBody);
    const next = page.cursor === null ? null : encodeNext(query, page.cursor);
    if (options.json) {
      ctx.printJson({
        query: { since: query.fromIso, until: query.toIso, reason: query.reason ?? null },
        items,
        next,
      });
      return;
    }
    ctx.print(formatQuarantineList(items));
    if (items.length > 0) ctx.print(`\n${items.length} shown: ${formatReasonCounts(items)}`);
    if (next !== null) ctx.print(`more: taskpulse quarantine list --next ${next}`);
  });
};

const addShow = (parent: Command, ctx: CommandContext) => {
  const command = parent
    .command('show')
    .description('one quarantined message: reason, details, the original body, and whether it passes now')
    .argument('<id>', 'the ID column of quarantine list (<sentAt>#<messageId>)');
  withJson(withTarget(command, ['historyTable'])).action(
    async (id: string, options: TargetOptions & { json?: boolean }) => {
      const { clients, table } = await historyTableOf(ctx, options);
      const item = await getQuarantineItem(clients.doc, table, id);
      if (item === undefined) throw notFound(id, table);
      const parsed = parseTaskEvent(item.body, ctx.now());
      const now = parsed.ok ? null : parsed.rejection;
      if (options.json) ctx.printJson({ ...item, acceptedNow: now === null, rejectionNow: now });
      else ctx.print(formatQuarantineItem(item, now));
    },
  );
};

/** The items a replay is about: the ids given, or every one the filters select. */
const selectItems = async (
  ctx: CommandContext,
  ids: readonly string[],
  options: ReplayOptions,
  doc: Parameters<typeof listQuarantine>[0],
  table: string,
): Promise<QuarantineItemWithBody[]> => {
  if (ids.length > 0) {
    const items: QuarantineItemWithBody[] = [];
    for (const id of ids) {
      const item = await getQuarantineItem(doc, table, id);
      if (item === undefined) throw notFound(id, table);
      items.push(item);
    }
    return items;
  }
  const query = rangeOf(ctx, { ...options, since: options.since ?? KEPT, until: options.until ?? 'now' });
  const page = await listQuarantine(doc, table, query, {
    ...(options.max !== undefined && { limit: options.max }),
  });
  // Oldest first, as they were first sent.
  return [...page.items].reverse();
};

const stepJson = (s: ReplayStep, messageId: string | null) => ({
  id: s.item.id,
  code: s.item.code,
  taskId: s.item.taskId,
  action: s.action,
  edited: s.edited,
  rejectionNow: s.rejection,
  sentMessageId: messageId,
});

const addReplay = (parent: Command, ctx: CommandContext) => {
  const command = parent
    .command('replay')
    .description(
      'send quarantined messages back through the events queue (a dry run unless --yes); by id, or by --reason/--since',
    )
    .argument('[ids...]', 'ids from quarantine list (default: every message the filters select)')
    .addOption(reasonOption())
    .option('--since <time>', `sent at or after (default with --reason: ${KEPT}, what the ingest keeps)`)
    .option('--until <time>', 'sent before (default: now)')
    .option('--body-file <file>', 'send this body instead of the stored one (one id only; - for stdin)')
    .option('--force', 'also send bodies that still break the event contract (they are quarantined again)')
    .option('--again', 'also send messages replayed before (when selected by filters)')
    .option('--max <n>', 'select at most this many (the newest)', positiveInt())
    .option('--yes', 'send (without it, only show what would be sent)');
  withJson(withTarget(command, ['historyTable', 'eventsQueue'])).action(
    async (ids: string[], options: ReplayOptions) => {
      if (ids.length === 0 && options.reason === undefined && options.since === undefined)
        throw new UsageError('name the messages to replay', {
          hint: 'pass ids from taskpulse quarantine list, or select with --reason and/or --since',
        });
      if (options.bodyFile !== undefined && ids.length !== 1)
        throw new UsageError('--body-file replaces the body of one message', {
          hint: 'pass exactly one id with --body-file',
        });
      const body = options.bodyFile === undefined ? undefined : await readBody(ctx, options.bodyFile);
      const { target, clients, table } = await historyTableOf(ctx, options);
      const items = await selectItems(ctx, ids, options, clients.doc, table);
      const steps = planReplay(items, {
        nowMs: ctx.now(),
        byId: ids.length > 0,
        ...(body !== undefined && { body }),
        ...(options.force !== undefined && { force: options.force }),
        ...(options.again !== undefined && { again: options.again }),
      });
      const toSend = steps.filter((s) => s.action === 'send').length;
      if (!options.yes) {
        if (options.json) ctx.printJson({ dryRun: true, steps: steps.map((s) => stepJson(s, null)) });
        else {
          ctx.print(steps.length === 0 ? 'no quarantined message matches' : formatReplayPlan(steps));
          ctx.print(
            `\ndry run: nothing sent. ${toSend} of ${steps.length} would be sent; add --yes to send them.`,
          );
        }
        return;
      }
      const queueUrl = await target.resource('eventsQueue');
      const atIso = new Date(ctx.now()).toISOString();
      const result = await sendReplay(clients.sqs, queueUrl, steps, async (sent) => {
        // The send is what matters; the mark only keeps filtered replays from sending twice.
        await Promise.all(
          sent.map((s) =>
            markReplayed(clients.doc, table, s.step.item.id, {
              atIso,
              messageId: s.messageId,
              edited: s.step.edited,
            }).catch(() => ctx.note(`note: sent ${s.step.item.id} but could not mark it as replayed`)),
          ),
        );
      });
      const sentIds = new Map(result.sent.map((s) => [s.step, s.messageId]));
      if (options.json)
        ctx.printJson({
          dryRun: false,
          queueUrl,
          sent: result.sent.length,
          failed: result.failed.length,
          skipped: steps.length - toSend,
          steps: steps.map((s) => stepJson(s, sentIds.get(s) ?? null)),
        });
      else {
        if (steps.length > 0) ctx.print(formatReplayPlan(steps));
        ctx.print(
          `\nsent ${result.sent.length} message${result.sent.length === 1 ? '' : 's'} to ${queueUrl}; ${steps.length - toSend} skipped`,
        );
      }
      if (result.failed.length > 0) {
        const codes = Object.entries(result.errors)
          .map(([code, n]) => `${code} ×${n}`)
          .join(', ');
        throw new CliError(`${result.failed.length} messages could not be sent (${codes})`, {
          hint: 'they are still in the quarantine: fix the cause and run the same replay again',
        });
      }
    },
  );
};

/** `taskpulse quarantine`: list, show and replay quarantined messages. */
export const quarantineCommand: CommandModule = (program, ctx) => {
  const parent = program
    .command('quarantine')
    .description('messages the ingest set aside: list, show one, replay (send back, as is or edited)');
  addList(parent, ctx);
  addShow(parent, ctx);
  addReplay(parent, ctx);
};
