import { Command, CommanderError } from 'commander';
import { alertsCommand } from './commands/alerts';
import { backfillCommand } from './commands/backfill';
import { dashboardCommand } from './commands/dashboard';
import { emitCommand } from './commands/emit';
import { failuresCommand } from './commands/failures';
import { historyCommand } from './commands/history';
import { jobCommand } from './commands/job';
import { quarantineCommand } from './commands/quarantine';
import { rebuildCommand } from './commands/rebuild';
import { redriveCommand } from './commands/redrive';
import { showCommand } from './commands/show';
import { statsCommand } from './commands/stats';
import { tailCommand } from './commands/tail';
import { type CommandModule, RunContext } from './context';
import { EXIT_CODE, type ExitCode } from './errors';
import { explainError, formatError } from './explain';
import type { CliIo } from './io';

/**
 * `taskpulse`: the operator CLI. `runCli` runs one command line in-process and returns its exit code
 * (0 ok, 1 the command failed, 2 the command line was wrong); it never calls `process.exit`, so tests
 * and other tools can run commands and read their output.
 */

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly CommandModule[] = [
  emitCommand,
  statsCommand,
  failuresCommand,
  historyCommand,
  showCommand,
  jobCommand,
  tailCommand,
  redriveCommand,
  quarantineCommand,
  backfillCommand,
  rebuildCommand,
  alertsCommand,
  dashboardCommand,
];

/** Set `TASKPULSE_DEBUG=1` to print the stack and cause of an error too. */
export const DEBUG_ENV = 'TASKPULSE_DEBUG';

const buildProgram = (ctx: RunContext): Command => {
  const program = new Command('taskpulse')
    .description(
      'Operate Taskpulse: send events, read history and rollups, redrive, replay quarantine, backfill, rebuild, alerts.',
    )
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
    });
  for (const add of COMMANDS) add(program, ctx);
  // Subcommands (and theirs, e.g. `quarantine list`) inherit output and exit handling.
  const configure = (parent: Command, prefix: string) => {
    for (const sub of parent.commands) {
      sub.exitOverride().configureOutput({
        writeOut: (s) => ctx.io.stdout.write(s),
        writeErr: (s) => ctx.io.stderr.write(s),
      });
      sub.showHelpAfterError(`(run taskpulse ${prefix}${sub.name()} --help for usage)`);
      configure(sub, `${prefix}${sub.name()} `);
    }
  };
  configure(program, '');
  return program;
};

/** Run one command line (without the node and script arguments). Resolves to the exit code. */
export const runCli = async (argv: readonly string[], io: CliIo): Promise<ExitCode> => {
  const ctx = new RunContext(io);
  const program = buildProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_CODE.usage;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODE.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the message (or the help) already.
      return error.exitCode === 0 ? EXIT_CODE.ok : EXIT_CODE.usage;
    }
    const target = ctx.target;
    const explained = explainError(error, {
      ...(target !== undefined && { kind: target.kind, label: target.label }),
      ...(target?.aws.endpoint !== undefined && { endpoint: target.aws.endpoint }),
    });
    io.stderr.write(formatError(explained));
    if (io.env[DEBUG_ENV]) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return explained.exitCode;
  } finally {
    ctx.close();
  }
};
