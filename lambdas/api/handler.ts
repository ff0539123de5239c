import { apiDeps } from './env-deps';
import { createApiHandler } from './handler-factory';

/** Lambda entry of the read API: binds configuration and clients once per container. */
export const handler = createApiHandler(apiDeps());
