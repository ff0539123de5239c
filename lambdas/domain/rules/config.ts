import { z } from 'zod';
import { taskTypeSchema } from '../../shared/contract/event';
import { ConfigError } from '../../shared/names/env';
import { type RegisteredSettings, RULES } from './registry';
import { positiveMs } from './rule-module';

/**
 * Monitor configuration: rule thresholds with defaults, per-task-type overrides and declared cadences.
 *
 * CDK serialises it to JSON in one environment variable (`ENV.monitorConfig`); the monitor parses it
 * once at cold start with the schema below and fails with the path of every bad value. Durations are
 * plain milliseconds (`…Ms`), ratios are fractions (0.2 = 20%). Every field is optional in the input:
 * the effective settings of a task type are `DEFAULT_RULE_SETTINGS` ← `defaults` ← `overrides[type]`,
 * field by field, so an override only names what differs.
 */

const alertPolicySchema = z
  .object({
    /** Good evaluations in a row before a firing alert recovers (OK). */
    recoveryEvaluations: z.number().int().min(1),
    /** Reminder interval while an alert keeps firing; `null`: no reminders. */
    reminderIntervalMs: positiveMs.nullable(),
    /** State changes allowed per hour; beyond that the alert is held in ALARM and said to flap. */
    maxStateChangesPerHour: z.number().int().min(2),
  })
  .strict();

/** Runbook URL or text shown in every notification; `null`: none. */
const runbookSchema = z.string().min(1).max(500).nullable();

/** Effective settings of the rules for one task type: each rule's under its key, and how alerts speak. */
export type RuleSettings = RegisteredSettings & {
  readonly alerts: AlertPolicy;
  readonly runbook: string | null;
};

/** How alert states move and how often they speak. */
export type AlertPolicy = z.infer<typeof alertPolicySchema>;

/** The defaults every task type starts from. */
export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  ...(Object.fromEntries(RULES.map((r) => [r.key, r.defaults])) as RegisteredSettings),
  alerts: { recoveryEvaluations: 2, reminderIntervalMs: 14_400_000, maxStateChangesPerHour: 4 },
  runbook: null,
};

/** Settings where every field may be left out (defaults and overrides). */
const partialSettingsSchema = z
  .object({
    ...Object.fromEntries(RULES.map((r) => [r.key, r.schema.partial().optional()])),
    alerts: alertPolicySchema.partial().optional(),
    runbook: runbookSchema.optional(),
  })
  .strict();

/** Settings where every field may be left out: each rule's and the alert policy's fields one by one. */
export type PartialRuleSettings = {
  -readonly [K in Exclude<keyof RuleSettings, 'runbook'>]?: Partial<RuleSettings[K]>;
} & { runbook?: string | null };

const cadenceSchema = z
  .object({
    /** Expected time between starts. */
    everyMs: positiveMs,
    /** @default the task type's `missed.graceMs` */
    graceMs: positiveMs.optional(),
  })
  .strict();

/** A declared cadence: the task type must start at least once every `everyMs` (+ grace). */
export type Cadence = z.infer<typeof cadenceSchema>;

/** The JSON document in `ENV.monitorConfig`. */
const monitorConfigSchema = z
  .object({
    version: z.literal(1).optional(),
    defaults: partialSettingsSchema.optional(),
    overrides: z.record(taskTypeSchema, partialSettingsSchema).optional(),
    cadences: z.record(taskTypeSchema, cadenceSchema).optional(),
  })
  .strict();

/** What callers (CDK, local mode) write; every field optional. */
export interface MonitorConfigInput {
  version?: 1;
  defaults?: PartialRuleSettings;
  overrides?: Record<string, PartialRuleSettings>;
  cadences?: Record<string, Cadence>;
}

/** The parsed configuration. Use `settingsFor` to get a task type's effective settings. */
export interface MonitorConfig {
  readonly defaults: RuleSettings;
  readonly overrides: Readonly<Record<string, PartialRuleSettings>>;
  readonly cadences: Readonly<Record<string, Cadence>>;
}

/** Each registered rule's settings: `base` ← `over`, field by field. */
const mergeRuleSettings = (base: RuleSettings, over: PartialRuleSettings): RegisteredSettings => {
  const b = base as unknown as Readonly<Record<string, object>>;
  const o = over as Readonly<Record<string, object | undefined>>;
  return Object.fromEntries(RULES.map((r) => [r.key, { ...b[r.key], ...o[r.key] }])) as RegisteredSettings;
};

const mergeSettings = (base: RuleSettings, over: PartialRuleSettings | undefined): RuleSettings =>
  over === undefined
    ? base
    : {
        ...mergeRuleSettings(base, over),
        alerts: { ...base.alerts, ...over.alerts },
        runbook: over.runbook === undefined ? base.runbook : over.runbook,
      };

const checkSettings = (where: string, s: RuleSettings): void => {
  for (const rule of RULES) {
    const problem = rule.check?.((s as unknown as Readonly<Record<string, unknown>>)[rule.key]);
    if (problem !== undefined) throw new ConfigError(`${where}.${rule.key}.${problem}`);
  }
};

/** The effective settings of a task type: defaults ← its override. Pure. */
export const settingsFor = (config: MonitorConfig, taskType: string): RuleSettings =>
  mergeSettings(config.defaults, config.overrides[taskType]);

/**
 * Validate a configuration object and resolve its defaults. Throws `ConfigError` naming every bad
 * path (`overrides.send_invoice.failureRate.threshold: …`).
 */
export const resolveMonitorConfig = (input: unknown, source = 'monitor config'): MonitorConfig => {
  const parsed = monitorConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`${source} is invalid: ${issues}`);
  }
  const data = parsed.data as MonitorConfigInput;
  const config: MonitorConfig = {
    defaults: mergeSettings(DEFAULT_RULE_SETTINGS, data.defaults),
    overrides: data.overrides ?? {},
    cadences: data.cadences ?? {},
  };
  checkSettings('defaults', config.defaults);
  for (const taskType of Object.keys(config.overrides))
    checkSettings(`overrides.${taskType}`, settingsFor(config, taskType));
  return config;
};

/** Parse the JSON text of `ENV.monitorConfig` (see `resolveMonitorConfig`). */
export const parseMonitorConfig = (json: string, source = 'monitor config'): MonitorConfig => {
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch (error) {
    throw new ConfigError(`${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return resolveMonitorConfig(input, source);
};
