import { Duration } from 'aws-cdk-lib';

/** Thresholds of the CloudWatch alarms. Every alarm notifies the alert topic when it fires and when it recovers. */
export interface AlarmThresholds {
  /** Age of the oldest message in the events queue before its alarm fires. @default Duration.minutes(15) */
  readonly oldestMessageAge?: Duration;
  /**
   * Iterator age of a stream-fed function (how far the aggregator is behind the history table's
   * stream) before its alarm fires. @default Duration.minutes(15)
   */
  readonly iteratorAge?: Duration;
  /** Errors (failed invocations) of one Taskpulse function in 5 minutes before its alarm fires. @default 1 */
  readonly functionErrors?: number;
  /** Quarantined share of delivered messages over 15 minutes, percent, before the alarm fires. @default 1 */
  readonly quarantinePercent?: number;
  /**
   * Failure rate (failed ÷ finished) over one hour, percent, above which the CloudWatch failure-rate
   * alarm of each dashboard task type fires. This is a second, AWS-native path beside the monitor
   * Lambda's rules. `undefined` creates no failure-rate alarms.
   * @default undefined
   */
  readonly failureRatePercent?: number;
  /** Finished tasks in the hour before a failure-rate alarm may fire. @default 10 */
  readonly failureRateMinTasks?: number;
}

/** What the dashboard shows and what the alarms watch. */
export interface MonitoringOptions {
  /**
   * Task types that get their own dashboard rows (throughput, failure rate, run and wait time) and,
   * when `alarms.failureRatePercent` is set, failure-rate alarms. Task types not listed still show in
   * the dashboard's SEARCH-based widgets.
   * @default []
   */
  readonly dashboardTaskTypes?: readonly string[];
  /** Runbook link shown in the dashboard header and in every alarm description. @default a placeholder */
  readonly runbookUrl?: string;
  /** @default see AlarmThresholds */
  readonly alarms?: AlarmThresholds;
}

/** Placeholder shown until `runbookUrl` is configured. */
export const RUNBOOK_PLACEHOLDER =
  'https://example.com/taskpulse-runbook (set the runbookUrl prop or context)';

/** Defaults of MonitoringOptions, applied under the caller's values. */
const MONITORING_DEFAULTS = {
  dashboardTaskTypes: [] as readonly string[],
  runbookUrl: RUNBOOK_PLACEHOLDER,
  alarms: {
    oldestMessageAge: Duration.minutes(15),
    iteratorAge: Duration.minutes(15),
    functionErrors: 1,
    quarantinePercent: 1,
    failureRatePercent: undefined as number | undefined,
    failureRateMinTasks: 10,
  },
} as const;

/** MonitoringOptions with every default filled in. */
export interface ResolvedMonitoringOptions {
  readonly dashboardTaskTypes: readonly string[];
  readonly runbookUrl: string;
  readonly alarms: Required<Omit<AlarmThresholds, 'failureRatePercent'>> &
    Pick<AlarmThresholds, 'failureRatePercent'>;
}

/** Fill in defaults; caller values always win, an explicit `undefined` keeps the default. */
export const resolveMonitoringOptions = (options: MonitoringOptions = {}): ResolvedMonitoringOptions => {
  const alarms = options.alarms ?? {};
  const d = MONITORING_DEFAULTS.alarms;
  return {
    dashboardTaskTypes: options.dashboardTaskTypes ?? MONITORING_DEFAULTS.dashboardTaskTypes,
    runbookUrl: options.runbookUrl ?? MONITORING_DEFAULTS.runbookUrl,
    alarms: {
      oldestMessageAge: alarms.oldestMessageAge ?? d.oldestMessageAge,
      iteratorAge: alarms.iteratorAge ?? d.iteratorAge,
      functionErrors: alarms.functionErrors ?? d.functionErrors,
      quarantinePercent: alarms.quarantinePercent ?? d.quarantinePercent,
      failureRatePercent: alarms.failureRatePercent ?? d.failureRatePercent,
      failureRateMinTasks: alarms.failureRateMinTasks ?? d.failureRateMinTasks,
    },
  };
};
