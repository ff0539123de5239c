/**
 * What a CLI run reads and writes, passed in rather than taken from `process`, so tests run commands
 * in-process (`runCli(argv, io)`) and read their output.
 */

/** A stream the CLI writes to: `process.stdout` fits, and so does a string collector in tests. */
export interface CliWritable {
  write(chunk: string): unknown;
  /** Progress bars are drawn only on a terminal. */
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  /** Environment variables (`TASKPULSE_*`, `AWS_REGION`, `AWS_ENDPOINT_URL`…). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `.taskpulse/local-stack.json` is looked for. @default process.cwd() */
  readonly cwd?: string;
  /** The clock (`--since 1h`, default ranges). @default Date.now */
  readonly now?: () => number;
  /** Standard input, for `emit --json -`. @default process.stdin */
  readonly stdin?: AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
  /** Stops long-running commands (`tail`) like Ctrl-C does. @default SIGINT/SIGTERM */
  readonly signal?: AbortSignal;
}

/** Read a whole stream as UTF-8. */
export const readAll = async (
  input: AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
): Promise<string> => {
  const chunks: string[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  return chunks.join('');
};
