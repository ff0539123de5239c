import type { TaskStatus } from '../contract/event';
import { InvalidQueryError } from './errors';

/**
 * Page tokens (`--next` in the CLI, `next` in the API): the query a page belongs to (with its time range resolved, so a relative `--from 2h`
 * does not move between pages) and the cursor, as base64url JSON. Opaque to users; not a secret.
 */

/** What a list of executions asks for. */
export interface ExecutionQuery {
  readonly taskType: string | null;
  readonly status: TaskStatus | null;
  /** Inclusive, UTC ISO. */
  readonly fromIso: string;
  /** Exclusive, UTC ISO. */
  readonly toIso: string;
}

const TOKEN_VERSION = 1;

interface TokenBody {
  readonly v: typeof TOKEN_VERSION;
  readonly q: { t: string | null; s: TaskStatus | null; f: string; u: string };
  readonly c: string;
}

/** The token of the page after `cursor`. Pure. */
export const encodePageToken = (query: ExecutionQuery, cursor: string): string => {
  const body: TokenBody = {
    v: TOKEN_VERSION,
    q: { t: query.taskType, s: query.status, f: query.fromIso, u: query.toIso },
    c: cursor,
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
};

/** The query and cursor in a token; throws `InvalidQueryError` for anything that is not one. Pure. */
export const decodePageToken = (token: string): { query: ExecutionQuery; cursor: string } => {
  const invalid = () =>
    new InvalidQueryError('the page token is not valid', {
      hint: 'pass the "next" value of the previous page, unchanged',
    });
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenBody>;
  } catch {
    throw invalid();
  }
  const q = body?.q;
  if (
    body?.v !== TOKEN_VERSION ||
    typeof body.c !== 'string' ||
    q === undefined ||
    typeof q.f !== 'string' ||
    typeof q.u !== 'string' ||
    (q.t !== null && typeof q.t !== 'string') ||
    (q.s !== null && typeof q.s !== 'string')
  )
    throw invalid();
  return { query: { taskType: q.t, status: q.s, fromIso: q.f, toIso: q.u }, cursor: body.c };
};

/** Why a page token was refused. */
export type PageTokenProblem = 'invalid' | 'other-query';

/** A page token that cannot continue this query; `problem` says why (each caller words its own fix). */
export class PageTokenError extends InvalidQueryError {
  constructor(
    readonly problem: PageTokenProblem,
    options: { readonly cause?: unknown } = {},
  ) {
    super(
      problem === 'invalid'
        ? 'the page token is not valid'
        : 'the page token belongs to another query (taskType or status differ)',
      options,
    );
  }
}

/**
 * The query of a page: the one in the token when given (its time range kept, so pages of a relative
 * range do not shift), else the fresh one. A token of another query (a filter given explicitly with a
 * different value) is refused. Throws `PageTokenError`. Pure.
 */
export const resumeQuery = (
  fresh: ExecutionQuery,
  token: string | undefined,
  explicit: { readonly taskType: boolean; readonly status: boolean },
): { query: ExecutionQuery; cursor?: string } => {
  if (token === undefined) return { query: fresh };
  let decoded: ReturnType<typeof decodePageToken>;
  try {
    decoded = decodePageToken(token);
  } catch (error) {
    throw new PageTokenError('invalid', { cause: error });
  }
  const { query, cursor } = decoded;
  if (
    (explicit.taskType && query.taskType !== fresh.taskType) ||
    (explicit.status && query.status !== fresh.status)
  )
    throw new PageTokenError('other-query');
  return { query, cursor };
};
