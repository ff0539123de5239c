import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

/**
 * A generated file that is checked in: write it, or with `check` compare it byte for byte and say how
 * to refresh it. Shared by `gen-schema.ts` (event JSON Schema) and `gen-openapi.ts` (read API).
 * Returns the exit code.
 */
export const writeOrCheck = (
  path: string,
  expected: string,
  options: { readonly check: boolean; readonly source: string; readonly command: string },
): number => {
  const shown = relative(process.cwd(), path) || path;
  if (!options.check) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, expected);
    console.log(`wrote ${shown}`);
    return 0;
  }
  let actual: string | undefined;
  try {
    actual = readFileSync(path, 'utf8');
  } catch {
    actual = undefined;
  }
  if (actual === expected) {
    console.log(`${shown} is current`);
    return 0;
  }
  console.error(
    actual === undefined
      ? `${shown} is missing; run \`${options.command}\` and commit the file`
      : `${shown} is stale: it does not match ${options.source}; run \`${options.command}\` and commit the result`,
  );
  return 1;
};
