import { Command } from 'commander';
import { localStackFilePath, readLocalStackFile } from '../cli/local-stack-file';
import {
  formatRollupTable,
  LocalRollupUsageError,
  rollupDaysOf,
  rollupLocalStack,
} from '../local/rollup-local';

/**
 * `npm run rollup:local -- --date 2026-11-22` (or `--from/--to`, default today): compute the daily
 * rollups of those days on the running local stack (`npm start`, found through
 * `.taskpulse/local-stack.json`) and print them.
 */

const program = new Command('npm run rollup:local --')
  .description('Compute daily rollups on the running local stack (npm start) and print them.')
  .option('--date <day>', 'one day: YYYY-MM-DD, today or yesterday (UTC)')
  .option('--from <day>', 'first day of a range (default today)')
  .option('--to <day>', 'last day of the range, inclusive (default: --from)')
  .option('--json', 'print the outcome and the rollups as JSON')
  .parse();

const opts = program.opts<{ date?: string; from?: string; to?: string; json?: boolean }>();
const print = (line: string) => process.stdout.write(`${line}\n`);
const fail = (message: string, code: number): never => {
  process.stderr.write(`rollup:local: ${message}\n`);
  process.exit(code);
};

const main = async () => {
  let range: { from: string; to: string };
  try {
    range = rollupDaysOf(opts, Date.now());
  } catch (error) {
    if (error instanceof LocalRollupUsageError) return fail(error.message, 2);
    throw error;
  }
  const file = localStackFilePath();
  let stack: Awaited<ReturnType<typeof readLocalStackFile>>;
  try {
    stack = await readLocalStackFile(file);
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    return fail(`${(error as Error).message}${hint === undefined ? '' : `\n  ${hint}`}`, 1);
  }
  if (stack === undefined) {
    return fail(
      `no local stack is running (${file} not found)\n  start it with npm start in another terminal`,
      1,
    );
  }
  const { outcome, rollups } = await rollupLocalStack({ stack, ...range });
  if (opts.json) {
    print(JSON.stringify({ stackName: stack.stackName, ...range, days: outcome.days, rollups }, null, 2));
    return;
  }
  const days = range.from === range.to ? range.from : `${range.from} to ${range.to}`;
  print(`Rollups of ${days} (UTC) on ${stack.stackName} at ${stack.endpoint}\n`);
  print(rollups.length > 0 ? formatRollupTable(rollups) : '(no task activity on these days)');
  const written = outcome.days.reduce((n, d) => n + d.written, 0);
  const scopes = outcome.days.reduce((n, d) => n + d.scopes, 0);
  print(
    `\ncomputed ${outcome.days.length} day${outcome.days.length === 1 ? '' : 's'}: ${scopes} scope${scopes === 1 ? '' : 's'}, ${written} rollup${written === 1 ? '' : 's'} written (stored permanently; running it again recomputes them)`,
  );
};

main().catch((error: unknown) => fail((error as Error).stack ?? String(error), 1));
