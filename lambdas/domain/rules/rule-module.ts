import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import type { BucketAggregate } from './buckets';
import type { EvaluationBase } from './evaluation';
import { SEVERITIES } from './rule';
import type { RunSummary } from './run-summary';

/**
 * What one alert rule module provides, so that the monitor, the configuration, the messages and the
 * CDK props iterate over a list of rules (`RULE_MODULES` in `registry.ts`) instead of naming each rule:
 * a new rule is its module and one line in the registry. Modeled on cdk-monitoring-constructs' one folder
 * per service. `Duration` is imported as a type only (the props mapping reads `toMilliseconds()`), so
 * nothing of aws-cdk-lib is bundled into a Lambda.
 */

/** Error types shown in an alert. */
export const ALERT_TOP_ERRORS = 3;

/** Whole, positive milliseconds (the configuration's durations). */
export const positiveMs = z.number().int('must be whole milliseconds').positive('must be positive');
/** A ratio between 0 and 1 (0.2 = 20%). */
export const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
/** How urgent an alert of the rule is. */
export const severity = z.enum(SEVERITIES);

/** `Duration` → milliseconds, keeping `undefined` (props left out). */
export const millisOf = (d: Duration | undefined): number | undefined => d?.toMilliseconds();

/** The object without its `undefined` fields; `undefined` when nothing is left (no props given). */
export const definedFields = <T extends object>(o: T): Partial<T> | undefined => {
  const out = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return Object.keys(out).length === 0 ? undefined : out;
};

/** A creation-time range `[fromMs, toMs)` to look up runs in. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** A task type's declared cadence (`cadences` in the monitor configuration), ms. */
export interface DeclaredCadence {
  readonly everyMs: number;
  /** @default the task type's `missed.graceMs` */
  readonly graceMs?: number;
}

/** What the monitor hands a rule when it evaluates one scope at one instant. */
export interface RuleInput<S> {
  readonly scope: string;
  readonly taskType: string;
  /** True for a task-type scope, false for a dimension scope (`send_invoice#marketplace=DE`). */
  readonly typeScope: boolean;
  /** This scope's aggregate buckets over the look-back the rules asked for (`lookbackMs`). */
  readonly buckets: readonly BucketAggregate[];
  /** This rule's effective settings for the task type. */
  readonly settings: S;
  /** The task type's declared cadence, if it has one (task-type scopes only). */
  readonly cadence: DeclaredCadence | undefined;
  /** A stored alert of this rule on this scope is firing or has a message pending: evaluate it even when disabled, so it can recover. */
  readonly active: boolean;
  readonly nowMs: number;
  /** The runs of the task type created in these ranges (reads the history; use only for what aggregates cannot say). */
  readonly runsCreatedIn: (ranges: readonly TimeRange[]) => Promise<RunSummary[]>;
}

/** The number a rule compares, with its threshold and unit (for machines). */
export interface Measurement {
  readonly name: string;
  readonly value: number;
  readonly threshold: number | null;
  readonly unit: 'ratio' | 'count';
  /** How value is compared with threshold when the rule fires. */
  readonly comparison: '>' | '>=' | '<';
}

/** How an evaluation reads in the subject, the email, the JSON document and the CLI hint. */
export interface RuleWords {
  /** The headline after the scope, e.g. `failure rate 34.5% > 20% (last 1h)`. ASCII only. */
  readonly summary: (firing: boolean) => string;
  readonly measurement: Measurement;
  /** Rule parameters, in milliseconds and counts. */
  readonly parameters: Readonly<Record<string, number | null>>;
  /** Counts behind the measurement. */
  readonly counts: Readonly<Record<string, number>>;
  /** One sentence on what the rule checks (the email's "Rule" line). */
  readonly description: string;
  /** The email's "Counts" line. */
  readonly countsLine: string;
  /** The status whose history explains the alert (`taskpulse history --status …`); none: all. */
  readonly historyStatus: string | undefined;
  /** Title of the email's list of runs. */
  readonly taskIdsTitle: string;
  /** One line per run to list in the email (all of them; the email cuts the list). */
  readonly taskIdLines: readonly string[];
  /** Runs with their start, for the JSON document's `runs` (the stuck rule). @default [] */
  readonly runs?: readonly {
    readonly taskId: string;
    readonly status: string;
    readonly attempt: number;
    readonly startedAt: string;
    readonly stuckForMs: number;
  }[];
}

/**
 * One alert rule: its name, its settings (schema, defaults, cross-field check, CDK props), how it is
 * evaluated and how it is described.
 *
 * @typeParam K the settings key in the monitor configuration (`failureRate`)
 * @typeParam N the rule name in alert keys, attributes and documents (`failure-rate`): add, never rename
 * @typeParam S the settings
 * @typeParam E the evaluation
 * @typeParam P the CDK props (`Duration`s instead of milliseconds; every field optional)
 */
export interface RuleModule<
  K extends string,
  N extends string,
  S,
  E extends EvaluationBase & { rule: N },
  P,
> {
  readonly key: K;
  readonly name: N;
  /** Strict zod schema of the settings (every field required; the configuration makes them optional). */
  readonly schema: z.ZodObject<z.ZodRawShape>;
  readonly defaults: S;
  /** A cross-field problem of the effective settings, as `field must …` (prefixed with `<where>.<key>.`). */
  readonly check?: (settings: S) => string | undefined;
  /** How far back this rule needs aggregate buckets of a scope, ms (0: none). */
  readonly lookbackMs: (
    settings: S,
    scope: { readonly typeScope: boolean; readonly cadence: DeclaredCadence | undefined },
  ) => number;
  /** Evaluate one scope; `undefined` when the rule does not apply to it (disabled and not active, wrong scope). */
  readonly evaluate: (input: RuleInput<S>) => E | undefined | Promise<E | undefined>;
  /** Runs worth naming as examples in a notification (read only when one goes out); absent: none. */
  readonly isExample?: (e: E, run: RunSummary) => boolean;
  /** Something to log about an evaluation even when nothing is sent. */
  readonly logLine?: (
    e: E,
  ) => { readonly message: string; readonly extra: Record<string, unknown> } | undefined;
  readonly describe: (e: E) => RuleWords;
  /** CDK props → this rule's part of the JSON configuration; `undefined` when no prop is set. */
  readonly settingsFromProps: (props: P) => Partial<S> | undefined;
}

/** Declare a rule module (an identity function that keeps the module's types precise). */
export const defineRule = <K extends string, N extends string, S, E extends EvaluationBase & { rule: N }, P>(
  rule: RuleModule<K, N, S, E, P>,
): RuleModule<K, N, S, E, P> => rule;
