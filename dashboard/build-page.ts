import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * The page's static bundle, built with esbuild (the repository's bundler) when the server starts: one
 * script (uPlot, marked and `page/main.ts`) and one stylesheet, minified, held in memory.
 */

const here = path.dirname(fileURLToPath(import.meta.url));

/** The bundled page. */
export interface PageBundle {
  readonly js: string;
  readonly css: string;
}

/** Build the page bundle (a few hundred ms). */
export const buildPage = async (): Promise<PageBundle> => {
  const result = await build({
    entryPoints: [path.join(here, 'page', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: 'out',
    logLevel: 'silent',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: file('.js'), css: file('.css') };
};
