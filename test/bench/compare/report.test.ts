import { describe, expect, it } from 'vitest';
import { pricePerMillion } from '../../../bench/compare/prices';
import {
  type ComparisonReport,
  type DesignFigures,
  figureRows,
  formatMarkdown,
  markdownTable,
  scaleRows,
  targetRows,
  textTable,
} from '../../../bench/compare/report';

const price = pricePerMillion({
  events: 1_000,
  writeUnits: 900,
  readUnits: 100,
  sqsRequests: 300,
  lambdaInvocations: 12,
  lambdaGbSeconds: 1,
});

const design = (name: string, overrides: Partial<DesignFigures> = {}): DesignFigures => ({
  name,
  differences: 0,
  writeUnitsPerEvent: 0.9,
  readUnitsPerEvent: 0.1,
  requestsPerEvent: 1.2,
  writeUnitsByRole: { ingest: 0.7, aggregate: 0.2 },
  handlerMsPer100: 812.4,
  lambdaMsPer100: 200,
  freshness: { p50Seconds: 7.25, p95Seconds: 12, definition: 'sent → visible' },
  rollup: { readUnits: 10, writeUnits: 20, itemsRead: 181, usd: 0.000014 },
  monitorItemsRead: 300,
  price,
  priceAsMeasured: price,
  hotKey: { partitionKey: 'AG#x', unitsPerSecond: 12, unitsPerSecondAt10k: 100 },
  ...overrides,
});

const report = (designs: DesignFigures[]): ComparisonReport => ({
  measuredAt: '2026-11-30 16:00 UTC',
  command: 'npm run bench',
  events: 1_000,
  messages: 1_010,
  tasks: 330,
  eventsPerSecond: 1_200,
  ingestBatchSize: 100,
  prices: 'prices line',
  designs,
  readScaling: { events: [10_000, 100_000], monitorItems: [500, 520], rollupItems: [400, 400] },
  notes: [],
});

describe('figureRows', () => {
  it('gives one cell per design on every row, and says loudly when a design is wrong', () => {
    const rows = figureRows(report([design('Taskpulse'), design('seed pattern', { differences: 3 })]));

    for (const row of rows) expect(row).toHaveLength(3);
    expect(rows[0]).toEqual(['correct (differences from the oracle)', 'yes (0)', 'NO (3)']);
    expect(rows.find((r) => r[0] === 'DynamoDB write units per event')).toEqual([
      'DynamoDB write units per event',
      '0.90',
      '0.90',
    ]);
    expect(rows.find((r) => r[0]?.startsWith('freshness'))![1]).toBe('7.3 s / 12.0 s');
  });
});

describe('scaleRows', () => {
  it('derives rates, partitions, hot keys, concurrency and monthly price from the per-event figures', () => {
    const [row] = scaleRows(report([design('Taskpulse')]), [10_000], 100);

    // 0.9 WRU/event × 10,000/s; 100 invocations/s × 0.2 s; $price per million × 25.92 billion a month.
    expect(row).toEqual([
      '10,000',
      'Taskpulse',
      '9,000',
      '9',
      '100',
      '100',
      '20',
      `$${Math.round(price.total * 25_920).toLocaleString('en-US')}`,
    ]);
  });

  it('flags a key over the 1,000 write units a partition takes', () => {
    const [row] = scaleRows(
      report([
        design('seed', { hotKey: { partitionKey: 'LOG#d', unitsPerSecond: 1, unitsPerSecondAt10k: 2_000 } }),
      ]),
      [10_000],
      100,
    );

    expect(row![4]).toBe('2,000 (over 1,000)');
  });
});

describe('targetRows', () => {
  it('checks Taskpulse against the issue targets, the write ratio against the per-record design', () => {
    const rows = targetRows(
      report([design('Taskpulse'), design('per-record (Powertools)', { writeUnitsPerEvent: 3.6 })]),
    );

    expect(rows).toContainEqual(['≤ 1.0 write unit per event', '0.90', 'yes']);
    expect(rows).toContainEqual(['≥ 3× fewer write units than per-record', '4.0×', 'yes']);
    expect(rows).toContainEqual([
      'monitor and rollup items read, 100k / 10k stored events ≈ 1',
      '1.04',
      'yes',
    ]);
  });

  it('says NO where a target is missed', () => {
    const rows = targetRows(report([design('Taskpulse', { writeUnitsPerEvent: 1.8 })]));

    expect(rows[0]).toEqual(['≤ 1.0 write unit per event', '1.80', 'NO']);
  });
});

describe('textTable', () => {
  it('left-aligns the first column, right-aligns the others and rules the header', () => {
    const table = textTable(
      ['figure', 'A'],
      [
        ['units', '1.00'],
        ['price per million', '$0.50'],
      ],
    );

    expect(table.split('\n')).toEqual([
      `figure${' '.repeat(17)}A`,
      '-----------------  -----',
      'units               1.00',
      'price per million  $0.50',
    ]);
  });
});

describe('markdownTable', () => {
  it('escapes pipes in cells', () => {
    expect(markdownTable(['a', 'b'], [['x|y', '1']]).split('\n')).toEqual([
      '| a | b |',
      '| --- | --- |',
      '| x\\|y | 1 |',
    ]);
  });
});

describe('formatMarkdown', () => {
  it('names the command and date and prints the read scaling ratio', () => {
    const md = formatMarkdown(report([design('Taskpulse')]));

    expect(md).toContain('`npm run bench`, 2026-11-30 16:00 UTC');
    expect(md).toContain('| monitor items read | 500 | 520 | 1.04 |');
    expect(md).toContain('prices line');
  });
});
