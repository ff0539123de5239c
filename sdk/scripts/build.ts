/**
 * Build `@taskpulse/sdk` to plain JavaScript with types:
 * - `dist/index.js`: one ESM bundle of `src/index.ts` for Node 20, with the event contract from
 *   `lambdas/shared/contract` inlined and the package's dependencies left as imports;
 * - `dist/types/**.d.ts`: declarations from `tsc`, with relative imports given their `.js` extension
 *   so that consumers resolving with `node16`/`nodenext` as well as `bundler` find them.
 *
 * Run from anywhere: `npm run build:sdk` at the repo root, or `npx tsx sdk/scripts/build.ts`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const sdkDir = dirname(dirname(fileURLToPath(import.meta.url)));
const distDir = join(sdkDir, 'dist');
const manifest = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
/** Everything the package declares it depends on stays an import; only our own code is bundled. */
const external = [
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
];

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

/** `from './x'` → `from './x.js'` (and `import('./x')`), for every relative specifier without one. */
const addJsExtensions = (source: string): string =>
  source.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)(['"])/g, (match, head, path, tail) =>
    /\.(?:js|mjs|cjs|json)$/.test(path) ? match : `${head}${path}.js${tail}`,
  );

rmSync(distDir, { recursive: true, force: true });

await build({
  entryPoints: [join(sdkDir, 'src/index.ts')],
  outfile: join(distDir, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  sourcemap: true,
  logLevel: 'warning',
});

const tsc = spawnSync(
  process.execPath,
  [join(sdkDir, '../node_modules/typescript/bin/tsc'), '-p', join(sdkDir, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) {
  console.error('sdk build: tsc failed');
  process.exit(tsc.status ?? 1);
}

const typesDir = join(distDir, 'types');
for (const file of filesUnder(typesDir).filter((f) => f.endsWith('.d.ts'))) {
  writeFileSync(file, addJsExtensions(readFileSync(file, 'utf8')));
}
if (!existsSync(join(typesDir, 'sdk/src/index.d.ts'))) {
  console.error('sdk build: dist/types/sdk/src/index.d.ts is missing');
  process.exit(1);
}
console.log(`sdk build: ${join(distDir, 'index.js')} and declarations in ${typesDir}`);
