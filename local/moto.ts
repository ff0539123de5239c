import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError } from '../cli/errors';

/** Start and stop `moto_server`, the embedded AWS emulator, on a free loopback port (local mode, tests). */

export interface RunningMoto {
  /** `http://127.0.0.1:<port>`, to be used as `AWS_ENDPOINT_URL`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Raised when moto_server is not installed or does not come up; its message says how to fix it. */
class MotoUnavailableError extends CliError {
  override readonly name = 'MotoUnavailableError';
}

/** A free TCP port on 127.0.0.1. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

/** How to start moto_server. */
export interface StartMotoOptions {
  /** How long to wait for the server to answer. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * Own process group, so a terminal's Ctrl-C reaches only this process and local mode drains its
   * pollers before it stops the emulator (still killed when this process exits). @default false
   */
  readonly detached?: boolean;
}

/** The folder of the `sitecustomize.py` that moto_server loads at start-up. */
const ATOMIC_DYNAMODB = fileURLToPath(new URL('./moto-atomic', import.meta.url));

/** Start moto_server on a free loopback port and wait until it answers. */
export const startMoto = async (options: StartMotoOptions = {}): Promise<RunningMoto> => {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: options.detached ?? false,
    // moto-atomic/sitecustomize.py makes DynamoDB's conditional writes atomic, as in AWS (decision 0083).
    env: {
      ...process.env,
      PYTHONPATH: [ATOMIC_DYNAMODB, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    },
  });
  // A detached server would outlive a crashed parent; kill it when this process exits in any way.
  const killOnExit = () => child.kill('SIGKILL');
  if (options.detached) process.once('exit', killOnExit);
  let failure: string | undefined;
  child.on('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? 'moto_server is not on PATH. Install it with: pip install "moto[server]==5.2.1" (Python 3), or set AWS_ENDPOINT_URL to a running emulator.'
        : `moto_server did not start: ${error.message}`;
  });
  child.once('exit', (code) => {
    failure ??= `moto_server exited with code ${code}`;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (
    !(await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.status < 500,
      () => false,
    ))
  ) {
    if (Date.now() > deadline)
      failure ??= `moto_server did not answer on ${endpoint} in ${options.timeoutMs ?? 30_000} ms`;
    if (failure !== undefined) {
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      throw new MotoUnavailableError(`${failure}\n${stderr}`.trim());
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
};
