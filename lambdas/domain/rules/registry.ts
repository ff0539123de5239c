import { consecutiveFailuresRule } from './consecutive-failures';
import { failureRateRule } from './failure-rate';
import { missedRule } from './missed';
import { queueStuckRule } from './queue-stuck';
import type { RuleModule, RuleWords } from './rule-module';
import { slowRule } from './slow';
import { stuckRule } from './stuck';

/**
 * Every alert rule, in the order the monitor evaluates them. The configuration (`config.ts`), the
 * monitor (`run-monitor.ts`), the messages (`domain/alerts/describe.ts`) and the CDK props
 * (`infra/alerting.ts`) iterate over this list: adding a rule is its module and one line here.
 */
const RULE_MODULES = [
  failureRateRule,
  consecutiveFailuresRule,
  slowRule,
  stuckRule,
  queueStuckRule,
  missedRule,
] as const;

/** One of the registered rule modules. */
export type RegisteredRule = (typeof RULE_MODULES)[number];

/**
 * Rule names by settings key (`RULE.queueStuck` = `'queue-stuck'`). They appear in alert state keys
 * (`AL` / `<rule>#<scope>`), SNS message attributes and the JSON alert document: add, never rename.
 */
export const RULE = Object.fromEntries(RULE_MODULES.map((r) => [r.key, r.name])) as {
  readonly [M in RegisteredRule as M['key']]: M['name'];
};

/** The name of a registered rule. */
export type RuleName = RegisteredRule['name'];

/** The evaluation type of a rule module. */
type EvaluationOf<M extends AnyRule> = Exclude<Awaited<ReturnType<M['evaluate']>>, undefined>;
/** The settings type of a rule module. */
type SettingsOf<M extends AnyRule> = M['defaults'];
/** The CDK props type of a rule module. */
type PropsOf<M extends AnyRule> = Parameters<M['settingsFromProps']>[0];

/** The outcome of any registered rule. */
export type RegisteredEvaluation = EvaluationOf<RegisteredRule>;

/** The outcome of evaluating one rule on one scope at one instant. */
export type Evaluation = RegisteredEvaluation;

/** Each registered rule's settings under its key (`queueStuck: {…}`). */
export type RegisteredSettings = { readonly [M in RegisteredRule as M['key']]: SettingsOf<M> };

/** Each registered rule's CDK props under its key, all optional. */
export type RegisteredProps = { readonly [M in RegisteredRule as M['key']]?: PropsOf<M> };

/**
 * The registered rules seen through one type, for code that iterates over all of them: each function
 * is only ever called with the settings and evaluations of its own rule (looked up by key or name).
 */
// biome-ignore lint/suspicious/noExplicitAny: one module's functions called with that module's own values
type AnyRule = RuleModule<string, string, any, any, any>;

/** The registered rules, as `AnyRule`. */
export const RULES: readonly AnyRule[] = RULE_MODULES;

const byName = new Map<string, AnyRule>(RULES.map((r) => [r.name, r]));

/** The module of a registered rule name; throws for an unknown name (a programming error). */
const ruleNamed = (name: string): AnyRule => {
  const rule = byName.get(name);
  if (rule === undefined) throw new Error(`no alert rule named ${name}`);
  return rule;
};

/** How an evaluation of a registered rule reads (see `RuleWords`). */
export const wordsOf = (e: RegisteredEvaluation): RuleWords => ruleNamed(e.rule).describe(e);
