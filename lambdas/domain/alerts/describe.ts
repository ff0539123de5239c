import { formatDurationMs } from '../../shared/format';
import { parseScope } from '../../shared/names/keys';
import { type Evaluation, wordsOf } from '../rules/registry';
import { RULE } from '../rules/rule';
import type { Measurement } from '../rules/rule-module';

/**
 * What an evaluation means in words and numbers, per rule: the one place that knows how each rule is
 * described, shared by the subject, the email and the JSON document.
 */

/** `send_invoice` or `send_invoice marketplace=DE`. */
export const scopeLabel = (scope: string): string => {
  const { taskType, dimension } = parseScope(scope);
  return dimension === undefined ? taskType : `${taskType} ${dimension.key}=${dimension.value}`;
};

/** The headline after the scope, e.g. `failure rate 34.5% > 20% (last 1h)`. ASCII only. */
export const summaryOf = (e: Evaluation, state: 'ALARM' | 'OK'): string => {
  const firing = state === 'ALARM';
  switch (e.rule) {
    case RULE.missed:
      return firing
        ? `missed run: none started in ${formatDurationMs(e.everyMs + e.graceMs)} (every ${formatDurationMs(e.everyMs)} + ${formatDurationMs(e.graceMs)} grace)`
        : `runs started again (every ${formatDurationMs(e.everyMs)} + ${formatDurationMs(e.graceMs)} grace)`;
    default:
      return wordsOf(e).summary(firing);
  }
};

export type { Measurement } from '../rules/rule-module';

/** The number a rule compares, with its threshold and unit (for machines). */
export const measurementOf = (e: Evaluation): Measurement => {
  switch (e.rule) {
    case RULE.missed:
      return { name: 'startedInWindow', value: e.started, threshold: 1, unit: 'count', comparison: '<' };
    default:
      return wordsOf(e).measurement;
  }
};

/** Rule parameters, in milliseconds and counts (for machines and the email's "rule" line). */
export const parametersOf = (e: Evaluation): Record<string, number | null> => {
  switch (e.rule) {
    case RULE.missed:
      return { everyMs: e.everyMs, graceMs: e.graceMs };
    default:
      return wordsOf(e).parameters;
  }
};

/** Counts behind the measurement. */
export const countsOf = (e: Evaluation): Record<string, number> => {
  switch (e.rule) {
    case RULE.missed:
      return { started: e.started };
    default:
      return wordsOf(e).counts;
  }
};

/** The status whose history explains the alert (for the CLI hint). */
const historyStatusOf = (e: Evaluation): string | undefined => {
  switch (e.rule) {
    case RULE.missed:
      return undefined;
    default:
      return wordsOf(e).historyStatus;
  }
};

/**
 * How to look at the history with the CLI, e.g.
 * `taskpulse history --type send_invoice --status failed --stack Taskpulse-prod`: with the stack the
 * alert came from when it is known, so the command reads the right deployment.
 */
export const historyCommandOf = (e: Evaluation, stackName?: string): string => {
  const { taskType } = parseScope(e.scope);
  const status = historyStatusOf(e);
  return `taskpulse history --type ${taskType}${status === undefined ? '' : ` --status ${status}`}${stackName === undefined ? '' : ` --stack ${stackName}`}`;
};

/** One sentence on what the rule checks, for the email. */
export const ruleDescriptionOf = (e: Evaluation): string => {
  switch (e.rule) {
    case RULE.missed:
      return `fires when no run started within ${formatDurationMs(e.everyMs)} plus ${formatDurationMs(e.graceMs)} grace`;
    default:
      return wordsOf(e).description;
  }
};
