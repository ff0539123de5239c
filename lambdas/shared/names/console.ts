/**
 * AWS console links to the stack's resources: one place for their format, used by CDK (the links in
 * alerts) and the CLI (`taskpulse dashboard`).
 */

/** The CloudWatch console of a region. */
export const cloudWatchConsoleUrl = (region: string): string =>
  `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}`;

/** The CloudWatch console page of a dashboard (names are letters, digits, `-` and `_`: no escaping). */
export const dashboardConsoleUrl = (region: string, dashboardName: string): string =>
  `${cloudWatchConsoleUrl(region)}#dashboards/dashboard/${dashboardName}`;
