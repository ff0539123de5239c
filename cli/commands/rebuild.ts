import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { Execution } from '../../lambdas/domain/execution';
import { DEFAULTS, ENV, listEnv } from '../../lambdas/shared/names/env';
import {
  ATTR,
  byTypePartition,
  EXECUTION_PK_PREFIX,
  executionKey,
  INDEX,
  INDEX_SHARDS,
} from '../../lambdas/shared/names/keys';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { DynamoAggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { batchGetAll } from '../../lambdas/shared/store/batch-get';
import { fromExecutionItem } from '../../lambdas/shared/store/execution-item';
import { dayStartMs } from '../../lambdas/shared/time';
import { type CommandModule, withJson, withTarget } from '../context';
import { UsageError } from '../errors';
import { createProgress } from '../format/progress';
import { formatRebuildChanges } from '../format/rebuild';
import { formatRollupDays } from '../format/rollup-days';
import { backfill } from '../ops/backfill';
import { type RebuildDeps, rebuild } from '../ops/rebuild';
import { nonNegativeInt, parseDay, positiveInt } from '../parse';
import type { TargetOptions } from '../target';
import { rollupRunnerFor } from './backfill';

interface RebuildOptions extends TargetOptions {
  readonly from: string;
  readonly to: string;
  readonly lookback: number;
  readonly type?: string[];
  readonly dimension?: string[];
  readonly historyRetentionDays: number;
  readonly aggregateRetentionDays: number;
  readonly inProcess?: boolean;
  readonly rollups: boolean;
  readonly yes?: boolean;
  readonly progress: boolean;
  readonly json?: boolean;
}

const DAY_MS = 86_400_000;

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Every execution of a type created on a day: keys from each byType shard, items by BatchGet. */
const readExecutionsOf =
  (doc: DynamoDBDocumentClient, historyTable: string) =>
  async (taskType: string, day: string): Promise<Execution[]> => {
    const taskIds: string[] = [];
    await Promise.all(
      Array.from({ length: INDEX_SHARDS }, async (_, shard) => {
        const pages = paginateQuery(
          { client: doc },
          {
            TableName: historyTable,
            IndexName: INDEX.byType,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': ATTR.gsi1pk },
            ExpressionAttributeValues: { ':pk': byTypePartition(taskType, day, shard) },
          },
        );
        for await (const page of pages)
          for (const item of page.Items ?? []) {
            const pk = String(item[ATTR.pk]);
            if (pk.startsWith(EXECUTION_PK_PREFIX)) taskIds.push(pk.slice(EXECUTION_PK_PREFIX.length));
          }
      }),
    );
    const items = await batchGetAll(doc, historyTable, taskIds.map(executionKey), 'executions', {
      consistentRead: true,
    });
    return items.map((item) => fromExecutionItem(item).execution);
  };

/** The rebuild's reads and writes over the two tables (the aggregator's own store for the writes). */
export const dynamoRebuildDeps = (
  doc: DynamoDBDocumentClient,
  tables: {
    readonly historyTable: string;
    readonly stateTable: string;
    readonly aggregateRetentionDays: number;
    readonly now: () => number;
  },
): RebuildDeps => {
  const reader = new DynamoAggregateReader(doc, tables.stateTable);
  return {
    listScopes: (day) => reader.listScopes(day),
    readBuckets: async (scope, day) => {
      const start = dayStartMs(day);
      const buckets = await reader.readRange(scope, start, start + DAY_MS);
      return new Map(buckets.map((b) => [new Date(b.startMs).toISOString().slice(11, 16), { ...b.fields }]));
    },
    readExecutions: readExecutionsOf(doc, tables.historyTable),
    store: new DynamoAggregateStore(doc, tables.stateTable, tables.aggregateRetentionDays, tables.now),
  };
};

/** `taskpulse rebuild`: recompute aggregates (then rollups) of a range of days from the history table. */
export const rebuildCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('rebuild')
    .description(
      'recompute the aggregates of a range of days from the history table, then its rollups (a dry run unless --yes)',
    )
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD, today, yesterday, or 7d for 7 days ago)')
    .requiredOption('--to <day>', 'last day, inclusive')
    .option(
      '--lookback <days>',
      'also read executions created this many days before --from (they may finish inside the range)',
      nonNegativeInt(366),
      1,
    )
    .option(
      '--type <taskType>',
      'only this task type (repeatable; default: every type in the scope registry)',
      collect,
    )
    .option(
      '--dimension <key>',
      `a dimension key with its own scopes (repeatable; added to those in the registry and $${ENV.aggregateDimensions})`,
      collect,
    )
    .option(
      '--history-retention-days <n>',
      'days the history table keeps executions (a range older than that cannot be rebuilt)',
      positiveInt(3650),
      DEFAULTS.historyTtlDays,
    )
    .option(
      '--aggregate-retention-days <n>',
      'days rebuilt aggregate items are kept (the stack setting)',
      positiveInt(3650),
      DEFAULTS.aggregateTtlDays,
    )
    .option('--in-process', 'recompute rollups here instead of invoking the rollup function')
    .option('--no-rollups', 'do not recompute the rollups of the range afterwards')
    .option('--yes', 'write the corrections (without it, only show which buckets differ)')
    .option('--no-progress', 'no progress bar');
  withJson(withTarget(command, ['historyTable', 'stateTable', 'rollupFunction'])).action(
    async (options: RebuildOptions) => {
      const now = ctx.now();
      const from = parseDay(options.from, now, '--from');
      const to = parseDay(options.to, now, '--to');
      const today = new Date(now).toISOString().slice(0, 10);
      if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
      if (to > today)
        throw new UsageError(`--to ${to} is in the future`, { hint: `use --to ${today} at most` });
      const oldestKept = new Date(dayStartMs(today) - (options.historyRetentionDays - 1) * DAY_MS)
        .toISOString()
        .slice(0, 10);
      const earliest = new Date(dayStartMs(from) - options.lookback * DAY_MS).toISOString().slice(0, 10);
      if (earliest < oldestKept)
        throw new UsageError(
          `executions created before ${oldestKept} may have expired from the history table (kept ${options.historyRetentionDays} days): rebuilding from ${from} with --lookback ${options.lookback} would drop their counts`,
          {
            hint: `use --from ${new Date(dayStartMs(oldestKept) + options.lookback * DAY_MS).toISOString().slice(0, 10)} or later (or a shorter --lookback), or pass --history-retention-days if the stack keeps history longer`,
          },
        );

      const { target, clients } = await ctx.connect(options);
      const historyTable = await target.resource('historyTable');
      const stateTable = await target.resource('stateTable');
      const deps = dynamoRebuildDeps(clients.doc, {
        historyTable,
        stateTable,
        aggregateRetentionDays: options.aggregateRetentionDays,
        now: ctx.now,
      });
      const bar = createProgress(ctx.io.stderr, 'rebuild', options.progress);
      const result = await rebuild(deps, {
        from,
        to,
        lookbackDays: options.lookback,
        ...(options.type !== undefined && { taskTypes: options.type }),
        dimensionKeys: [...(options.dimension ?? []), ...listEnv(ENV.aggregateDimensions, ctx.io.env)],
        write: options.yes === true,
        onProgress: (done, total) => bar.update({ done, total, detail: 'task types' }),
      }).finally(() => bar.done());

      let rollups = null;
      let via: string | null = null;
      if (options.yes && options.rollups) {
        const runner = await rollupRunnerFor(target, clients, ctx.now, options.inProcess === true);
        via = runner.via;
        rollups = await backfill({ from, to, run: runner.run });
      }
      if (options.json) {
        ctx.printJson({
          from,
          to,
          lookbackDays: options.lookback,
          dryRun: options.yes !== true,
          ...result,
          rollups,
        });
        return;
      }
      ctx.print(formatRebuildChanges(result.changes));
      ctx.print(
        `\n${result.changes.length} of ${result.bucketsCompared} buckets differ (${result.taskTypes.length} task types, ` +
          `${result.executionsRead} executions created ${earliest}..${to})`,
      );
      if (result.registryMissing.length > 0)
        ctx.print(
          `${result.registryMissing.length} scope registry entries missing (rollups skip those scopes): ${result.registryMissing
            .map((m) => `${m.scope} on ${m.day}`)
            .join(', ')}`,
        );
      if (result.lookbackWarning !== null) ctx.note(`warning: ${result.lookbackWarning}`);
      if (options.yes !== true) {
        if (result.changes.length > 0)
          ctx.print('dry run: nothing written; add --yes to correct these buckets');
        return;
      }
      ctx.print(
        `corrected ${result.written} buckets${result.registryMissing.length > 0 ? `, added ${result.registryMissing.length} registry entries` : ''}`,
      );
      if (rollups !== null) {
        ctx.print(`\n${formatRollupDays(rollups)}`);
        ctx.print(
          `\nrecomputed the rollups of ${rollups.length} day${rollups.length === 1 ? '' : 's'} (${via})`,
        );
      }
    },
  );
};
