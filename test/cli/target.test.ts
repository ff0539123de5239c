import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResourceNotFoundError } from '../../cli/errors';
import {
  localStackFilePath,
  readLocalStackFile,
  removeLocalStackFile,
  writeLocalStackFile,
} from '../../cli/local-stack-file';
import { resolveTarget } from '../../cli/target';
import { collector } from './support/run';

const io = (env: Record<string, string>, cwd: string) => ({
  env,
  cwd,
  stdout: collector(),
  stderr: collector(),
});
const emptyDir = () => mkdtempSync(path.join(tmpdir(), 'taskpulse-target-'));

const localStack = {
  endpoint: 'http://127.0.0.1:5000',
  region: 'eu-west-1',
  stackName: 'Taskpulse-dev',
  outputs: { HistoryTableName: 'local-history', StateTableName: 'local-state' },
};

describe('local stack file', () => {
  it('round-trips what local mode writes, and is removed when it stops', async () => {
    const cwd = emptyDir();
    const file = localStackFilePath(cwd, {});

    expect(await writeLocalStackFile(localStack, { path: file })).toBe(
      path.join(cwd, '.taskpulse', 'local-stack.json'),
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      version: 1,
      ...localStack,
      pid: process.pid,
    });
    expect(await readLocalStackFile(file)).toMatchObject(localStack);

    await removeLocalStackFile(file);
    expect(await readLocalStackFile(file)).toBeUndefined();
  });

  it("records local mode's read API URL (apiUrl)", async () => {
    const file = localStackFilePath(emptyDir(), {});

    await writeLocalStackFile({ ...localStack, apiUrl: 'http://127.0.0.1:43127' }, { path: file });

    expect(JSON.parse(readFileSync(file, 'utf8')).apiUrl).toBe('http://127.0.0.1:43127');
    expect((await readLocalStackFile(file))?.apiUrl).toBe('http://127.0.0.1:43127');
  });

  it('can live elsewhere ($TASKPULSE_LOCAL_STACK_FILE)', () => {
    expect(localStackFilePath('/repo', { TASKPULSE_LOCAL_STACK_FILE: 'tmp/stack.json' })).toBe(
      '/repo/tmp/stack.json',
    );
  });
});

describe('resolveTarget', () => {
  it('takes resources from flags and environment before the stack, and never calls AWS for them', async () => {
    const target = await resolveTarget(
      { stage: 'prod', historyTable: 'flag-history', region: 'eu-central-1' },
      io({ TASKPULSE_STATE_TABLE: 'env-state', AWS_PROFILE: 'ops' }, emptyDir()),
    );

    expect(target).toMatchObject({
      kind: 'aws',
      stackName: 'Taskpulse-prod',
      label: 'stack Taskpulse-prod (eu-central-1)',
    });
    expect(target.aws).toEqual({ region: 'eu-central-1', profile: 'ops' });
    expect(await target.resource('historyTable')).toBe('flag-history');
    expect(await target.resource('stateTable')).toBe('env-state');
  });

  it('uses static credentials from the environment and the endpoint of AWS_ENDPOINT_URL', async () => {
    const target = await resolveTarget(
      { stack: 'Custom' },
      io(
        {
          AWS_ACCESS_KEY_ID: 'k',
          AWS_SECRET_ACCESS_KEY: 's',
          AWS_DEFAULT_REGION: 'us-west-2',
          AWS_ENDPOINT_URL: 'http://localstack:4566',
        },
        emptyDir(),
      ),
    );

    expect(target.stackName).toBe('Custom');
    expect(target.aws).toEqual({
      region: 'us-west-2',
      endpoint: 'http://localstack:4566',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
  });

  it('uses local mode with --local, or when AWS_ENDPOINT_URL names its endpoint', async () => {
    const cwd = emptyDir();
    await writeLocalStackFile(localStack, { path: localStackFilePath(cwd, {}) });

    const explicit = await resolveTarget({ local: true }, io({}, cwd));
    const implicit = await resolveTarget({}, io({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000/' }, cwd));
    const other = await resolveTarget({}, io({ AWS_ENDPOINT_URL: 'http://localstack:4566' }, cwd));

    for (const target of [explicit, implicit]) {
      expect(target).toMatchObject({ kind: 'local', stackName: 'Taskpulse-dev' });
      expect(target.aws).toMatchObject({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000' });
      expect(await target.resource('historyTable')).toBe('local-history');
    }
    expect(other.kind).toBe('aws');
  });

  it('says which output is missing from the local stack', async () => {
    const cwd = emptyDir();
    await writeLocalStackFile(localStack, { path: localStackFilePath(cwd, {}) });
    const target = await resolveTarget({ local: true }, io({}, cwd));

    await expect(target.resource('rollupFunction')).rejects.toThrow(ResourceNotFoundError);
    await expect(target.resource('rollupFunction')).rejects.toThrow(
      'has no rollup function (output RollupFunctionName)',
    );
  });
});
