import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApi, startLocalApi, toProxyEvent } from '../../../lambdas/api/local-server';
import { OUTPUT } from '../../../lambdas/shared/names/outputs';
import { motoClientConfig } from '../../support/aws';
import { BASE_TIME_MS, makeLifecycle } from '../../support/events';
import { createTestTables, TestFeed } from '../../support/tables';

/**
 * Local mode's read API: the Lambda handler behind a loopback HTTP server, over tables on moto, found
 * the way `npm start` finds them (stack outputs, endpoint variables in the environment).
 */

let api: LocalApi;
const saved = { ...process.env };

beforeAll(async () => {
  const tables = await createTestTables();
  const config = motoClientConfig();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: config.endpoint,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
  });
  const events = makeLifecycle({ taskId: 'local-1', startMs: BASE_TIME_MS }).map((e) => ({
    ...e,
    jobId: 'job-local',
  }));
  await new TestFeed(tables).send(events, BASE_TIME_MS + 60_000);
  api = await startLocalApi({
    outputs: { [OUTPUT.historyTableName]: tables.historyTable, [OUTPUT.stateTableName]: tables.stateTable },
    functions: [],
  });
});

afterAll(async () => {
  await api?.close();
  process.env = saved;
});

describe('the local read API', () => {
  it('serves the handler on loopback over HTTP', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const job = await fetch(`${api.url}/v1/jobs/job-local`);
    const bad = await fetch(`${api.url}/v1/executions?limit=many`);
    const doc = await fetch(`${api.url}/openapi.json`);

    expect(job.status).toBe(200);
    expect(((await job.json()) as { progress: unknown }).progress).toEqual({
      finished: 1,
      total: 1,
      ratio: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as { invalidParams: { name: string }[] }).invalidParams[0]!.name).toBe(
      'limit',
    );
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });
});

describe('toProxyEvent', () => {
  it('passes the path decoded, single and multi-valued query parameters and headers as API Gateway does', () => {
    const event = toProxyEvent({
      method: 'GET',
      url: '/v1/executions/a%20b?status=failed&x=1&x=2',
      headers: { accept: 'application/json' },
    });

    expect(event.path).toBe('/v1/executions/a b');
    expect(event.queryStringParameters).toEqual({ status: 'failed', x: '2' });
    expect(event.multiValueQueryStringParameters).toEqual({ status: ['failed'], x: ['1', '2'] });
    expect(event.headers.accept).toBe('application/json');
  });
});
