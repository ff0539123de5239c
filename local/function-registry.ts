/**
 * Which module runs each triggered Lambda function of the stack in local mode, by construct id (the id
 * given to `createFunction` in `infra/`). Add a line here when the stack gains a function with an event
 * source or a schedule (without one it is not run). A function with neither (the alarm formatter,
 * subscribed to a topic only CloudWatch alarms publish to) is listed in the banner and not loaded.
 */

/** A handler as local mode invokes it. */
export type AnyHandler = (event: never, context: never) => Promise<unknown>;

/** Where a function's handler comes from. */
export interface HandlerModule {
  /** Module path relative to the repository root, imported with the function's environment set. */
  readonly module?: string;
  /**
   * Build the handler instead of importing `module` (called with the function's environment set), e.g.
   * to wrap one of its dependencies in-process.
   */
  readonly create?: () => Promise<AnyHandler>;
  /**
   * Also invoke the function once through each of its schedules as soon as local mode has started, so a
   * function on a long schedule (a daily rollup) shows its effect without waiting for its first firing.
   * @default false
   */
  readonly runAtStart?: boolean;
}

/** Handler modules by construct id. */
export const FUNCTION_HANDLERS: Readonly<Record<string, HandlerModule>> = {
  IngestFunction: { module: 'lambdas/ingest/handler.ts' },
  AggregateFunction: { module: 'lambdas/aggregate/handler.ts' },
  // Scheduled: cron(30 0 * * ? *) by default, i.e. once a day; run at start too.
  RollupFunction: { module: 'lambdas/rollup/handler.ts', runAtStart: true },
  // Scheduled: rate(5 minutes) by default.
  MonitorFunction: { module: 'lambdas/monitor/handler.ts' },
};
