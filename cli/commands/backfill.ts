import { MAX_BACKFILL_DAYS } from '../../lambdas/rollup/request';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { DynamoRollupStore } from '../../lambdas/shared/store/rollup-store';
import type { Clients } from '../clients';
import { type CommandModule, withJson, withTarget } from '../context';
import { UsageError } from '../errors';
import { createProgress } from '../format/progress';
import { formatRollupDays } from '../format/rollup-days';
import { backfill, inProcessRunner, lambdaRunner, type RollupRunner } from '../ops/backfill';
import { parseDay, positiveInt } from '../parse';
import type { Target, TargetOptions } from '../target';

/**
 * How rollups are recomputed on a target: in this process against the state table (local mode, which
 * runs no Lambda code, or when asked), else by invoking the rollup function. Shared with `rebuild`.
 */
export const rollupRunnerFor = async (
  target: Target,
  clients: Clients,
  now: () => number,
  inProcessAsked: boolean,
): Promise<{ inProcess: boolean; run: RollupRunner; via: string }> => {
  if (inProcessAsked || target.kind === 'local') {
    const stateTable = await target.resource('stateTable');
    return {
      inProcess: true,
      run: inProcessRunner({
        aggregates: new DynamoAggregateReader(clients.doc, stateTable),
        rollups: new DynamoRollupStore(clients.doc, stateTable),
        now,
      }),
      via: `in-process against ${stateTable}`,
    };
  }
  const fn = await target.resource('rollupFunction');
  return { inProcess: false, run: lambdaRunner(clients.lambda, fn), via: `rollup function ${fn}` };
};

interface BackfillOptions extends TargetOptions {
  readonly from: string;
  readonly to: string;
  readonly chunkDays: number;
  readonly concurrency: number;
  readonly inProcess?: boolean;
  readonly progress: boolean;
  readonly json?: boolean;
}

/** `taskpulse backfill`: recompute the daily rollups of a range of days. */
export const backfillCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('backfill')
    .description('recompute daily rollups for a range of days (the rollup function, or in-process locally)')
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD, today, yesterday, or 7d for 7 days ago)')
    .option('--to <day>', 'last day, inclusive', 'yesterday')
    .option(
      '--chunk-days <n>',
      `days per invocation of the rollup function (at most ${MAX_BACKFILL_DAYS})`,
      positiveInt(MAX_BACKFILL_DAYS),
      1,
    )
    .option('--concurrency <n>', 'invocations at once', positiveInt(16), 2)
    .option('--in-process', 'compute here against the state table instead of invoking the function')
    .option('--no-progress', 'no progress bar');
  withJson(withTarget(command, ['stateTable', 'rollupFunction'])).action(async (options: BackfillOptions) => {
    const now = ctx.now();
    const from = parseDay(options.from, now, '--from');
    const to = parseDay(options.to, now, '--to');
    if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
    const { target, clients } = await ctx.connect(options);
    const { inProcess, run, via } = await rollupRunnerFor(
      target,
      clients,
      ctx.now,
      options.inProcess === true,
    );
    const bar = createProgress(ctx.io.stderr, 'backfill', options.progress);
    const days = await backfill({
      from,
      to,
      run,
      chunkDays: inProcess ? 1 : options.chunkDays,
      concurrency: inProcess ? 1 : options.concurrency,
      onProgress: (done, total) => bar.update({ done, total }),
    }).finally(() => bar.done());
    const written = days.reduce((n, d) => n + d.written, 0);
    if (options.json) {
      ctx.printJson({ from, to, mode: inProcess ? 'in-process' : 'lambda', days, written });
      return;
    }
    ctx.print(formatRollupDays(days));
    ctx.print(
      `\nrecomputed ${days.length} day${days.length === 1 ? '' : 's'}, ${written} rollups written (${via})`,
    );
  });
};
