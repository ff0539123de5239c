import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RunSummary } from '../../domain/rules/run-summary';
import type { TaskStatus } from '../contract/event';
import { byStatusPartition, byTypePartition, INDEX, INDEXED_FINAL_STATUSES } from '../names/keys';
import { DynamoRunLookup } from '../store/run-lookup';
import { daysBetween } from '../time';
import { type IndexQuery, readIndexPage, shardedPartitions, taskIdOfSortKey } from './index-pages';
import { type ExecutionQuery, encodePageToken } from './page-token';

/**
 * Lists of executions for `history` and `failures`, newest first, a page at a time:
 * - a failed or cancelled status reads the `byStatus` index (ordered by finish time), whose partitions
 *   are per status and task type, so "failed send_invoice runs" reads those failures only, not the
 *   other types' (decision 0097);
 * - anything else reads the `byType` index (ordered by creation time), filtered by status if one is
 *   given.
 * Either index is read for the given task type, or for every type active in the range (the daily scope
 * registry), merged newest first.
 * The index holds keys only; the rows are read with one projected BatchGet per page (`RunLookup`).
 */

/** One execution in a list (stable `--json` shape: absent values are `null`). */
export interface ExecutionRow {
  readonly taskId: string;
  readonly taskType: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly runMs: number | null;
  readonly errorType: string | null;
  readonly errorMessage: string | null;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A page of a list. */
export interface ExecutionPage {
  /** Which time the list is ordered and ranged by. */
  readonly orderedBy: 'createdAt' | 'finishedAt';
  readonly items: readonly ExecutionRow[];
  /** `--next` token of the following page; `null` on the last page. */
  readonly next: string | null;
}

/** What listing needs. */
export interface ExecutionListDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly historyTable: string;
  /** Task types active on some days (used when no type is given). */
  readonly taskTypesOn: (days: readonly string[]) => Promise<string[]>;
}

/** Most index keys read for one page when a filter drops rows; then the page ends early with a token. */
const MAX_SCANNED_PER_PAGE = 5_000;

/** True for statuses the byStatus index holds. */
const isIndexedStatus = (status: TaskStatus | null): boolean =>
  status !== null && (INDEXED_FINAL_STATUSES as readonly string[]).includes(status);

/** The row of a run. Pure. */
const toExecutionRow = (run: RunSummary): ExecutionRow => ({
  taskId: run.taskId,
  taskType: run.taskType,
  status: run.status,
  attempt: run.attempt,
  createdAt: run.createdAt,
  startedAt: run.startedAt ?? run.firstStartedAt ?? null,
  finishedAt: run.finishedAt ?? null,
  runMs: run.runMs ?? null,
  errorType: run.errorType ?? null,
  errorMessage: run.errorMessage ?? null,
  dimensions: run.dimensions,
});

/** Whether a row passes the filters the index did not apply. Pure. */
const matchesQuery = (row: ExecutionRow, query: ExecutionQuery): boolean =>
  (query.taskType === null || row.taskType === query.taskType) &&
  (query.status === null || row.status === query.status);

const daysOf = (query: ExecutionQuery): string[] => {
  const lastMs = Date.parse(query.toIso) - 1;
  const firstDay = query.fromIso.slice(0, 10);
  const lastDay = new Date(Math.max(lastMs, Date.parse(query.fromIso))).toISOString().slice(0, 10);
  return daysBetween(firstDay, lastDay);
};

/** Which index answers a query, and its partitions. */
const indexQueryOf = async (deps: ExecutionListDeps, query: ExecutionQuery): Promise<IndexQuery> => {
  const range = { fromIso: query.fromIso, toIso: query.toIso };
  const types = query.taskType !== null ? [query.taskType] : await deps.taskTypesOn(daysOf(query));
  if (isIndexedStatus(query.status)) {
    const status = query.status!;
    return {
      index: INDEX.byStatus,
      ...range,
      partitionsOf: (day) =>
        shardedPartitions((shard) => types.map((t) => byStatusPartition(status, t, day, shard))),
    };
  }
  return {
    index: INDEX.byType,
    ...range,
    partitionsOf: (day) => shardedPartitions((shard) => types.map((t) => byTypePartition(t, day, shard))),
  };
};

/** One page of executions, newest first, starting after `cursor` (from a `--next` token) when given. */
export const listExecutions = async (
  deps: ExecutionListDeps,
  query: ExecutionQuery,
  options: { readonly limit: number; readonly cursor?: string },
): Promise<ExecutionPage> => {
  const indexQuery = await indexQueryOf(deps, query);
  const orderedBy = indexQuery.index === INDEX.byStatus ? 'finishedAt' : 'createdAt';
  const runs = new DynamoRunLookup(deps.doc, deps.historyTable);
  const items: ExecutionRow[] = [];
  let cursor = options.cursor;
  let scanned = 0;
  for (;;) {
    const want = options.limit - items.length;
    // Unfiltered pages read exactly what they show; filtered ones (a status the byType index does not
    // key) read ahead in larger steps.
    const filtered = indexQuery.index === INDEX.byType && query.status !== null;
    const page = await readIndexPage(
      deps.doc,
      deps.historyTable,
      indexQuery,
      filtered ? Math.max(want * 4, 100) : want,
      cursor,
    );
    scanned += page.sortKeys.length;
    const byId = new Map(
      (await runs.getRuns(page.sortKeys.map(taskIdOfSortKey))).map((run) => [run.taskId, run]),
    );
    for (const [i, sortKey] of page.sortKeys.entries()) {
      const run = byId.get(taskIdOfSortKey(sortKey));
      // A key whose item has just expired or changed index partition is skipped.
      if (run === undefined) continue;
      const row = toExecutionRow(run);
      if (!matchesQuery(row, query)) continue;
      items.push(row);
      if (items.length === options.limit) {
        const more = i < page.sortKeys.length - 1 || page.more;
        return { orderedBy, items, next: more ? encodePageToken(query, sortKey) : null };
      }
    }
    const last = page.sortKeys[page.sortKeys.length - 1];
    if (!page.more || last === undefined) return { orderedBy, items, next: null };
    cursor = last;
    if (scanned >= MAX_SCANNED_PER_PAGE) return { orderedBy, items, next: encodePageToken(query, last) };
  }
};
