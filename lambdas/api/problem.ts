import { z } from 'zod';

/**
 * Error answers of the read API as RFC 9457 problem details (`application/problem+json`): a caller
 * sees what was wrong and, for bad input, which parameter; never a stack or an SDK message.
 */

/** Media type of every error answer. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One rejected parameter. */
const invalidParamSchema = z
  .object({
    name: z.string().meta({ description: 'The query or path parameter, e.g. `limit`.' }),
    reason: z.string(),
  })
  .meta({ id: 'InvalidParam' });

/** The body of every 4xx/5xx answer. */
export const problemSchema = z
  .object({
    type: z
      .string()
      .meta({ description: 'A URI naming the kind of problem (`about:blank` for plain HTTP ones).' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    invalidParams: z.array(invalidParamSchema).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export type Problem = z.infer<typeof problemSchema>;

/** Problem types of this API (relative URIs, stable: clients may switch on them). */
export const PROBLEM_TYPE = {
  invalidParameter: '/problems/invalid-parameter',
  notFound: '/problems/not-found',
  methodNotAllowed: '/problems/method-not-allowed',
  internal: '/problems/internal',
} as const;

/** A 400 naming each bad parameter. Pure. */
export const invalidParams = (params: readonly { name: string; reason: string }[]): Problem => ({
  type: PROBLEM_TYPE.invalidParameter,
  title: 'Invalid parameter',
  status: 400,
  detail: params.map((p) => `${p.name}: ${p.reason}`).join('; '),
  invalidParams: [...params],
});

/** A 404. Pure. */
export const notFound = (detail: string): Problem => ({
  type: PROBLEM_TYPE.notFound,
  title: 'Not found',
  status: 404,
  detail,
});

/** A 405. Pure. */
export const methodNotAllowed = (method: string, path: string): Problem => ({
  type: PROBLEM_TYPE.methodNotAllowed,
  title: 'Method not allowed',
  status: 405,
  detail: `${method} is not supported on ${path}; this API is read-only (GET)`,
});

/** A 500 that says nothing about internals (they go to the log). Pure. */
export const internalError = (requestId: string | undefined): Problem => ({
  type: PROBLEM_TYPE.internal,
  title: 'Internal error',
  status: 500,
  detail: `the request could not be answered${requestId ? ` (request id ${requestId})` : ''}; retry later`,
});

/**
 * Raised by a route for an input it rejects after validation (e.g. a cursor that does not decode):
 * becomes a 400 naming `parameter`.
 */
export class InvalidParameterError extends Error {
  override readonly name = 'InvalidParameterError';
  constructor(
    readonly parameter: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${parameter}: ${reason}`, options);
  }
}
