import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import type { ApiDeps } from './deps';
import {
  InvalidParameterError,
  internalError,
  invalidParams,
  methodNotAllowed,
  notFound,
  PROBLEM_CONTENT_TYPE,
  type Problem,
} from './problem';
import type { AnyRoute, ApiRequest, RouteResponse } from './routes/route';

/**
 * Routing of API Gateway REST proxy events to the route table: match the path against each route's
 * template, validate the path and query parameters with the route's zod schemas (a 400 problem naming
 * each bad parameter), run the route, and shape its JSON answer with the declared response schema.
 * Written by hand because it is ~100 lines over zod and the event type; a web framework would bring
 * its own request model for what is one GET per route.
 */

/** A compiled path template. */
interface Matcher {
  readonly route: AnyRoute;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** `/v1/jobs/{jobId}` → a regex with one group per parameter. Pure. */
export const compilePath = (template: string): { pattern: RegExp; names: string[] } => {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      const m = /^\{([A-Za-z0-9_]+)\}$/.exec(part);
      if (m === null) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
};

/** The routes of a table whose template matches a path, with the decoded path parameters. Pure. */
const matchPath = (
  matchers: readonly Matcher[],
  path: string,
): { route: AnyRoute; params: Record<string, string> } | undefined => {
  for (const m of matchers) {
    const hit = m.pattern.exec(path);
    if (hit === null) continue;
    const params: Record<string, string> = {};
    m.names.forEach((name, i) => {
      const raw = hit[i + 1]!;
      // A malformed escape (`%E0`) is kept as sent: the route's schema or lookup rejects it.
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        params[name] = raw;
      }
    });
    return { route: m.route, params };
  }
  return undefined;
};

/** Zod issues as rejected parameters (the first path element is the parameter name). Pure. */
const issuesToParams = (issues: readonly z.core.$ZodIssue[]): { name: string; reason: string }[] =>
  issues.map((issue) => ({ name: String(issue.path[0] ?? '(query)'), reason: issue.message }));

const problemResult = (problem: Problem): APIGatewayProxyResult => ({
  statusCode: problem.status,
  headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  body: JSON.stringify(problem),
});

const toResult = (route: AnyRoute, res: RouteResponse): APIGatewayProxyResult => {
  const contentType = res.contentType ?? route.responses[res.status]?.contentType ?? 'application/json';
  const isJson = /json/.test(contentType);
  const schema = route.responses[res.status]?.schema;
  const body = isJson && schema !== undefined ? schema.parse(res.body) : res.body;
  return {
    statusCode: res.status,
    headers: { 'content-type': contentType, ...res.headers },
    body: typeof body === 'string' && !isJson ? body : JSON.stringify(body),
  };
};

/** Single-valued query parameters of an event (API Gateway already URL-decodes them). */
const queryOf = (event: APIGatewayProxyEvent): Record<string, string> =>
  ({
    ...(event.queryStringParameters ?? {}),
  }) as Record<string, string>;

const headersOf = (event: APIGatewayProxyEvent): Record<string, string> =>
  Object.fromEntries(
    Object.entries(event.headers ?? {})
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => [k.toLowerCase(), v]),
  );

/** Build the router of a route table. */
export const createRouter = (routes: readonly AnyRoute[]) => {
  const matchers: Matcher[] = routes.map((route) => ({ route, ...compilePath(route.path) }));
  return async (event: APIGatewayProxyEvent, deps: ApiDeps): Promise<APIGatewayProxyResult> => {
    const path = event.path || '/';
    const hit = matchPath(matchers, path);
    if (hit === undefined) return problemResult(notFound(`no resource at ${path}`));
    if (event.httpMethod !== 'GET' && event.httpMethod !== 'HEAD')
      return problemResult(methodNotAllowed(event.httpMethod, path));
    const { route } = hit;
    const params =
      route.params === undefined ? { success: true as const, data: {} } : route.params.safeParse(hit.params);
    const query =
      route.query === undefined
        ? { success: true as const, data: {} }
        : route.query.safeParse(queryOf(event));
    const bad = [
      ...(params.success ? [] : issuesToParams(params.error.issues)),
      ...(query.success ? [] : issuesToParams(query.error.issues)),
    ];
    if (bad.length > 0 || !params.success || !query.success) return problemResult(invalidParams(bad));
    const request: ApiRequest = {
      path,
      headers: headersOf(event),
      ...(event.requestContext?.requestId !== undefined && { requestId: event.requestContext.requestId }),
    };
    try {
      const res = await route.handle({ query: query.data, params: params.data, request }, deps);
      return toResult(route, res);
    } catch (error) {
      if (error instanceof InvalidParameterError)
        return problemResult(invalidParams([{ name: error.parameter, reason: error.reason }]));
      deps.logger?.error('request failed', {
        path,
        requestId: request.requestId,
        error:
          error instanceof Error
            ? { name: error.name, message: error.message, stack: error.stack }
            : String(error),
      });
      return problemResult(internalError(request.requestId));
    }
  };
};
