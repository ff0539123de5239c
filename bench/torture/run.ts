import { parseArgs } from 'node:util';
import { startMoto } from '../../local/moto';
import { runR6 } from './alerts';
import { runR3 } from './hostile';
import { runR4 } from './redrive';
import { runR1, runR2, type ScenarioOptions, type ScenarioResult } from './scenarios';

/**
 * `npm run torture`: the fault suite of issue 12 against a moto_server started here on a free loopback
 * port (or `AWS_ENDPOINT_URL`), printing one row per scenario. Exits with 1 when a scenario fails.
 *
 * Usage: npm run torture [-- --events 10000] [--seed 1] [--only R1,R3] [--json]
 * `--events` sizes R1–R3 (events or hostile messages) and R6 (failures in the hour).
 */

const SCENARIOS: Record<string, (options: ScenarioOptions) => Promise<ScenarioResult>> = {
  R1: runR1,
  R2: runR2,
  R3: runR3,
  R4: runR4,
  R6: (options) => runR6({ ...options, events: Math.min(options.events, 1_000) }),
};

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const events = Number(values.events);
const seed = Number(values.seed);
if (!Number.isInteger(events) || events < 10 || !Number.isInteger(seed)) {
  console.error('--events must be an integer of at least 10 and --seed an integer');
  console.error('e.g. npm run torture -- --events 2000 --seed 7');
  process.exit(2);
}
const only = values.only?.split(',').map((s) => s.trim().toUpperCase()) ?? Object.keys(SCENARIOS);
const unknown = only.filter((id) => SCENARIOS[id] === undefined);
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}

const COLUMNS = [
  ['scenario', (r: ScenarioResult) => `${r.id} ${r.title}`],
  ['events', (r: ScenarioResult) => String(r.events)],
  ['lost', (r: ScenarioResult) => String(r.lost)],
  ['double counted', (r: ScenarioResult) => String(r.doubleCounted)],
  ['differences', (r: ScenarioResult) => String(r.differences)],
  ['quarantined', (r: ScenarioResult) => String(r.quarantined)],
  ['DLQ', (r: ScenarioResult) => String(r.dlq)],
  ['crashes', (r: ScenarioResult) => String(r.crashes)],
  ['seconds', (r: ScenarioResult) => r.seconds.toFixed(1)],
  ['result', (r: ScenarioResult) => (r.pass ? 'pass' : 'FAIL')],
] as const;

const table = (results: readonly ScenarioResult[]): string => {
  const rows = [COLUMNS.map(([name]) => name), ...results.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
};

const main = async (): Promise<number> => {
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMoto();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.endpoint;
  const log = values.json ? () => {} : (line: string) => console.error(`  … ${line}`);
  const results: ScenarioResult[] = [];
  try {
    if (!values.json)
      console.error(`Taskpulse torture: --events ${events} --seed ${seed}, moto_server at ${endpoint}`);
    for (const id of only) {
      try {
        results.push(await SCENARIOS[id]!({ endpoint, events, seed, log }));
      } catch (error) {
        results.push({
          id,
          title: 'did not complete',
          events: 0,
          lost: 0,
          doubleCounted: 0,
          differences: 0,
          quarantined: 0,
          dlq: 0,
          crashes: 1,
          pass: false,
          notes: [`${(error as Error).name}: ${(error as Error).message}`],
          seconds: 0,
        });
      }
    }
  } finally {
    await moto?.stop();
  }
  if (values.json) {
    console.log(JSON.stringify({ events, seed, results }, null, 2));
  } else {
    console.log(table(results));
    for (const r of results) for (const note of r.notes) console.log(`${r.id}: ${note}`);
  }
  return results.every((r) => r.pass) ? 0 : 1;
};

process.exitCode = await main();
