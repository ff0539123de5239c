/**
 * CloudFormation output names of the Taskpulse stack. The CLI and local mode find resources by these
 * names, so they are owned here and imported by CDK.
 */
export const OUTPUT = {
  eventsQueueUrl: 'EventsQueueUrl',
  eventsQueueArn: 'EventsQueueArn',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  historyTableName: 'HistoryTableName',
  stateTableName: 'StateTableName',
  alertTopicArn: 'AlertTopicArn',
  dashboardName: 'DashboardName',
  /** Name of the rollup Lambda (the CLI's `backfill` invokes it with `{from, to}`). */
  rollupFunctionName: 'RollupFunctionName',
  /** Base URL of the read API's stage (`…/<stage>/`; paths `v1/…`, `health`, `metrics`, `openapi.json`). */
  apiUrl: 'ApiUrl',
  /** Secrets Manager secret of the read API's bearer token (only when the token is enabled). */
  apiTokenSecretArn: 'ApiTokenSecretArn',
} as const;

/** Default stack name of the standalone app (`<prefix>-<stage>`). */
export const stackNameFor = (stage: string): string => `Taskpulse-${stage}`;
