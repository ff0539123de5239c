/**
 * Which module runs each triggered Lambda function of the stack in local mode, by construct id (the id
 * given to `createFunction` in `infra/`). Add a line when the stack gains a function with an event source
 * or a schedule; a function with neither (the alarm formatter) is listed in the banner and not loaded.
 */

/** A handler as local mode invokes it. */
export type AnyHandler = (event: never, context: never) => Promise<unknown>;

/** Where a function's handler comes from. */
export interface HandlerModule {
  /** Module path relative to the repository root, imported with the function's environment set. */
  readonly module?: string;
  /** Build the handler instead (called with the function's environment set), e.g. to wrap a dependency. */
  readonly create?: () => Promise<AnyHandler>;
  /**
   * Also fire each of its schedules once at start, so a function on a long schedule (the daily rollup)
   * shows its effect without waiting for its first firing. @default false
   */
  readonly runAtStart?: boolean;
}

/** Handler modules by construct id. */
export const FUNCTION_HANDLERS: Readonly<Record<string, HandlerModule>> = {
  IngestFunction: { module: 'lambdas/ingest/handler.ts' },
  AggregateFunction: { module: 'lambdas/aggregate/handler.ts' },
  RollupFunction: { module: 'lambdas/rollup/handler.ts', runAtStart: true },
  MonitorFunction: { module: 'lambdas/monitor/handler.ts' },
};
