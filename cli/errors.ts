/**
 * Errors of the CLI. Every error the CLI prints says what went wrong and, where there is one, the fix
 * (`hint`); the exit code tells scripts whether the command line itself was wrong.
 */

/** Exit codes: 0 ok, 1 the command failed at run time, 2 the command line was wrong. */
export const EXIT_CODE = { ok: 0, runtime: 1, usage: 2 } as const;

export type ExitCode = (typeof EXIT_CODE)[keyof typeof EXIT_CODE];

/** Base of the CLI's errors: a message for people, an optional fix, and the exit code. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: ExitCode = EXIT_CODE.runtime;
  /** What to do about it, e.g. `set AWS_PROFILE or run aws configure`. */
  readonly hint?: string;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/** The command line is wrong (bad flag value, unknown `--next` token…): exit code 2. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  override readonly exitCode = EXIT_CODE.usage;
}

/** AWS could not be used: credentials, region, permissions, network. */
export class AwsAccessError extends CliError {
  override readonly name = 'AwsAccessError';
}

/** The stack, one of its outputs or a resource it names was not found. */
export class ResourceNotFoundError extends CliError {
  override readonly name = 'ResourceNotFoundError';
}

/** Something asked for (an execution, a rollup) does not exist. */
export class NotFoundError extends CliError {
  override readonly name = 'NotFoundError';
}
