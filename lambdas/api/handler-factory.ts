import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiDeps } from './deps';
import { openApiRoute } from './openapi';
import { createRouter } from './router';
import { ROUTES } from './routes';
import type { AnyRoute } from './routes/route';

/** The route table served: every route of `routes/index.ts` plus `GET /openapi.json` describing them. */
export const servedRoutes = (routes: readonly AnyRoute[] = ROUTES): AnyRoute[] => [
  ...routes,
  openApiRoute(routes),
];

/**
 * Build the read API's handler for API Gateway REST proxy events. The same handler serves AWS and
 * local mode (`local-server.ts` turns node:http requests into proxy events).
 */
export const createApiHandler = (deps: ApiDeps, routes: readonly AnyRoute[] = ROUTES) => {
  const route = createRouter(servedRoutes(routes));
  return (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => route(event, deps);
};
