import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { servedRoutes } from '../lambdas/api/handler-factory';
import { buildOpenApiDocument } from '../lambdas/api/openapi';
import { writeOrCheck } from './checked-file';

/**
 * Publish the read API's OpenAPI 3.1 document (`docs/openapi.json`), generated from the route table's
 * zod schemas, exactly what `GET /openapi.json` serves. `--check` fails when the checked-in file is
 * stale, so CI catches a route change that was not republished.
 *
 * Usage: `npm run openapi` (write) or `npm run openapi:check` (verify).
 */

/** Where the document lives, relative to the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The file content: two-space JSON with a trailing newline (stable across runs). */
export const renderOpenApi = (): string =>
  `${JSON.stringify(buildOpenApiDocument(servedRoutes()), null, 2)}\n`;

/** Write the document, or with `check` compare it. */
export const run = (check: boolean): number =>
  writeOrCheck(resolve(repoRoot, OPENAPI_FILE), renderOpenApi(), {
    check,
    source: 'the routes in lambdas/api/routes/',
    command: 'npm run openapi',
  });

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = run(process.argv.includes('--check'));
