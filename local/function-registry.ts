/**
 * Which module runs each Lambda function of the template in local mode, by construct id (the id given
 * to `createFunction` in `infra/`). Add a line here when a stack gains a function; a function without
 * an entry is listed at start and not run.
 */

/** Where a function's handler lives. */
export interface HandlerModule {
  /** Module path relative to the repository root. */
  readonly module: string;
  /** Exported handler name. @default 'handler' */
  readonly exportName?: string;
  /**
   * Also invoke the function once through each of its schedules as soon as local mode has started, so a
   * function on a long schedule (a daily rollup) shows its effect without waiting for its first firing.
   * @default false
   */
  readonly runAtStart?: boolean;
}

/** Handler modules by construct id. Mutable on purpose: other modules and tests may register more. */
export const FUNCTION_HANDLERS: Record<string, HandlerModule> = {
  IngestFunction: { module: 'lambdas/ingest/handler.ts' },
  AggregateFunction: { module: 'lambdas/aggregate/handler.ts' },
  // Scheduled: cron(30 0 * * ? *) by default, i.e. once a day; run at start too.
  RollupFunction: { module: 'lambdas/rollup/handler.ts', runAtStart: true },
  // Scheduled: rate(5 minutes) by default.
  MonitorFunction: { module: 'lambdas/monitor/handler.ts' },
};
