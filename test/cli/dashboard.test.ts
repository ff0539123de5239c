import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLocalStackFile } from '../../cli/local-stack-file';
import { taskpulse } from './support/run';

/** `taskpulse dashboard`: the console URL of the deployed dashboard, or local mode's page. */

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const stackFile = async (dashboardUrl?: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskpulse-dash-'));
  dirs.push(dir);
  const file = path.join(dir, 'local-stack.json');
  await writeLocalStackFile(
    {
      endpoint: 'http://127.0.0.1:5000',
      region: 'us-east-1',
      stackName: 'Taskpulse-dev',
      outputs: {},
      ...(dashboardUrl !== undefined && { dashboardUrl }),
    },
    { path: file },
  );
  return file;
};

describe('taskpulse dashboard', () => {
  it('prints the console URL of the named dashboard in the given region', async () => {
    const run = await taskpulse([
      'dashboard',
      '--dashboard-name',
      'Taskpulse-prod-eu-west-1',
      '--region',
      'eu-west-1',
    ]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/Taskpulse-prod-eu-west-1\n',
    );
  });

  it('with --local prints the page local mode recorded', async () => {
    const file = await stackFile('http://127.0.0.1:43210/');

    const run = await taskpulse(['dashboard', '--local'], { env: { TASKPULSE_LOCAL_STACK_FILE: file } });

    expect(run.code).toBe(0);
    expect(run.stdout).toBe('http://127.0.0.1:43210/\n');
  });

  it('with --local says how to get a page when local mode recorded none', async () => {
    const file = await stackFile();

    const run = await taskpulse(['dashboard', '--local'], { env: { TASKPULSE_LOCAL_STACK_FILE: file } });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/records no dashboard/);
    expect(run.stderr).toMatch(/npm start/);
  });
});
