import { z } from 'zod';
import type { Rollup } from '../../domain/rollup';
import { readLiveRollups, readRollups, summarizeRollups } from '../../shared/queries/stats';
import { DynamoAggregateReader } from '../../shared/store/aggregate-reader';
import { DynamoRollupStore } from '../../shared/store/rollup-store';
import { daysBetween } from '../../shared/time';
import { InvalidParameterError } from '../problem';
import { dayParam, statsSchema, taskTypeParam } from '../schemas';
import { defineRoute } from './route';

/** Most days one stats request covers (one rollup query per day). */
const MAX_STATS_DAYS = 400;
const DAY_MS = 86_400_000;

/** `GET /v1/stats`: daily rollups of complete days plus today's live figures from the aggregates. */
export const statsRoute = defineRoute({
  path: '/v1/stats',
  method: 'get',
  operationId: 'getStats',
  summary: "Daily rollups of a range of days plus today's live figures, per task type or dimension value",
  description:
    'Reads one rollup query per past day and, when today is in range, the scope registry and aggregate ' +
    'buckets of today: O(days + scopes × buckets), independent of the number of executions.',
  query: z.object({
    from: dayParam
      .optional()
      .meta({ description: 'First day (UTC, inclusive). @default 6 days before `to`' }),
    to: dayParam.optional().meta({ description: 'Last day (UTC, inclusive). @default today' }),
    taskType: taskTypeParam.optional(),
    dimension: z.string().min(1).max(128).optional().meta({
      description:
        'One row per value of this configured dimension (e.g. marketplace) instead of per task type.',
    }),
  }),
  responses: { 200: { description: 'The stats of the range.', schema: statsSchema } },
  handle: async ({ query }, deps) => {
    const nowMs = (deps.now ?? Date.now)();
    const today = new Date(nowMs).toISOString().slice(0, 10);
    const to = query.to ?? today;
    const from =
      query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 6 * DAY_MS).toISOString().slice(0, 10);
    if (from > to) throw new InvalidParameterError('from', 'must not be after `to`');
    if (to > today) throw new InvalidParameterError('to', `must not be after today (${today}, UTC)`);
    const days = daysBetween(from, to);
    if (days.length > MAX_STATS_DAYS)
      throw new InvalidParameterError('from', `the range may cover at most ${MAX_STATS_DAYS} days`);
    const filter = { taskType: query.taskType ?? null, dimension: query.dimension ?? null };
    const liveDay = days.includes(today) ? today : null;
    const [stored, live] = await Promise.all([
      readRollups(
        new DynamoRollupStore(deps.doc, deps.stateTable),
        days.filter((d) => d !== liveDay),
      ),
      liveDay === null
        ? Promise.resolve([] as Rollup[])
        : readLiveRollups(new DynamoAggregateReader(deps.doc, deps.stateTable), liveDay, nowMs, filter),
    ]);
    const rollups = [...stored, ...live];
    const report = summarizeRollups(rollups, days, filter);
    const scopes = report.scopes.map((s) => ({
      ...s,
      daily: rollups
        .filter((r) => r.scope === s.scope && days.includes(r.day))
        .sort((a, b) => (a.day < b.day ? -1 : 1))
        .map((r) => ({ ...r, live: r.day === liveDay })),
    }));
    return { status: 200, body: { ...report, liveDay, scopes } };
  },
});
