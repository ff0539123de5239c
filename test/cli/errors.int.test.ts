import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeLocalStackFile } from '../../cli/local-stack-file';
import { motoClientConfig } from '../support/aws';
import { taskpulse } from './support/run';

/**
 * What the CLI says when it cannot work: missing credentials, region, stack or local mode, and a wrong
 * command line. Each message names the fix; exit code 1 for run-time problems, 2 for usage.
 */

/** An environment where the AWS SDK finds no credentials and no region, quickly (no instance metadata). */
const noAwsSetup = () => {
  for (const name of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
  ])
    vi.stubEnv(name, undefined);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
};

const emptyDir = () => mkdtempSync(path.join(tmpdir(), 'taskpulse-cli-'));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('AWS setup', () => {
  it('says how to get credentials when there are none', async () => {
    noAwsSetup();

    const result = await taskpulse(['alerts'], { env: { AWS_REGION: 'eu-west-1' }, cwd: emptyDir() });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'taskpulse: no AWS credentials\n' +
        '  fix: set AWS_PROFILE or run aws configure (or aws sso login), or use --local for local mode (npm start)\n',
    );
  });

  it('says how to set a region when there is none', async () => {
    noAwsSetup();

    const result = await taskpulse(['stats'], {
      env: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
      cwd: emptyDir(),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('taskpulse: no AWS region\n  fix: set AWS_REGION or pass --region');
  });

  it('names the stack it looked for, and how to fix it, when the stack does not exist', async () => {
    const aws = motoClientConfig();
    const env = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: aws.region };

    const byStage = await taskpulse(['history', '--stage', 'qa', '--endpoint', aws.endpoint], {
      env,
      cwd: emptyDir(),
    });
    const byName = await taskpulse(
      ['alerts', '--stack', 'NoSuchStack', '--endpoint', aws.endpoint, '--json'],
      {
        env,
        cwd: emptyDir(),
      },
    );

    expect(byStage.code).toBe(1);
    expect(byStage.stderr).toBe(
      'taskpulse: stack Taskpulse-qa not found in us-east-1\n' +
        '  fix: deploy it (npx cdk deploy -c stage=<stage>), choose another with --stack or --stage (and --region), ' +
        'or use --local for local mode (npm start)\n',
    );
    expect(byName.stderr).toContain('taskpulse: stack NoSuchStack not found in us-east-1');
    expect(byName.stdout).toBe('');
  });

  it('says that AWS cannot be reached at a dead endpoint', async () => {
    const result = await taskpulse(
      ['show', 'x', '--history-table', 'h', '--endpoint', 'http://127.0.0.1:9'],
      {
        env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_REGION: 'us-east-1' },
        cwd: emptyDir(),
      },
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^taskpulse: could not reach http:\/\/127\.0\.0\.1:9: /);
  });
});

describe('local mode', () => {
  it('says how to start local mode when its stack file is missing', async () => {
    const cwd = emptyDir();

    const result = await taskpulse(['stats', '--local'], { cwd });

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `taskpulse: no local stack: ${path.join(cwd, '.taskpulse', 'local-stack.json')} does not exist\n` +
        '  fix: start local mode with npm start (it writes that file), then run this command again\n',
    );
  });

  it('says when the local mode that wrote the file has stopped', async () => {
    const cwd = emptyDir();
    await writeLocalStackFile(
      { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', stackName: 'Taskpulse-dev', outputs: {} },
      { path: path.join(cwd, '.taskpulse', 'local-stack.json'), pid: 2 ** 22 + 17 },
    );

    const result = await taskpulse(['alerts', '--local'], { cwd });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is no longer running\n  fix: start it with npm start');
  });

  it('is used by itself when AWS_ENDPOINT_URL names its endpoint, and says when it is unreachable', async () => {
    const cwd = emptyDir();
    await writeLocalStackFile(
      {
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        stackName: 'Taskpulse-dev',
        outputs: { StateTableName: 's' },
      },
      { path: path.join(cwd, '.taskpulse', 'local-stack.json') },
    );

    const result = await taskpulse(['alerts'], { cwd, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9/' } });

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /could not reach http:\/\/127\.0\.0\.1:9: .*\n {2}fix: is local mode running\?/,
    );
  });
});

describe('usage', () => {
  it.each([
    [['failures', '--since', 'yesterday-ish'], 'taskpulse: --since "yesterday-ish" is not a duration'],
    [['history', '--from', '2h', '--to', '3h'], 'must be before --to'],
    [['history', '--next', 'not-a-token'], 'taskpulse: the --next token is not valid'],
    [['history', '--status', 'exploded'], "error: option '--status <status>' argument 'exploded' is invalid"],
    [['stats', '--days', '0'], 'must be a whole number from 1 to 400'],
    [['backfill'], "error: required option '--from <day>' not specified"],
    [
      ['backfill', '--from', '2026-03-05', '--to', '2026-03-01'],
      'taskpulse: --from 2026-03-05 is after --to 2026-03-01',
    ],
    [['show'], "error: missing required argument 'taskId'"],
    [['frobnicate'], "error: unknown command 'frobnicate'"],
  ])('taskpulse %j exits 2 with a clear message', async (argv, message) => {
    const result = await taskpulse(argv, { cwd: emptyDir() });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });

  it('prints help and exits 0 with --help, 2 with no command', async () => {
    const help = await taskpulse(['--help']);
    const none = await taskpulse([]);

    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: taskpulse [options] [command]');
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('Commands:');
  });
});
