import type { z } from 'zod';
import type { ApiDeps } from '../deps';

/**
 * The contract of one API route (see the note in `index.ts`). A route declares its path, its
 * parameters and its answers as zod schemas; the router validates the input with them before
 * `handle` runs, shapes JSON answers with them after, and the OpenAPI document is generated from
 * the same declarations, so the document cannot drift from the code.
 */

/** The parts of a request a route may look at besides its validated parameters. */
export interface ApiRequest {
  readonly path: string;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId?: string;
}

/** What a route answers. JSON bodies are parsed through the declared response schema. */
export interface RouteResponse {
  readonly status: number;
  readonly body: unknown;
  /** @default 'application/json' (a string body is sent as is; anything else as JSON) */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One documented answer of a route. */
export interface RouteAnswer {
  readonly description: string;
  /** Shape of the body; JSON answers are parsed through it. Omit for a free-form body. */
  readonly schema?: z.ZodType;
  /** @default 'application/json' */
  readonly contentType?: string;
}

type ZodObjectOrUndefined = z.ZodObject | undefined;
type Parsed<S extends ZodObjectOrUndefined> = S extends z.ZodObject ? z.output<S> : Record<string, never>;

/** A route with its parameter types. Build one with `defineRoute` so `handle` is typed. */
export interface Route<
  Q extends ZodObjectOrUndefined = ZodObjectOrUndefined,
  P extends ZodObjectOrUndefined = ZodObjectOrUndefined,
> {
  /** Path template as in OpenAPI and API Gateway: `/v1/jobs/{jobId}`. */
  readonly path: string;
  /** Only GET: the API is read-only. */
  readonly method: 'get';
  /** OpenAPI operation id (unique). */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Query parameters (every value arrives as a string; coerce in the schema). */
  readonly query?: Q;
  /** Path parameters, one per `{name}` in `path`. */
  readonly params?: P;
  /** Answers by HTTP status. 400 and 500 problem answers are added to every route. */
  readonly responses: Readonly<Record<number, RouteAnswer>>;
  readonly handle: (
    input: { readonly query: Parsed<Q>; readonly params: Parsed<P>; readonly request: ApiRequest },
    deps: ApiDeps,
  ) => Promise<RouteResponse>;
}

/** Any route (what the route table holds). */
// biome-ignore lint/suspicious/noExplicitAny: the table erases each route's parameter types
export type AnyRoute = Route<any, any>;

/** Declare a route; identity at run time, types `handle` from the schemas. */
export const defineRoute = <
  Q extends ZodObjectOrUndefined = undefined,
  P extends ZodObjectOrUndefined = undefined,
>(
  route: Route<Q, P>,
): AnyRoute => route as AnyRoute;

/** A JSON answer. */
export const json = (status: number, body: unknown): RouteResponse => ({ status, body });
