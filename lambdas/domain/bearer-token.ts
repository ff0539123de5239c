import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The read API's bearer token check, for scrapers that cannot sign requests (Prometheus). Pure.
 */

/** Shortest token accepted as configured: a guessable secret is refused rather than used. */
export const MIN_TOKEN_CHARS = 32;

/**
 * True when an `Authorization` header carries exactly `Bearer <expected>`. Compared as SHA-256 digests
 * with `timingSafeEqual`, so the time taken says nothing about how much of the token matched (the
 * digests also have equal lengths whatever the input). A configured token shorter than
 * `MIN_TOKEN_CHARS` matches nothing.
 */
export const bearerTokenMatches = (authorization: string | undefined, expected: string): boolean => {
  if (expected.length < MIN_TOKEN_CHARS || authorization === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (match === null) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(match[1]!), digest(expected));
};

/**
 * The execute-api resources a valid token may call: `GET` on each of `paths` in the stage of
 * `methodArn` (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<method>/<path>`). The policy
 * names every path the token opens, not only the one asked, because API Gateway caches an
 * authorizer's policy per token and reuses it for the other paths.
 */
export const tokenResourcesOf = (methodArn: string, paths: readonly string[]): string[] => {
  const [apiPart = '', stage = ''] = methodArn.split('/');
  return paths.map((path) => `${apiPart}/${stage}/GET${path}`);
};
