import { parseScope } from '../../shared/names/keys';
import { type Evaluation, wordsOf } from '../rules/registry';
import type { Measurement } from '../rules/rule-module';

/**
 * What an evaluation means in words and numbers, shared by the subject, the email and the JSON document.
 * Each rule's own words live in its module (`describe`, see `RuleWords`); these read them.
 */

export type { Measurement } from '../rules/rule-module';

/** `send_invoice` or `send_invoice marketplace=DE`. */
export const scopeLabel = (scope: string): string => {
  const { taskType, dimension } = parseScope(scope);
  return dimension === undefined ? taskType : `${taskType} ${dimension.key}=${dimension.value}`;
};

/** The headline after the scope, e.g. `failure rate 34.5% > 20% (last 1h)`. ASCII only. */
export const summaryOf = (e: Evaluation, state: 'ALARM' | 'OK'): string =>
  wordsOf(e).summary(state === 'ALARM');

/** The number a rule compares, with its threshold and unit (for machines). */
export const measurementOf = (e: Evaluation): Measurement => wordsOf(e).measurement;

/** Rule parameters, in milliseconds and counts (for machines and the email's "rule" line). */
export const parametersOf = (e: Evaluation): Readonly<Record<string, number | null>> => wordsOf(e).parameters;

/** Counts behind the measurement. */
export const countsOf = (e: Evaluation): Readonly<Record<string, number>> => wordsOf(e).counts;

/**
 * How to look at the history with the CLI, e.g.
 * `taskpulse history --type send_invoice --status failed --stack Taskpulse-prod`: with the stack the
 * alert came from when it is known, so the command reads the right deployment.
 */
export const historyCommandOf = (e: Evaluation, stackName?: string): string => {
  const { taskType } = parseScope(e.scope);
  const status = wordsOf(e).historyStatus;
  return `taskpulse history --type ${taskType}${status === undefined ? '' : ` --status ${status}`}${stackName === undefined ? '' : ` --stack ${stackName}`}`;
};

/** One sentence on what the rule checks, for the email. */
export const ruleDescriptionOf = (e: Evaluation): string => wordsOf(e).description;
