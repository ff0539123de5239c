import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startMoto } from '../local/moto';
import { runComparison } from './compare/comparison';
import { type ComparisonReport, formatMarkdown, formatText } from './compare/report';
import { benchSdk } from './sdk';

/**
 * `npm run bench`: Taskpulse beside two baselines on the same seeded, production-like stream, against
 * a moto_server started here on a free loopback port (or `AWS_ENDPOINT_URL`): write and read units,
 * requests, handler time, freshness, rollup and monitor reads, hot keys and the all-in price per
 * million events (bench/compare/). Exits with 1 when any design's stored result differs from the oracle.
 *
 * Usage: npm run bench [-- --events 1000] [--seed 2026] [--timing-events 300]
 *   [--read-scaling 10000,100000 | off] [--json | --markdown]
 *        npm run bench -- --render saved.json [--markdown]   (print a report saved with --json)
 */

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '2026' },
    'timing-events': { type: 'string', default: '300' },
    'read-scaling': { type: 'string', default: '10000,100000' },
    json: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
    render: { type: 'string' },
  },
});
if (values.render !== undefined) {
  // Print a report saved with --json again (e.g. --markdown for the README), without running.
  const saved = JSON.parse(readFileSync(values.render, 'utf8')) as ComparisonReport;
  console.log(values.markdown ? formatMarkdown(saved) : formatText(saved));
  process.exit(0);
}
const events = Number(values.events);
const seed = Number(values.seed);
const timingEvents = Number(values['timing-events']);
const scaling = values['read-scaling'] === 'off' ? undefined : values['read-scaling'].split(',').map(Number);
if (
  scaling !== undefined &&
  (scaling.length !== 2 || !scaling.every((n) => Number.isInteger(n) && n >= 100))
) {
  console.error('--read-scaling takes two event counts (e.g. 10000,100000) or off');
  process.exit(2);
}
if (![events, seed, timingEvents].every(Number.isInteger) || events < 100 || timingEvents < 100) {
  console.error('--events and --timing-events must be integers of at least 100, --seed an integer');
  console.error('e.g. npm run bench -- --events 10000 --timing-events 1000');
  process.exit(2);
}

const main = async (): Promise<number> => {
  // One emulator per design, so the three metered passes run side by side on separate processes.
  const motos = process.env.AWS_ENDPOINT_URL
    ? []
    : await Promise.all([startMoto(), startMoto(), startMoto()]);
  const endpoints = process.env.AWS_ENDPOINT_URL
    ? [process.env.AWS_ENDPOINT_URL]
    : motos.map((m) => m.endpoint);
  const endpoint = endpoints[0]!;
  try {
    const quiet = values.json || values.markdown;
    const report = await runComparison({
      endpoints,
      events,
      seed,
      timingEvents,
      ...(scaling !== undefined && { readScaling: [scaling[0]!, scaling[1]!] as const }),
      command: `npm run bench -- --events ${events} --seed ${seed} --timing-events ${timingEvents} --read-scaling ${values['read-scaling']}`,
      log: (line) => console.error(`  … ${line}`),
    });
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else if (values.markdown) console.log(formatMarkdown(report));
    else console.log(formatText(report));
    if (!quiet) {
      console.log('\nproducer SDK');
      for (const [k, v] of Object.entries(await benchSdk(endpoint)))
        console.log(`  ${k.replace(/^sdk\./, '').padEnd(40)}${v}`);
    }
    const wrong = report.designs.filter((d) => d.differences > 0);
    for (const d of wrong)
      console.error(`FAIL: ${d.name} differs from the oracle in ${d.differences} places`);
    return wrong.length > 0 ? 1 : 0;
  } finally {
    await Promise.all(motos.map((m) => m.stop()));
  }
};

process.exitCode = await main();
