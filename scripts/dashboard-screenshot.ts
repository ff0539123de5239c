import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { localStackFilePath, readLocalStackFile } from '../cli/local-stack-file';
import { launchChromium } from './chromium';

/**
 * `npm run dashboard:screenshot`: a picture of the local dashboard for the README. Run `npm start` in
 * another terminal first and give the demo a few minutes; this opens the page recorded in
 * `.taskpulse/local-stack.json`, waits until a refresh is drawn and writes `docs/img/dashboard.png`
 * (or the path given as the first argument).
 */

const out = path.resolve(process.argv[2] ?? 'docs/img/dashboard.png');
const file = localStackFilePath();
const state = await readLocalStackFile(file);
if (state?.dashboardUrl === undefined) {
  process.stderr.write(`no local dashboard recorded in ${file}\nstart local mode first: npm start\n`);
  process.exit(1);
}
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 }, deviceScaleFactor: 1 });
  await page.goto(state.dashboardUrl);
  await page.waitForSelector('body[data-refreshes]', { timeout: 60_000 });
  await mkdir(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: false });
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)} from ${state.dashboardUrl}\n`);
} finally {
  await browser.close();
}
