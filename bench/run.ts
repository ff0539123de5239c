import { parseArgs } from 'node:util';
import { startMoto } from '../local/moto';
import { runComparison } from './compare/comparison';
import { formatMarkdown, formatText } from './compare/report';
import { benchSdk } from './sdk';

/**
 * `npm run bench`: Taskpulse beside two baselines on the same seeded, production-like stream, against
 * a moto_server started here on a free loopback port (or `AWS_ENDPOINT_URL`): write and read units,
 * requests, handler time, freshness, rollup and monitor reads, hot keys and the all-in price per
 * million events (bench/compare/). Exits with 1 when any design's stored result differs from the oracle.
 *
 * Usage: npm run bench [-- --events 2000] [--seed 2026] [--timing-events 500] [--json | --markdown]
 */

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '2026' },
    'timing-events': { type: 'string', default: '500' },
    json: { type: 'boolean', default: false },
    markdown: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const seed = Number(values.seed);
const timingEvents = Number(values['timing-events']);
if (![events, seed, timingEvents].every(Number.isInteger) || events < 100 || timingEvents < 100) {
  console.error('--events and --timing-events must be integers of at least 100, --seed an integer');
  console.error('e.g. npm run bench -- --events 10000 --timing-events 1000');
  process.exit(2);
}

const main = async (): Promise<number> => {
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMoto();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.endpoint;
  try {
    const quiet = values.json || values.markdown;
    const report = await runComparison({
      endpoint,
      events,
      seed,
      timingEvents,
      command: `npm run bench -- --events ${events} --seed ${seed} --timing-events ${timingEvents}`,
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
    await moto?.stop();
  }
};

process.exitCode = await main();
