import { Option } from 'commander';
import { TASK_STATUSES, type TaskStatus } from '../../lambdas/shared/contract/event';
import { type CommandModule, withJson, withTarget } from '../context';
import { formatTailLine } from '../format/executions';
import { followHistory } from '../ops/tail';
import { parseDurationMs, positiveInt } from '../parse';
import type { TargetOptions } from '../target';

interface TailOptions extends TargetOptions {
  readonly type?: string;
  readonly status?: TaskStatus;
  readonly limit?: number;
  readonly interval: string;
  readonly json?: boolean;
}

/** `taskpulse tail`: stored events as they arrive, from the history table's stream. */
export const tailCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('tail')
    .description('print events as they are stored (history table stream) until Ctrl-C')
    .option('--type <taskType>', 'only this task type')
    .addOption(new Option('--status <status>', 'only events of this status').choices(TASK_STATUSES))
    .option('--limit <n>', 'stop after this many events', positiveInt())
    .option('--interval <duration>', 'pause between reads of the stream', '1s');
  withJson(withTarget(command, ['historyTable'])).action(async (options: TailOptions) => {
    const pollMs = parseDurationMs(options.interval, '--interval');
    const { target, clients } = await ctx.connect(options);
    const historyTable = await target.resource('historyTable');
    let shown = 0;
    await followHistory({
      dynamodb: clients.dynamodb,
      streams: clients.streams,
      historyTable,
      pollMs,
      signal: ctx.signal,
      onReady: () => ctx.note(`following ${historyTable} (${target.label}); Ctrl-C to stop`),
      onEvent: (event) => {
        if (options.type !== undefined && event.taskType !== options.type) return true;
        if (options.status !== undefined && event.status !== options.status) return true;
        ctx.io.stdout.write(`${options.json ? JSON.stringify(event) : formatTailLine(event)}\n`);
        shown++;
        return options.limit === undefined || shown < options.limit;
      },
    });
  });
};
