/**
 * Texts operators read: the CLI commands shown on the dashboard and in alarm descriptions. One place,
 * so the commands stay the same everywhere (the CLI finds its resources from the stack's outputs).
 */

/** A `taskpulse` CLI command line for this deployment, e.g. `npx taskpulse failures --since 1h --stack Taskpulse-prod`. */
export const cliCommand = (stackName: string, command: string): string =>
  `npx taskpulse ${command} --stack ${stackName}`;

/** The query commands listed in the dashboard header. */
export const queryCommands = (stackName: string): { command: string; what: string }[] => [
  { command: cliCommand(stackName, 'stats --days 7'), what: 'daily rollups per task type' },
  {
    command: cliCommand(stackName, 'failures --since 1h'),
    what: 'recent failed executions with their errors',
  },
  { command: cliCommand(stackName, 'show <taskId>'), what: 'one execution with its events and attempts' },
  { command: cliCommand(stackName, 'alerts'), what: 'current alert states' },
  { command: cliCommand(stackName, 'redrive'), what: 'move dead-letter messages back to the events queue' },
];

/** CloudWatch's limit on an alarm description. */
const MAX_ALARM_DESCRIPTION_CHARS = 1024;

/** `text` cut to what CloudWatch accepts as an alarm description. */
export const fitAlarmDescription = (text: string): string =>
  text.length <= MAX_ALARM_DESCRIPTION_CHARS ? text : `${text.slice(0, MAX_ALARM_DESCRIPTION_CHARS - 3)}...`;

/** An alarm description: what happened, what to do, where the runbook is. */
export const alarmDescription = (what: string, todo: string, runbookUrl: string): string =>
  fitAlarmDescription(`${what} What to do: ${todo} Runbook: ${runbookUrl}`);
