import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENV } from '../shared/names/env';
import { OUTPUT } from '../shared/names/outputs';
import { apiDeps } from './env-deps';
import { createApiHandler } from './handler-factory';

/**
 * Local mode's read API: the same handler as in Lambda, behind a loopback `node:http` server that turns
 * each request into an API Gateway REST proxy event. Written by hand because it is a few lines over
 * `node:http`; an emulated API Gateway would need Docker. Nothing here runs in Lambda.
 */

/** The proxy event of a request (path, query, headers as API Gateway passes them). Pure. */
export const toProxyEvent = (
  request: { readonly method: string; readonly url: string; readonly headers: IncomingMessage['headers'] },
  requestId: string = randomUUID(),
): APIGatewayProxyEvent => {
  const url = new URL(request.url, 'http://localhost');
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    single[k] = v; // API Gateway keeps the last value of a repeated parameter.
    multi[k] = [...(multi[k] ?? []), v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return {
    resource: '/{proxy+}',
    path: decodeURI(url.pathname),
    httpMethod: request.method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: Object.keys(single).length === 0 ? null : single,
    multiValueQueryStringParameters: Object.keys(multi).length === 0 ? null : multi,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId, httpMethod: request.method, path: url.pathname, stage: 'local' },
  } as unknown as APIGatewayProxyEvent;
};

/** A running local API. */
export interface LocalApi {
  /** e.g. `http://127.0.0.1:43127` */
  readonly url: string;
  close(): Promise<void>;
}

/** Serve a proxy handler on a loopback port (0: any free port). */
export const serveProxyHandler = async (
  handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  options: { readonly port?: number; readonly host?: string } = {},
): Promise<LocalApi> => {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    handler(toProxyEvent({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }))
      .then((result) => {
        res.writeHead(result.statusCode, result.headers as Record<string, string> | undefined);
        res.end(req.method === 'HEAD' ? undefined : result.body);
      })
      .catch(() => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('local API adapter failed\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** Port of local mode's API. */
const LOCAL_API_PORT_ENV = 'TASKPULSE_LOCAL_API_PORT';

/**
 * Serve the read API over a local stack: its tables from the stack outputs, plus the environment of
 * the stack's API function when it has one. Call with the local runtime's endpoint variables in
 * `process.env` (the clients read `AWS_ENDPOINT_URL` themselves).
 */
export const startLocalApi = async (
  stack: {
    readonly outputs: Readonly<Record<string, string>>;
    readonly functions: readonly {
      readonly constructId: string;
      readonly environment: Record<string, string>;
    }[];
  },
  /** Wraps the handler, e.g. local mode's invocation tap (its dashboard graphs AWS/Lambda). @default none */
  wrap: <H>(handler: H) => H = (handler) => handler,
): Promise<LocalApi> => {
  const fn = stack.functions.find((f) => f.constructId === 'ApiFunction');
  const env = {
    ...process.env,
    [ENV.historyTable]: stack.outputs[OUTPUT.historyTableName],
    [ENV.stateTable]: stack.outputs[OUTPUT.stateTableName],
    ...fn?.environment,
  };
  return serveProxyHandler(wrap(createApiHandler(apiDeps(env))), {
    port: Number(process.env[LOCAL_API_PORT_ENV] ?? 0),
  });
};
