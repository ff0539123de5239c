import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { ApiDeps } from '../../../lambdas/api/deps';
import { InvalidParameterError } from '../../../lambdas/api/problem';
import { compilePath, createRouter } from '../../../lambdas/api/router';
import { defineRoute } from '../../../lambdas/api/routes/route';

/** A GET proxy event for a path and query. */
const get = (path: string, query: Record<string, string> | null = null, method = 'GET') =>
  ({
    path,
    httpMethod: method,
    headers: {},
    queryStringParameters: query,
    requestContext: { requestId: 'r-1' },
  }) as unknown as APIGatewayProxyEvent;

const thing = defineRoute({
  path: '/v1/things/{id}',
  method: 'get',
  operationId: 'getThing',
  summary: 'a thing',
  params: z.object({ id: z.string().regex(/^t-/) }),
  query: z.object({ limit: z.coerce.number().int().min(1).max(10).default(5) }),
  responses: { 200: { description: 'ok', schema: z.object({ id: z.string(), limit: z.number() }) } },
  handle: async ({ params, query }) => {
    if (params.id === 't-bad') throw new InvalidParameterError('id', 'is retired');
    if (params.id === 't-boom') throw new Error('secret table name in here');
    return { status: 200, body: { id: params.id, limit: query.limit, internal: 'dropped' } };
  },
});

const logger = { error: vi.fn() };
const route = createRouter([thing]);
const deps = { logger } as unknown as ApiDeps;

describe('the router', () => {
  it('matches templates and decodes path parameters', () => {
    const { pattern, names } = compilePath('/v1/jobs/{jobId}');

    expect(names).toEqual(['jobId']);
    expect(pattern.exec('/v1/jobs/a%2Fb')?.[1]).toBe('a%2Fb');
    expect(pattern.test('/v1/jobs/a/b')).toBe(false);
  });

  it('answers with the validated input, shaped by the response schema', async () => {
    const res = await route(get('/v1/things/t-1', { limit: '3' }), deps);

    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual({ id: 't-1', limit: 3 });
  });

  it('rejects bad parameters with a 400 problem naming each one', async () => {
    const res = await route(get('/v1/things/x-1', { limit: '50' }), deps);

    expect(res.statusCode).toBe(400);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ status: 400, type: '/problems/invalid-parameter' });
    expect(body.invalidParams.map((p: { name: string }) => p.name).sort()).toEqual(['id', 'limit']);
    expect(body.detail).toMatch(/limit/);
  });

  it('turns an InvalidParameterError of a route into a 400 naming its parameter', async () => {
    const res = await route(get('/v1/things/t-bad'), deps);

    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).invalidParams).toEqual([{ name: 'id', reason: 'is retired' }]);
  });

  it('answers a malformed escape in a path parameter with a 400, not a crash', async () => {
    const res = await route(get('/v1/things/%E0%A4%A'), deps);

    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).invalidParams[0].name).toBe('id');
  });

  it('answers 404 for an unknown path and 405 for a write', async () => {
    expect((await route(get('/v2/nothing'), deps)).statusCode).toBe(404);
    expect((await route(get('/v1/things/t-1', null, 'DELETE'), deps)).statusCode).toBe(405);
  });

  it('hides internals of an unexpected error behind a 500 with the request id, and logs them', async () => {
    const res = await route(get('/v1/things/t-boom'), deps);

    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/secret/);
    expect(JSON.parse(res.body).detail).toMatch(/r-1/);
    expect(logger.error).toHaveBeenCalledWith(
      'request failed',
      expect.objectContaining({ requestId: 'r-1' }),
    );
  });
});
