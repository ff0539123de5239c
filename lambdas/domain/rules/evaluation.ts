import type { ErrorTypeCount } from '../rollup';
import type { Severity } from './rule';

/**
 * The outcome of evaluating one rule on one scope at one instant: whether it fires, and what a person
 * (or a machine) needs to act on it. Pure data; rendering and the alert state machine read it.
 */
export interface EvaluationBase {
  readonly scope: string;
  readonly severity: Severity;
  readonly firing: boolean;
  readonly evaluatedAtMs: number;
  /** The time the evaluation looked at (bucket-aligned start, exclusive end). */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /**
   * Task IDs to show: every stuck run for `stuck`; a few examples for the other rules, filled in by the
   * monitor only when a notification goes out (it costs a query).
   */
  readonly taskIds: readonly string[];
  /** Most frequent error types in the window, with a sample message each. */
  readonly topErrors: readonly ErrorTypeCount[];
}
