/**
 * Paths of the read API that CDK wires up (`infra/read-api.ts`) and the Lambdas serve: owned here so
 * the API Gateway resources, the token authorizer's policy and the routes agree.
 */

/** Version prefix of the query routes (`/v1/...`). */
export const API_VERSION_PREFIX = '/v1';

/** Unversioned paths: health, Prometheus metrics and the OpenAPI document. */
export const API_PATH = {
  health: '/health',
  metrics: '/metrics',
  openapi: '/openapi.json',
} as const;

/**
 * Paths a read-only bearer token may call when the token authorizer is enabled: what scrapers and
 * uptime probes need, no execution data (params, errors). Every other path stays SigV4-only.
 */
export const TOKEN_PATHS: readonly string[] = [API_PATH.metrics, API_PATH.health];
