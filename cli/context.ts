import { type Command, Option } from 'commander';
import { Clients } from './clients';
import type { CliIo } from './io';
import { RESOURCES, type ResourceName, resolveTarget, type Target, type TargetOptions } from './target';

/**
 * What a command module gets: output, the clock, and `connect` to find its resources and AWS clients.
 * Commands stay thin: parse options, call a query or operation, print through a renderer.
 */
export interface CommandContext {
  readonly io: CliIo;
  readonly now: () => number;
  /** Aborted on Ctrl-C (or by the caller of `runCli`). */
  readonly signal: AbortSignal;
  /** Resolve the target of these options and open clients for it (closed when the command ends). */
  connect(options: TargetOptions): Promise<{ target: Target; clients: Clients }>;
  /** A line (or lines) on stdout. */
  print(text: string): void;
  /** A value as indented JSON on stdout. */
  printJson(value: unknown): void;
  /** A note on stderr (never mixed into `--json` output). */
  note(text: string): void;
}

/** A command module: adds its command to the program. */
export type CommandModule = (program: Command, ctx: CommandContext) => void;

/** The context of one `runCli` call, with what it opened, so it can be closed and errors explained. */
export class RunContext implements CommandContext {
  readonly now: () => number;
  readonly signal: AbortSignal;
  /** The last target resolved (for error messages). */
  target: Target | undefined;
  private readonly opened: Clients[] = [];

  constructor(readonly io: CliIo) {
    this.now = io.now ?? Date.now;
    this.signal = io.signal ?? new AbortController().signal;
  }

  async connect(options: TargetOptions): Promise<{ target: Target; clients: Clients }> {
    const target = await resolveTarget(options, this.io);
    this.target = target;
    const clients = new Clients(target.aws);
    this.opened.push(clients);
    return { target, clients };
  }

  print(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  close(): void {
    for (const c of this.opened) c.destroy();
    this.opened.length = 0;
  }
}

/**
 * Add the options that say where the resources are: `--local`, `--stack`, `--stage`, `--region`,
 * `--profile`, `--endpoint`, and the flag of each resource the command uses.
 */
export const withTarget = (command: Command, resources: readonly ResourceName[]): Command => {
  command
    .option('--local', 'use local mode (npm start): its resources are in .taskpulse/local-stack.json')
    .option('--stack <name>', 'CloudFormation stack to read resources from (default: Taskpulse-<stage>)')
    .option('--stage <stage>', 'stage of the default stack name (default: $TASKPULSE_STAGE or dev)')
    .option('--region <region>', 'AWS region (default: $AWS_REGION or your profile)')
    .option('--profile <name>', 'AWS profile (default: $AWS_PROFILE)')
    .option('--endpoint <url>', 'AWS endpoint, e.g. LocalStack (default: $AWS_ENDPOINT_URL)');
  for (const name of resources) {
    const r = RESOURCES[name];
    command.addOption(
      new Option(`${r.flag} <value>`, `${r.what} (default: $${r.env}, else stack output ${r.output})`),
    );
  }
  return command;
};

/** Add `--json`. */
export const withJson = (command: Command): Command =>
  command.option('--json', 'print JSON for scripts instead of a table');
