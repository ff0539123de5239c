import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type Node } from 'constructs';
import {
  type MonitorConfig,
  type MonitorConfigInput,
  type PartialRuleSettings,
  resolveMonitorConfig,
} from '../lambdas/domain/rules/config';
import { type RegisteredProps, RULES } from '../lambdas/domain/rules/registry';
import { definedFields, millisOf } from '../lambdas/domain/rules/rule-module';
import { DEFAULT_SCHEDULED_ROLLUP_DAYS } from '../lambdas/rollup/request';
import { cloudWatchConsoleUrl, dashboardConsoleUrl } from '../lambdas/shared/names/console';
import { ConfigError, ENV } from '../lambdas/shared/names/env';
import { bindTable, TABLE_ACCESS } from './grants';
import { dashboardNameOf } from './monitoring/dashboard';

/**
 * Daily rollups and the alert monitor: two scheduled Lambdas over the state table, the monitor
 * publishing to the encrypted alert topic. Part of `Taskpulse`; its props are `TaskpulseProps` fields.
 */

/** How alerts speak. */
export interface AlertPolicyProps {
  /** Good evaluations in a row before OK. @default 2 */
  readonly recoveryEvaluations?: number;
  /** Reminder interval while firing; `null`: none. @default Duration.hours(4) */
  readonly reminderInterval?: Duration | null;
  /** State changes per hour before the alert is held in ALARM as flapping. @default 4 */
  readonly maxStateChangesPerHour?: number;
}

/**
 * Rule settings; every field optional (defaults, or a task type's override). The rules of the
 * registry (`lambdas/domain/rules/registry.ts`) bring their own props, e.g. `queueStuck`
 * (`QueueStuckProps`: runs enqueued and never started).
 */
export interface RuleSettingsProps extends RegisteredProps {
  readonly alerts?: AlertPolicyProps;
  /** A runbook for this task type's alerts instead of the deployment's `runbookUrl` (set it in `overrides`). @default the `runbookUrl` prop */
  readonly runbook?: string | null;
}

/** Monitor thresholds: defaults for every task type, and overrides per task type. */
export interface MonitorProps extends RuleSettingsProps {
  /** Per task type: only the fields that differ from the defaults. @default {} */
  readonly overrides?: Readonly<Record<string, RuleSettingsProps>>;
  /**
   * The same configuration in the Lambda's JSON form (milliseconds, fractions), e.g. from CDK context;
   * the typed props above win over it field by field. @default {}
   */
  readonly config?: MonitorConfigInput;
}

/** A task type that must start at least once per `every` (plus grace). */
export interface ExpectedCadence {
  readonly every: Duration;
  /** @default the task type's `missed.grace` */
  readonly grace?: Duration;
}

/** Rollup and monitor fields of `TaskpulseProps`. */
export interface TaskpulseAlertingProps {
  /** When the daily rollup runs (UTC). @default events.Schedule.expression('cron(30 0 * * ? *)') */
  readonly rollupSchedule?: events.Schedule;
  /** Days before today a scheduled rollup recomputes (2: late events of yesterday are caught). @default 2 */
  readonly rollupDays?: number;
  /** When the monitor evaluates. @default events.Schedule.rate(Duration.minutes(5)) */
  readonly monitorSchedule?: events.Schedule;
  /** Rule thresholds with per-task-type overrides. @default see DEFAULT_RULE_SETTINGS */
  readonly monitor?: MonitorProps;
  /** Task types with an expected cadence (missed-run alerts), by task type. @default {} */
  readonly expectedCadences?: Readonly<Record<string, ExpectedCadence>>;
}

/** Defaults of `TaskpulseAlertingProps`, applied under the caller's props. */
export const ALERTING_DEFAULTS = {
  rollupSchedule: events.Schedule.expression('cron(30 0 * * ? *)'),
  rollupDays: DEFAULT_SCHEDULED_ROLLUP_DAYS,
  monitorSchedule: events.Schedule.rate(Duration.minutes(5)),
  monitor: {} as MonitorProps,
  expectedCadences: {} as Readonly<Record<string, ExpectedCadence>>,
} as const;

/** Lambda environment variables are limited to 4 KB in total; the config gets most of it. */
const MAX_MONITOR_CONFIG_CHARS = 3_000;

/** Typed rule settings → the JSON form (milliseconds). Pure. */
const settingsInputOf = (p: RuleSettingsProps): PartialRuleSettings =>
  definedFields({
    ...Object.fromEntries(
      RULES.map((rule) => {
        const props = (p as Readonly<Record<string, unknown>>)[rule.key];
        return [rule.key, props === undefined ? undefined : rule.settingsFromProps(props)];
      }),
    ),
    alerts:
      p.alerts &&
      definedFields({
        recoveryEvaluations: p.alerts.recoveryEvaluations,
        reminderIntervalMs: p.alerts.reminderInterval === null ? null : millisOf(p.alerts.reminderInterval),
        maxStateChangesPerHour: p.alerts.maxStateChangesPerHour,
      }),
    runbook: p.runbook,
  }) ?? {};

const overlay = (base: PartialRuleSettings | undefined, top: PartialRuleSettings): PartialRuleSettings => {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const under = out[key];
    out[key] =
      value !== null && typeof value === 'object' && typeof under === 'object' && under !== null
        ? { ...under, ...value }
        : value;
  }
  return out as PartialRuleSettings;
};

/**
 * The monitor's JSON configuration from typed props: `monitor.config` ← typed defaults and overrides
 * ← `expectedCadences`. Pure.
 */
export const monitorConfigInputOf = (
  monitor: MonitorProps,
  cadences: Readonly<Record<string, ExpectedCadence>>,
): MonitorConfigInput => {
  const raw = monitor.config ?? {};
  const overrides: Record<string, PartialRuleSettings> = { ...raw.overrides };
  for (const [taskType, o] of Object.entries(monitor.overrides ?? {}))
    overrides[taskType] = overlay(overrides[taskType], settingsInputOf(o));
  const cadenceInput: NonNullable<MonitorConfigInput['cadences']> = { ...raw.cadences };
  for (const [taskType, c] of Object.entries(cadences))
    cadenceInput[taskType] = {
      everyMs: c.every.toMilliseconds(),
      ...(c.grace && { graceMs: millisOf(c.grace) }),
    };
  const defaults = overlay(raw.defaults, settingsInputOf(monitor));
  return {
    version: 1,
    ...(Object.keys(defaults).length > 0 && { defaults }),
    ...(Object.keys(overrides).length > 0 && { overrides }),
    ...(Object.keys(cadenceInput).length > 0 && { cadences: cadenceInput }),
  };
};

/** Read alerting props from CDK context: `rollupSchedule`, `monitorSchedule` (schedule expressions), `monitorConfig` (JSON form). */
export const alertingPropsFromContext = (node: Node): TaskpulseAlertingProps => {
  const get = (key: string): unknown => node.tryGetContext(key);
  const schedule = (key: string) => {
    const v = get(key);
    return v === undefined ? undefined : events.Schedule.expression(String(v));
  };
  const rawConfig = get('monitorConfig');
  const config =
    rawConfig === undefined
      ? undefined
      : ((typeof rawConfig === 'string' ? JSON.parse(rawConfig) : rawConfig) as MonitorConfigInput);
  if (config !== undefined) resolveMonitorConfig(config, 'context monitorConfig');
  return {
    ...(schedule('rollupSchedule') && { rollupSchedule: schedule('rollupSchedule') }),
    ...(schedule('monitorSchedule') && { monitorSchedule: schedule('monitorSchedule') }),
    ...(config !== undefined && { monitor: { config } }),
  };
};

/**
 * Creates a Lambda from an entry under `lambdas/` with the deployment's runtime, bundling, logs and
 * stage (`Taskpulse.createFunction`), as a child of the construct that owns the factory.
 */
export type FunctionFactory = (
  id: string,
  entry: string,
  options: Pick<nodejs.NodejsFunctionProps, 'timeout' | 'memorySize' | 'description'>,
) => nodejs.NodejsFunction;

/** Props of the construct: the alerting fields (defaults applied) and the resources it works on. */
export interface TaskpulseAlertingConstructProps extends Required<TaskpulseAlertingProps> {
  /** Stage name, shown in the schedule descriptions. */
  readonly stage: string;
  /** Aggregates, rollups and alert states. */
  readonly stateTable: dynamodb.ITable;
  /** Executions (the monitor lists stuck runs and example task ids). */
  readonly historyTable: dynamodb.ITable;
  /** Where the monitor publishes alerts. */
  readonly alertTopic: sns.ITopic;
  /** Creates the rollup and monitor functions. */
  readonly createFunction: FunctionFactory;
}

/** Pick the alerting fields of resolved Taskpulse props. */
export const alertingPropsOf = (p: Required<TaskpulseAlertingProps>): Required<TaskpulseAlertingProps> => ({
  rollupSchedule: p.rollupSchedule,
  rollupDays: p.rollupDays,
  monitorSchedule: p.monitorSchedule,
  monitor: p.monitor,
  expectedCadences: p.expectedCadences,
});

/**
 * The rollup and monitor functions with their schedules and least-privilege grants:
 * - `RollupFunction` (`lambdas/rollup/handler.ts`): queries the state table, writes rollups and
 *   removes the dirty-day marks it recomputed;
 * - `MonitorFunction` (`lambdas/monitor/handler.ts`): queries the state table and the history table's
 *   index, reads executions, writes alert states, publishes to the alert topic (and uses its KMS key).
 * Their table actions are listed in `infra/grants.ts`. The functions are created by `createFunction`
 * (the Taskpulse construct's, so they sit beside ingest and aggregate and local mode finds them by
 * construct id); the schedules are children of this construct.
 */
export class TaskpulseAlerting extends Construct {
  readonly rollupFunction: nodejs.NodejsFunction;
  readonly monitorFunction: nodejs.NodejsFunction;
  readonly rollupRule: events.Rule;
  readonly monitorRule: events.Rule;
  /** The monitor configuration as the Lambda reads it (validated at synth). */
  readonly monitorConfig: MonitorConfig;

  constructor(scope: Construct, id: string, props: TaskpulseAlertingConstructProps) {
    super(scope, id);
    if (!Number.isInteger(props.rollupDays) || props.rollupDays < 1)
      throw new ConfigError(`rollupDays must be a positive integer, got ${props.rollupDays}`);
    const configJson = JSON.stringify(monitorConfigInputOf(props.monitor, props.expectedCadences));
    this.monitorConfig = resolveMonitorConfig(JSON.parse(configJson), 'Taskpulse monitor props');
    if (configJson.length > MAX_MONITOR_CONFIG_CHARS) {
      throw new ConfigError(
        `the monitor configuration is ${configJson.length} characters as JSON; Lambda environments hold 4 KB. ` +
          'Move shared settings into the defaults or drop overrides equal to them.',
      );
    }

    this.rollupFunction = props.createFunction('RollupFunction', 'rollup/handler.ts', {
      timeout: Duration.minutes(15),
      memorySize: 512,
      description: 'Taskpulse rollup: daily rollups from the time-bucket aggregates (idempotent, backfill)',
    });
    bindTable(this.rollupFunction, props.stateTable, ENV.stateTable, TABLE_ACCESS.rollup.state);
    this.rollupFunction.addEnvironment(ENV.rollupDays, String(props.rollupDays));

    this.monitorFunction = props.createFunction('MonitorFunction', 'monitor/handler.ts', {
      timeout: Duration.minutes(2),
      memorySize: 512,
      description: 'Taskpulse monitor: failure rate, stuck, slow and missed runs to SNS alerts',
    });
    bindTable(this.monitorFunction, props.stateTable, ENV.stateTable, TABLE_ACCESS.monitor.state);
    bindTable(this.monitorFunction, props.historyTable, ENV.historyTable, TABLE_ACCESS.monitor.history);
    this.monitorFunction.addEnvironment(ENV.alertTopicArn, props.alertTopic.topicArn);
    props.alertTopic.grantPublish(this.monitorFunction);
    this.monitorFunction.addEnvironment(ENV.monitorConfig, configJson);
    // A failed run is retried by the next scheduled one; async retries would only overlap with it.
    this.monitorFunction.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });

    this.rollupRule = new events.Rule(this, 'RollupSchedule', {
      schedule: props.rollupSchedule,
      description: `Taskpulse (${props.stage}): daily rollups of the previous UTC day(s)`,
      targets: [new targets.LambdaFunction(this.rollupFunction, { retryAttempts: 2 })],
    });
    this.monitorRule = new events.Rule(this, 'MonitorSchedule', {
      schedule: props.monitorSchedule,
      description: `Taskpulse (${props.stage}): evaluate alert rules`,
      targets: [new targets.LambdaFunction(this.monitorFunction, { retryAttempts: 0 })],
    });
  }

  /**
   * Put the deployment into the monitor's alerts: the stack name (CLI commands add `--stack`), the one
   * runbook URL (`runbookUrl` prop / `-c runbookUrl`; a rule's `runbook` setting overrides it per task
   * type) and console links to the dashboard and to the monitor function's logs. Plain environment
   * variables: links need no grant.
   */
  linkAlerts(links: { readonly runbookUrl?: string }): void {
    const fn = this.monitorFunction;
    const stack = Stack.of(this);
    const console = cloudWatchConsoleUrl(stack.region);
    fn.addEnvironment(ENV.stackName, stack.stackName);
    if (links.runbookUrl !== undefined) fn.addEnvironment(ENV.runbookUrl, links.runbookUrl);
    fn.addEnvironment(ENV.dashboardUrl, dashboardConsoleUrl(stack.region, dashboardNameOf(this)));
    // Log group names made by CloudFormation hold no `/`, so the name needs no escaping in the URL.
    fn.addEnvironment(ENV.logsUrl, `${console}#logsV2:log-groups/log-group/${fn.logGroup.logGroupName}`);
  }
}
