import type { CliIo } from '../../../cli/io';
import { runCli } from '../../../cli/run-cli';

/** A run of the CLI in-process: its exit code and what it printed. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = unknown>(): T;
}

/** A writable that keeps what is written; `isTTY` to see progress bars. */
export const collector = (isTTY = false) => {
  const chunks: string[] = [];
  return { write: (s: string) => chunks.push(s), isTTY, text: () => chunks.join('') };
};

/** Run `taskpulse <argv>` in-process with the given environment and clock. */
export const taskpulse = async (
  argv: readonly string[],
  io: Partial<Omit<CliIo, 'stdout' | 'stderr'>> & { stderrTTY?: boolean } = {},
): Promise<CliRun> => {
  const stdout = collector();
  const stderr = collector(io.stderrTTY ?? false);
  const code = await runCli(argv, { env: {}, ...io, stdout, stderr });
  return {
    code,
    stdout: stdout.text(),
    stderr: stderr.text(),
    json: <T>() => JSON.parse(stdout.text()) as T,
  };
};
