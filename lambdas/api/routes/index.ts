/**
 * The read API's route table.
 *
 * How to add a route: write one module `routes/<name>.ts` that exports a route built with
 * `defineRoute` (`route.ts`): its `path` template (`/v1/things/{id}`), `operationId`, `summary`, zod
 * schemas for `query` and `params` (query values arrive as strings: use `z.coerce` or enums), the
 * `responses` it can give by status with a zod `schema` each (a free-form body such as Prometheus
 * text declares a `contentType` and no schema), and `handle({ query, params, request }, deps)`,
 * which returns `{ status, body, contentType?, headers? }`. Then add it to `ROUTES` below: one line.
 *
 * The router (`router.ts`) validates the parameters before `handle` runs (a 400
 * `application/problem+json` body naming each bad parameter), parses JSON answers through the
 * declared schema, and turns an `InvalidParameterError` thrown by `handle` into a 400 and anything
 * else into a 500 that hides internals. `handle` reads through `deps` (`deps.ts`) and the shared
 * query layer (`lambdas/shared/queries/`). `GET /openapi.json` is generated from this table
 * (`openapi.ts`), so a route is documented by declaring it; run `npm run openapi` to refresh
 * `docs/openapi.json` (checked by `npm run check`).
 */
import { alertsRoute } from './alerts';
import { executionRoute } from './execution';
import { executionsRoute } from './executions';
import { failuresRoute } from './failures';
import { feedRoute } from './feed';
import { healthRoute } from './health';
import { jobRoute } from './jobs';
import { metricsRoute } from './metrics';
import type { AnyRoute } from './route';
import { statsRoute } from './stats';

/** Every route, in the order they are matched (a fixed path before a template that would also match). */
export const ROUTES: readonly AnyRoute[] = [
  statsRoute,
  executionsRoute,
  executionRoute,
  failuresRoute,
  alertsRoute,
  feedRoute,
  jobRoute,
  healthRoute,
  metricsRoute,
];
