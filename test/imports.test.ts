import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The source folders of the repository (tests are left out: they may import anything). */
const SOURCE_FOLDERS = ['lambdas', 'infra', 'cli', 'local', 'dashboard', 'sdk/src', 'scripts', 'bench'];

/** Every `.ts` file under a folder. */
const sourcesUnder = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory()
          ? e.name === 'node_modules'
            ? []
            : sourcesUnder(join(dir, e.name))
          : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
            ? [join(dir, e.name)]
            : [],
      )
    : [];

/** The file a relative import names (`./x`, `./x.js`, `./dir` for `./dir/index.ts`), if it is a source. */
const resolveImport = (from: string, spec: string): string | undefined => {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f));
};

/** The repository files a file imports or re-exports (type-only imports count: a circle is still a circle to read). */
const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)]
    .map((m) => resolveImport(file, m[1]!))
    .filter((f): f is string => f !== undefined);

describe('module graph of the whole repository', () => {
  it('has no import circles (no module imports one that imports it back)', () => {
    const files = SOURCE_FOLDERS.flatMap((d) => sourcesUnder(join(root, d)));
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    // Depth-first search: an import of a file still on the path closes a circle.
    const done = new Set<string>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      const at = path.indexOf(file);
      if (at >= 0) {
        circles.push([...path.slice(at), file].map((f) => relative(root, f)).join(' -> '));
        return;
      }
      if (done.has(file)) return;
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      done.add(file);
    };
    for (const file of graph.keys()) visit(file, []);
    expect(files.length).toBeGreaterThan(100);
    expect(circles).toEqual([]);
  });
});
