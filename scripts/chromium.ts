import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Headless Chromium for the dashboard's browser test and screenshot: Debian's `chromium` package driven
 * by playwright-core (which downloads no browser of its own). `.ci/run` installs the package when it
 * is missing; `CHROMIUM_PATH` points at another build.
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable, or `undefined` when none is installed. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string | undefined =>
  [env.CHROMIUM_PATH, ...CANDIDATES].find((p): p is string => p !== undefined && p !== '' && existsSync(p));

/** Launch headless Chromium; throws with the install command when there is none. */
export const launchChromium = async (): Promise<Browser> => {
  const executablePath = chromiumPath();
  if (executablePath === undefined)
    throw new Error(
      'no Chromium found: install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)',
    );
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in containers and CI has no user namespace sandbox; the page is our own loopback server.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
};
