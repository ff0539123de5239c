import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CONTRACT_VERSION, taskEventSchema } from '../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../lambdas/shared/contract/limits';
import { writeOrCheck } from './checked-file';

/**
 * Publish the event contract as JSON Schema (draft 2020-12) for producers that do not use our SDK.
 *
 * The zod schema in `lambdas/shared/contract/event.ts` is the source of truth; this script derives
 * `schema/task-event.v1.schema.json` from it. `--check` fails when the checked-in file is stale, so
 * CI catches a contract change that was not republished.
 *
 * Usage: `npm run schema` (write) or `npm run schema:check` (verify).
 */

/** Where the published schema lives, relative to the repository root. */
export const SCHEMA_FILE = `schema/task-event.v${CONTRACT_VERSION}.schema.json`;

/** Stable identifier of the published schema (a URN: it names the contract, not a download location). */
export const SCHEMA_ID = `urn:taskpulse:schema:task-event:v${CONTRACT_VERSION}`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of the published schema file. */
export const schemaPath = (): string => resolve(repoRoot, SCHEMA_FILE);

type JsonObject = Record<string, unknown>;

const minutes = (ms: number): number => ms / 60_000;
const days = (ms: number): number => ms / 86_400_000;

const propertyOf = (schema: JsonObject, name: string): JsonObject => {
  const property = (schema.properties as Record<string, JsonObject> | undefined)?.[name];
  if (property === undefined) throw new Error(`the generated schema has no property "${name}"`);
  return property;
};

/** Append a sentence to a schema node's description. */
const explain = (node: JsonObject, sentence: string): void => {
  node.description = typeof node.description === 'string' ? `${node.description} ${sentence}` : sentence;
};

/**
 * The JSON Schema of one event, as a plain object.
 *
 * zod drops refinements it cannot express (`superRefine`, the ingest clock checks), so this adds
 * what JSON Schema can say (`maxProperties` for dimensions and metrics) and documents the rest in
 * descriptions. A message valid by this schema can still be rejected for its total size or its clock.
 */
export const generateTaskEventSchema = (): JsonObject => {
  const generated = z.toJSONSchema(taskEventSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
  }) as JsonObject;
  const { $schema, ...body } = generated;

  explain(
    propertyOf(body, 'occurredAt'),
    `Offsets are accepted and normalised to UTC. Checked at ingest (not expressible here): at most ` +
      `${minutes(EVENT_LIMITS.maxFutureSkewMs)} minutes ahead of and at most ${days(EVENT_LIMITS.maxAgeMs)} days ` +
      `behind the ingest clock, else the message is quarantined with code "clock".`,
  );
  explain(
    propertyOf(body, 'params'),
    `Not expressible here: the byte limit is checked on the JSON encoding (UTF-8); nesting is at most ` +
      `${EVENT_LIMITS.maxParamsDepth} levels (params itself is level 1).`,
  );
  const dimensions = propertyOf(body, 'dimensions');
  dimensions.maxProperties = EVENT_LIMITS.maxDimensions;
  const metrics = propertyOf(body, 'metrics');
  metrics.maxProperties = EVENT_LIMITS.maxMetrics;
  explain(metrics, 'Values must be finite numbers.');

  explain(
    propertyOf(body, 'status'),
    '"retrying" carries the number of the attempt that failed; the next attempt\'s events carry attempt + 1.',
  );

  return {
    $schema,
    $id: SCHEMA_ID,
    title: `Taskpulse task event v${CONTRACT_VERSION}`,
    description:
      `One lifecycle event of one task, sent as the body of one SQS message. ` +
      `The whole body must be at most ${EVENT_LIMITS.maxEventBytes} bytes (UTF-8). ` +
      `Events of a task may arrive in any order and more than once; eventId makes duplicates harmless. ` +
      `Invalid messages are quarantined with a reason, never silently dropped. ` +
      // Checked at ingest on every value (not expressible here): only what DynamoDB stores exactly.
      `Every number (params, metrics, durationMs) must be 0 or between 1e-130 and 1e126 in magnitude, ` +
      `integers within ±(2^53 − 1); every string must be valid Unicode (no lone surrogates). ` +
      `Generated from lambdas/shared/contract/event.ts; see docs/event-contract.md.`,
    ...body,
  };
};

/** The file content: two-space JSON with a trailing newline, so regeneration is byte-for-byte stable. */
export const renderTaskEventSchema = (): string => `${JSON.stringify(generateTaskEventSchema(), null, 2)}\n`;

/** Write the schema file, or with `check` compare it and report whether it is current. */
export const run = (check: boolean): number =>
  writeOrCheck(schemaPath(), renderTaskEventSchema(), {
    check,
    source: 'lambdas/shared/contract/event.ts',
    command: 'npm run schema',
  });

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) process.exitCode = run(process.argv.includes('--check'));
