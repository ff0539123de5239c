import { Option } from 'commander';
import { TASK_STATUSES, type TaskStatus } from '../../lambdas/shared/contract/event';
import { type CommandModule, withJson, withTarget } from '../context';
import { UsageError } from '../errors';
import { formatHistory, nextPageHint } from '../format/executions';
import { parseInstantMs, positiveInt } from '../parse';
import type { TargetOptions } from '../target';
import { listPage, queryWithToken } from './list-support';

interface HistoryOptions extends TargetOptions {
  readonly type?: string;
  readonly status?: TaskStatus;
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly next?: string;
  readonly json?: boolean;
}

/** `taskpulse history`: executions by task type, status and time, a page at a time. */
export const historyCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('history')
    .description('executions newest first, by task type, status and time range, a page at a time')
    .option('--type <taskType>', 'only this task type (default: every type active in the range)')
    .addOption(new Option('--status <status>', 'only this status').choices(TASK_STATUSES))
    .option('--from <time>', 'start: a day, an ISO time, or a duration ago (2h, 7d)', '24h')
    .option('--to <time>', 'end (exclusive): a day (inclusive), an ISO time, now, or a duration ago', 'now')
    .option('--limit <n>', 'executions per page', positiveInt(1000), 20)
    .option('--next <token>', 'the next page (the token printed under the previous page)');
  withJson(withTarget(command, ['historyTable', 'stateTable'])).action(async (options: HistoryOptions) => {
    const now = ctx.now();
    const fromMs = parseInstantMs(options.from, now, '--from', 'start');
    const toMs = parseInstantMs(options.to, now, '--to', 'end');
    if (fromMs >= toMs) throw new UsageError(`--from (${options.from}) must be before --to (${options.to})`);
    const { query, cursor } = queryWithToken(
      {
        taskType: options.type ?? null,
        status: options.status ?? null,
        fromIso: new Date(fromMs).toISOString(),
        toIso: new Date(toMs).toISOString(),
      },
      options.next,
      { taskType: options.type !== undefined, status: options.status !== undefined },
    );
    const page = await listPage(ctx, options, query, cursor);
    if (options.json) {
      ctx.printJson({
        query: { taskType: query.taskType, status: query.status, from: query.fromIso, to: query.toIso },
        ...page,
      });
      return;
    }
    ctx.print(formatHistory(page));
    const hint = nextPageHint(page.next);
    if (hint !== undefined) ctx.print(`\n${hint}`);
  });
};
