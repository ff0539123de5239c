import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Rollup } from '../lambdas/domain/rollup';
import { createRollupHandler } from '../lambdas/rollup/handler-factory';
import { DEFAULT_SCHEDULED_ROLLUP_DAYS } from '../lambdas/rollup/request';
import type { RollupOutcome } from '../lambdas/rollup/run-rollup';
import { documentClient } from '../lambdas/shared/aws/clients';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { DynamoAggregateReader } from '../lambdas/shared/store/aggregate-reader';
import { DynamoRollupStore } from '../lambdas/shared/store/rollup-store';
import { clientConfig } from './aws-config';
import type { LocalStack } from './stack-types';

/**
 * Trigger a rollup on the running local stack (`npm run rollup:local -- --date 2026-11-22`): the rollup
 * handler, built from the same factory as the Lambda and asked what the Lambda would be asked
 * (`{"from","to"}`, so the same request checks apply), runs in this process against the local state
 * table; then the stored rollups of those days are read back and shown as a short table.
 */

/** A day argument or range that cannot be used. */
export class LocalRollupUsageError extends Error {
  override readonly name = 'LocalRollupUsageError';
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `today`, `yesterday` or `YYYY-MM-DD` (UTC) as a day. Pure. */
export const resolveDay = (value: string, nowMs: number, flag: string): string => {
  const v = value.trim().toLowerCase();
  if (v === 'today') return isoDay(nowMs);
  if (v === 'yesterday') return isoDay(nowMs - DAY_MS);
  if (/^\d{4}-\d{2}-\d{2}$/.test(v) && isoDay(Date.parse(`${v}T00:00:00.000Z`) || 0) === v) return v;
  throw new LocalRollupUsageError(`${flag} ${value}: expected YYYY-MM-DD, today or yesterday`);
};

/** The days asked for: `--date`, or `--from` (and `--to`, default the same day); default today. Pure. */
export const rollupDaysOf = (
  args: { readonly date?: string; readonly from?: string; readonly to?: string },
  nowMs: number,
): { from: string; to: string } => {
  if (args.date !== undefined && (args.from !== undefined || args.to !== undefined)) {
    throw new LocalRollupUsageError('give either --date or --from/--to, not both');
  }
  if (args.date !== undefined) {
    const day = resolveDay(args.date, nowMs, '--date');
    return { from: day, to: day };
  }
  if (args.from === undefined && args.to !== undefined) throw new LocalRollupUsageError('--to needs --from');
  const from = resolveDay(args.from ?? 'today', nowMs, '--from');
  const to = args.to === undefined ? from : resolveDay(args.to, nowMs, '--to');
  if (from > to) throw new LocalRollupUsageError(`--from ${from} is after --to ${to}`);
  return { from, to };
};

/** Which stack and days. */
export interface LocalRollupRequest {
  readonly stack: Pick<LocalStack, 'endpoint' | 'region' | 'outputs'>;
  /** First day, UTC `YYYY-MM-DD`. */
  readonly from: string;
  /** Last day, inclusive. */
  readonly to: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What a local rollup did and the rollups it left. */
export interface LocalRollupResult {
  readonly outcome: RollupOutcome;
  /** The stored rollups of the days, by day then scope. */
  readonly rollups: readonly Rollup[];
}

/** Run the rollup handler for `from`..`to` against the local stack's state table. */
export const rollupLocalStack = async (request: LocalRollupRequest): Promise<LocalRollupResult> => {
  const stateTable = request.stack.outputs[OUTPUT.stateTableName];
  if (stateTable === undefined) {
    throw new LocalRollupUsageError(`the local stack has no ${OUTPUT.stateTableName} output`);
  }
  const client = new DynamoDBClient(
    clientConfig({ endpoint: request.stack.endpoint, region: request.stack.region }),
  );
  try {
    const doc = documentClient(client);
    const rollups = new DynamoRollupStore(doc, stateTable);
    const handler = createRollupHandler({
      aggregates: new DynamoAggregateReader(doc, stateTable),
      rollups,
      scheduledDays: DEFAULT_SCHEDULED_ROLLUP_DAYS,
      logger: { info: () => {} },
      ...(request.now !== undefined && { now: request.now }),
    });
    const outcome = await handler({ from: request.from, to: request.to });
    const stored = await Promise.all(outcome.days.map((d) => rollups.listRollups(d.day)));
    const sorted = stored
      .flat()
      .sort((a, b) => (a.day === b.day ? (a.scope < b.scope ? -1 : 1) : a.day < b.day ? -1 : 1));
    return { outcome, rollups: sorted };
  } finally {
    client.destroy();
  }
};

const ms = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? '-'
    : value >= 10_000
      ? `${(value / 1000).toFixed(1)}s`
      : `${Math.round(value)}ms`;

const pct = (ratio: number | null): string => (ratio === null ? '-' : `${(ratio * 100).toFixed(1)}%`);

/**
 * The rollups as a short table: per day and scope the counts, the failure rate, run-time percentiles,
 * wait p95 and the most frequent error type. Pure.
 */
export const formatRollupTable = (rollups: readonly Rollup[]): string => {
  const header = [
    'DAY',
    'SCOPE',
    'TOTAL',
    'OK',
    'FAILED',
    'CANCELLED',
    'FAIL%',
    'RETRIED',
    'RUN p50',
    'RUN p95',
    'WAIT p95',
    'TOP ERROR',
  ];
  const rows = rollups.map((r) => [
    r.day,
    r.scope,
    String(r.total),
    String(r.byStatus.succeeded),
    String(r.byStatus.failed),
    String(r.byStatus.cancelled),
    pct(r.failureRate),
    String(r.retried),
    ms(r.run?.p50Ms),
    ms(r.run?.p95Ms),
    ms(r.wait?.p95Ms),
    r.topErrors[0] === undefined ? '-' : `${r.topErrors[0].type} (${r.topErrors[0].count})`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  // Text columns left, numbers right.
  const left = new Set([0, 1, header.length - 1]);
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
};
