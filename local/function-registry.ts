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
}

/** Handler modules by construct id. Mutable on purpose: other modules and tests may register more. */
export const FUNCTION_HANDLERS: Record<string, HandlerModule> = {
  IngestFunction: { module: 'lambdas/ingest/handler.ts' },
  AggregateFunction: { module: 'lambdas/aggregate/handler.ts' },
};
