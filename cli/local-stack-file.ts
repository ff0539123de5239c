import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CliError } from './errors';

/**
 * The hand-over between local mode and the CLI: local mode (`npm start`) writes where its stack runs
 * (emulator endpoint, region, stack name, resolved outputs) to `.taskpulse/local-stack.json`, and the
 * CLI reads it with `--local` (or by itself when `AWS_ENDPOINT_URL` is set and the file exists), so
 * local resources are found by the same output names as a deployed stack's.
 *
 * This module owns the file's format. Local mode imports it; it imports nothing from `local/`.
 */

/** Default place of the file, relative to the working directory (the repository root under npm). */
const LOCAL_STACK_FILE = path.join('.taskpulse', 'local-stack.json');

/** Overrides the place of the file. */
const LOCAL_STACK_FILE_ENV = 'TASKPULSE_LOCAL_STACK_FILE';

/** Version of the file's shape; bump on an incompatible change. */
const LOCAL_STACK_FILE_VERSION = 1;

/** What the file holds. */
interface LocalStackFile {
  readonly version: typeof LOCAL_STACK_FILE_VERSION;
  /** Emulator endpoint, e.g. `http://127.0.0.1:5000`. */
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  /** Resolved stack outputs by output name (`OUTPUT` in lambdas/shared/names/outputs.ts). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Base URL of local mode's read API on loopback, e.g. `http://127.0.0.1:43127`. */
  readonly apiUrl?: string;
  /** The local dashboard page (`npm start` serves it), when local mode serves one. */
  readonly dashboardUrl?: string;
  /** Process id of local mode, so a file left behind by a stopped run is recognised. */
  readonly pid?: number;
  readonly writtenAt: string;
}

/** Where the file is: `$TASKPULSE_LOCAL_STACK_FILE`, else `<cwd>/.taskpulse/local-stack.json`. */
export const localStackFilePath = (
  cwd: string = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): string => {
  const override = env[LOCAL_STACK_FILE_ENV];
  return override !== undefined && override !== ''
    ? path.resolve(cwd, override)
    : path.join(cwd, LOCAL_STACK_FILE);
};

/** Where and for whom `writeLocalStackFile` writes. */
interface WriteLocalStackFileOptions {
  /** @default localStackFilePath() */
  readonly path?: string;
  /** Recorded so the CLI can tell when local mode has stopped. @default process.pid */
  readonly pid?: number;
}

/**
 * Record a running local stack for the CLI. Local mode calls this once its resources exist (and
 * `removeLocalStackFile` when it stops). Written atomically; returns the path.
 */
export const writeLocalStackFile = async (
  stack: Pick<LocalStackFile, 'endpoint' | 'region' | 'stackName' | 'outputs' | 'apiUrl' | 'dashboardUrl'>,
  options: WriteLocalStackFileOptions = {},
): Promise<string> => {
  const file = options.path ?? localStackFilePath();
  const content: LocalStackFile = {
    version: LOCAL_STACK_FILE_VERSION,
    endpoint: stack.endpoint,
    region: stack.region,
    stackName: stack.stackName,
    outputs: stack.outputs,
    ...(stack.apiUrl !== undefined && { apiUrl: stack.apiUrl }),
    ...(stack.dashboardUrl !== undefined && { dashboardUrl: stack.dashboardUrl }),
    pid: options.pid ?? process.pid,
    writtenAt: new Date().toISOString(),
  };
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, 'utf8');
  await rename(temp, file);
  return file;
};

/** Remove the file (local mode stopping). Missing is fine. */
export const removeLocalStackFile = async (file: string = localStackFilePath()): Promise<void> => {
  await rm(file, { force: true });
};

/** True when a process with this id runs (or exists under another user). */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Read the file; `undefined` when there is none. Throws `CliError` when it is malformed or left behind
 * by a local mode that has stopped.
 */
export const readLocalStackFile = async (file: string): Promise<LocalStackFile | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: Partial<LocalStackFile>;
  try {
    parsed = JSON.parse(text) as Partial<LocalStackFile>;
  } catch (error) {
    throw new CliError(`${file} is not valid JSON`, {
      hint: 'delete it and restart local mode with npm start',
      cause: error,
    });
  }
  if (
    parsed.version !== LOCAL_STACK_FILE_VERSION ||
    typeof parsed.endpoint !== 'string' ||
    typeof parsed.region !== 'string' ||
    typeof parsed.stackName !== 'string' ||
    typeof parsed.outputs !== 'object' ||
    parsed.outputs === null ||
    (parsed.dashboardUrl !== undefined && typeof parsed.dashboardUrl !== 'string')
  ) {
    throw new CliError(`${file} is not a local stack file of version ${LOCAL_STACK_FILE_VERSION}`, {
      hint: 'delete it and restart local mode with npm start',
    });
  }
  if (parsed.pid !== undefined && !isRunning(parsed.pid)) {
    throw new CliError(`local mode (pid ${parsed.pid}) that wrote ${file} is no longer running`, {
      hint: 'start it with npm start (in another terminal), then run this command again',
    });
  }
  return parsed as LocalStackFile;
};
