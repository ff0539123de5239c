import { type CommandModule, withJson, withTarget } from '../context';
import { formatFailures, nextPageHint } from '../format/executions';
import { formatTime } from '../format/values';
import { parseDurationMs, positiveInt } from '../parse';
import type { TargetOptions } from '../target';
import { listPage, queryWithToken } from './list-support';

interface FailuresOptions extends TargetOptions {
  readonly since: string;
  readonly type?: string;
  readonly limit: number;
  readonly next?: string;
  readonly json?: boolean;
}

/**
 * `taskpulse failures`: recent failed executions with their errors (byStatus index). Without `--type`
 * it reads the failures of every task type active in the range, listed by the state table's scope
 * registry, so it needs that table too.
 */
export const failuresCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('failures')
    .description('failed executions of the last while, newest first, with error type and message')
    .option('--since <duration>', 'how far back, by finish time (e.g. 30m, 1h, 2d)', '1h')
    .option('--type <taskType>', 'only this task type')
    .option('--limit <n>', 'executions per page', positiveInt(1000), 50)
    .option('--next <token>', 'the next page (the token printed under the previous page)');
  withJson(withTarget(command, ['historyTable', 'stateTable'])).action(async (options: FailuresOptions) => {
    const now = ctx.now();
    const sinceMs = now - parseDurationMs(options.since, '--since');
    const { query, cursor } = queryWithToken(
      {
        taskType: options.type ?? null,
        status: 'failed',
        fromIso: new Date(sinceMs).toISOString(),
        toIso: new Date(now).toISOString(),
      },
      options.next,
      { taskType: options.type !== undefined, status: true },
    );
    const page = await listPage(ctx, options, query, cursor);
    if (options.json) {
      ctx.printJson({
        since: query.fromIso,
        until: query.toIso,
        taskType: query.taskType,
        items: page.items,
        next: page.next,
      });
      return;
    }
    ctx.print(formatFailures(page));
    const shown = page.items.length;
    ctx.print(
      `\n${shown} failed execution${shown === 1 ? '' : 's'} since ${formatTime(query.fromIso)} UTC${page.next === null ? '' : ' (more on the next page)'}`,
    );
    const hint = nextPageHint(page.next);
    if (hint !== undefined) ctx.print(hint);
  });
};
