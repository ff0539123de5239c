import { CliError } from '../cli/errors';

/**
 * A known local-mode failure a user can fix (a stack the emulator could not create, a schedule it cannot
 * play): `npm start` prints the message and the `hint` without a stack trace, as the CLI does.
 */
export class LocalModeError extends CliError {
  override readonly name: string = 'LocalModeError';
}

/** Raised when a poller or the runtime does not become idle within the time a caller allowed. */
export class NotIdleError extends Error {
  override readonly name = 'NotIdleError';
}

/** Check every 50 ms until `done` says so; `NotIdleError` ("<what> not idle after …") after `timeoutMs`. */
export const waitUntil = async (
  what: string,
  timeoutMs: number,
  done: () => Promise<boolean>,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new NotIdleError(`${what} not idle after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
