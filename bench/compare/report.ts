import type { PricePerMillion } from './prices';

/**
 * The comparison's figures and their three renderings: a text table for the terminal, a Markdown
 * table for the README (`--markdown`), and JSON for scripts (`--json`). One row per figure, one
 * column per design, so the three can never show different numbers.
 */

/** Freshness: from the event's send to its being visible in the design's aggregates, seconds. */
export interface Freshness {
  readonly p50Seconds: number;
  readonly p95Seconds: number;
  /** What "visible" means for the design, and what is measured, configured or modelled. */
  readonly definition: string;
}

/** Write units of the busiest partition key in its busiest second. */
export interface HotKeyFigures {
  readonly partitionKey: string;
  /** At the bench stream's rate. */
  readonly unitsPerSecond: number;
  /** Scaled linearly to 10,000 events/s. */
  readonly unitsPerSecondAt10k: number;
}

/** Everything the bench reports for one design. */
export interface DesignFigures {
  readonly name: string;
  /** Differences from the oracle (0: correct). */
  readonly differences: number;
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  readonly requestsPerEvent: number;
  /** Write units per event by role (ingest, aggregate). */
  readonly writeUnitsByRole: Readonly<Record<string, number>>;
  /** Median handler time of one ingest invocation, scaled to 100 events, ms (measured against moto). */
  readonly handlerMsPer100: number;
  /** The same, scaled from moto's request latency to DynamoDB's (what the price charges), ms. */
  readonly lambdaMsPer100: number;
  readonly freshness: Freshness;
  /** Rolling up the bench's day: read units, write units, items read, USD. */
  readonly rollup: {
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly itemsRead: number;
    readonly usd: number;
  };
  /** One monitor run: items read. */
  readonly monitorItemsRead: number;
  /** All-in price, Lambda time scaled from moto's latency to DynamoDB's (see the notes). */
  readonly price: PricePerMillion;
  /** All-in price with Lambda time as measured on moto (an upper bound). */
  readonly priceAsMeasured: PricePerMillion;
  readonly hotKey: HotKeyFigures;
}

/** Monitor and rollup reads of Taskpulse at two stored volumes (the same hour of buckets). */
export interface ReadScaling {
  readonly events: readonly [number, number];
  readonly monitorItems: readonly [number, number];
  readonly rollupItems: readonly [number, number];
}

export interface ComparisonReport {
  readonly measuredAt: string;
  readonly command: string;
  readonly events: number;
  readonly messages: number;
  readonly tasks: number;
  readonly eventsPerSecond: number;
  /** The ingest mapping's batch size (every design is cut into these batches). */
  readonly ingestBatchSize: number;
  readonly prices: string;
  readonly designs: readonly DesignFigures[];
  readonly readScaling?: ReadScaling;
  /** What each figure means and how it is obtained. */
  readonly notes: readonly string[];
}

const n = (value: number, digits: number) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The figure rows of a report: a label, then one cell per design. Pure. */
export const figureRows = (report: ComparisonReport): string[][] => {
  const d = report.designs;
  const row = (label: string, cell: (f: DesignFigures) => string) => [label, ...d.map(cell)];
  return [
    row('correct (differences from the oracle)', (f) =>
      f.differences === 0 ? 'yes (0)' : `NO (${f.differences})`,
    ),
    row('DynamoDB write units per event', (f) => n(f.writeUnitsPerEvent, 2)),
    row(
      '  of which ingest / aggregation',
      (f) => `${n(f.writeUnitsByRole.ingest ?? 0, 2)} / ${n(f.writeUnitsByRole.aggregate ?? 0, 2)}`,
    ),
    row('DynamoDB read units per event', (f) => n(f.readUnitsPerEvent, 2)),
    row('DynamoDB requests per event', (f) => n(f.requestsPerEvent, 2)),
    row('handler time per 100-event batch (moto)', (f) => `${n(f.handlerMsPer100, 0)} ms`),
    row(
      'freshness p50 / p95 (sent → in aggregates)',
      (f) => `${n(f.freshness.p50Seconds, 1)} s / ${n(f.freshness.p95Seconds, 1)} s`,
    ),
    row(
      'rollup of the day: items read / RRU / WRU',
      (f) => `${n(f.rollup.itemsRead, 0)} / ${n(f.rollup.readUnits, 1)} / ${n(f.rollup.writeUnits, 0)}`,
    ),
    row('rollup cost per day', (f) => `$${f.rollup.usd.toFixed(6)}`),
    row('monitor run: items read', (f) => n(f.monitorItemsRead, 0)),
    row(
      'hottest key: WRU/s at bench rate → 10k ev/s',
      (f) => `${n(f.hotKey.unitsPerSecond, 0)} → ${n(f.hotKey.unitsPerSecondAt10k, 0)}`,
    ),
    row('price per million events, all-in', (f) => `$${f.price.total.toFixed(2)}`),
    row(
      '  DynamoDB writes / reads',
      (f) => `$${f.price.dynamoWrites.toFixed(2)} / $${f.price.dynamoReads.toFixed(2)}`,
    ),
    row(
      '  SQS / Lambda requests / Lambda GB-s',
      (f) =>
        `$${f.price.sqs.toFixed(2)} / $${f.price.lambdaRequests.toFixed(2)} / $${f.price.lambdaDuration.toFixed(2)}`,
    ),
  ];
};

/** A text table: first column left-aligned, the others right-aligned, a rule under the header. Pure. */
export const textTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

/** A Markdown table (pipes in cells escaped). Pure. */
export const markdownTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const cell = (s: string) => s.trim().replaceAll('|', '\\|');
  const line = (r: readonly string[]) => `| ${r.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
};

const headerOf = (report: ComparisonReport) => ['figure', ...report.designs.map((d) => d.name)];

const scalingLines = (s: ReadScaling): string[][] =>
  (
    [
      ['monitor items read', s.monitorItems],
      ['rollup items read', s.rollupItems],
    ] as const
  ).map(([label, [a, b]]) => [label, n(a, 0), n(b, 0), n(b / Math.max(1, a), 2)]);
const scalingHeader = (s: ReadScaling) => [
  'Taskpulse reads',
  `${n(s.events[0], 0)} events`,
  `${n(s.events[1], 0)} events`,
  'ratio',
];

/** The figure table and the read scaling table, in one table format. */
const tablesOf = (report: ComparisonReport, table: typeof textTable): string[] => [
  table(headerOf(report), figureRows(report)),
  '',
  table(TARGET_HEADER, targetRows(report)),
  '',
  ...(report.readScaling === undefined
    ? []
    : [table(scalingHeader(report.readScaling), scalingLines(report.readScaling)), '']),
  report.prices,
];

/** The report for the terminal. Pure. */
export const formatText = (report: ComparisonReport): string =>
  [
    `Taskpulse comparison bench, ${report.measuredAt}: ${report.events} distinct events (${report.messages} messages) from ${report.tasks} tasks at ${report.eventsPerSecond} events/s`,
    `command: ${report.command}`,
    '',
    ...tablesOf(report, textTable),
    ...report.notes.map((note) => `- ${note}`),
  ].join('\n');

/** The report as Markdown, for the README and docs/scale.md. Pure. */
export const formatMarkdown = (report: ComparisonReport): string =>
  [
    `\`${report.command}\`, ${report.measuredAt}: ${report.events} distinct events (${report.messages} messages) from ${report.tasks} tasks at ${report.eventsPerSecond} events/s.`,
    '',
    ...tablesOf(report, markdownTable),
    '',
    markdownTable(SCALE_HEADER, scaleRows(report, [1_000, 10_000, 100_000], report.ingestBatchSize)),
  ].join('\n');

/** Seconds in the 30-day month the monthly figures use. */
const MONTH_SECONDS = 30 * 86_400;
/** Write units per second one DynamoDB partition takes. */
const PARTITION_WRITE_UNITS = 1_000;

/**
 * What each design needs at a sustained rate, from the measured per-event figures (docs/scale.md):
 * write units per second and the partitions they need, the hottest key, ingest invocations per second
 * and the concurrency they take (at DynamoDB latency), and the monthly price. Pure.
 */
export const scaleRows = (
  report: ComparisonReport,
  rates: readonly number[],
  batchSize: number,
): string[][] =>
  rates.flatMap((rate) =>
    report.designs.map((d) => {
      const wru = rate * d.writeUnitsPerEvent;
      const hot = (d.hotKey.unitsPerSecondAt10k * rate) / 10_000;
      const invocations = rate / batchSize;
      return [
        n(rate, 0),
        d.name,
        n(wru, 0),
        n(Math.ceil(wru / PARTITION_WRITE_UNITS), 0),
        `${n(hot, 0)}${hot > PARTITION_WRITE_UNITS ? ' (over 1,000)' : ''}`,
        n(invocations, 0),
        n(Math.ceil((invocations * d.lambdaMsPer100 * (batchSize / 100)) / 1000), 0),
        `$${n((d.price.total * rate * MONTH_SECONDS) / 1e6, 0)}`,
      ];
    }),
  );

/** Header of `scaleRows`. */
export const SCALE_HEADER = [
  'events/s',
  'design',
  'WRU/s',
  'partitions for writes',
  'hottest key WRU/s',
  'ingest invocations/s',
  'ingest concurrency',
  'price per 30 days',
] as const;

/** How far a read count may grow from 10k to 100k stored events and still count as "≈ 1". */
const READ_RATIO_LIMIT = 1.25;

/**
 * Issue 11's targets for Taskpulse beside what the report measured: target, measured, met. Rows whose
 * inputs the report lacks (no per-record design, no read scaling) are left out. Pure.
 */
export const targetRows = (report: ComparisonReport): string[][] => {
  const tp = report.designs.find((d) => d.name === 'Taskpulse');
  if (tp === undefined) return [];
  const perRecord = report.designs.find((d) => d.name.startsWith('per-record'));
  const met = (ok: boolean) => (ok ? 'yes' : 'NO');
  const rows = [
    ['≤ 1.0 write unit per event', n(tp.writeUnitsPerEvent, 2), met(tp.writeUnitsPerEvent <= 1)],
    ['≤ $0.80 per million events, all-in', `$${tp.price.total.toFixed(2)}`, met(tp.price.total <= 0.8)],
    ['freshness p95 ≤ 60 s', `${n(tp.freshness.p95Seconds, 1)} s`, met(tp.freshness.p95Seconds <= 60)],
    [
      'no key over 1,000 WRU/s at 10,000 events/s',
      n(tp.hotKey.unitsPerSecondAt10k, 0),
      met(tp.hotKey.unitsPerSecondAt10k <= 1_000),
    ],
  ];
  if (perRecord !== undefined) {
    const ratio = perRecord.writeUnitsPerEvent / Math.max(tp.writeUnitsPerEvent, 1e-9);
    rows.splice(1, 0, ['≥ 3× fewer write units than per-record', `${n(ratio, 1)}×`, met(ratio >= 3)]);
  }
  const r = report.readScaling;
  if (r !== undefined) {
    const worst = Math.max(
      r.monitorItems[1] / Math.max(1, r.monitorItems[0]),
      r.rollupItems[1] / Math.max(1, r.rollupItems[0]),
    );
    rows.push([
      'monitor and rollup items read, 100k / 10k stored events ≈ 1',
      n(worst, 2),
      met(worst <= READ_RATIO_LIMIT),
    ]);
  }
  return rows;
};

/** Header of `targetRows`. */
export const TARGET_HEADER = ['Taskpulse target (issue 11)', 'measured', 'met'] as const;
