import { type ResolveContext, resolveValue } from './intrinsics';
import type {
  FilterPattern,
  LocalEventSource,
  LocalFunction,
  LocalQueue,
  LocalSchedule,
  LocalTable,
} from './stack-types';
import type { CfnResource, CfnTemplate } from './template';

/**
 * Read the Lambda functions of a template with what local mode needs to run them in-process: resolved
 * environment, event source mappings (SQS queues, DynamoDB streams) and schedules that target them.
 */

/** Construct path segments that name a construct's default child rather than the construct. */
const DEFAULT_CHILDREN = new Set(['Resource', 'Default']);

/** `Stack/Taskpulse/IngestFunction/Resource` → `IngestFunction`. */
export const constructIdOf = (path: string | undefined, logicalId: string): string => {
  const segments = (path ?? '').split('/').filter((s) => s !== '');
  while (segments.length > 1 && DEFAULT_CHILDREN.has(segments[segments.length - 1]!)) segments.pop();
  return segments.length > 1 ? segments[segments.length - 1]! : logicalId;
};

/** Defaults of `AWS::Lambda::EventSourceMapping` (CloudFormation's, per source kind). */
export const ESM_DEFAULTS = {
  sqsBatchSize: 10,
  streamBatchSize: 100,
  maximumBatchingWindowSeconds: 0,
  parallelizationFactor: 1,
  maximumRetryAttempts: -1,
} as const;

const resolveOrNote = (
  resource: CfnResource,
  logicalId: string,
  ctx: ResolveContext,
  log: (line: string) => void,
): Record<string, unknown> | undefined => {
  try {
    return resolveValue(resource.Properties ?? {}, ctx) as Record<string, unknown>;
  } catch (error) {
    log(`${logicalId}: not used locally: ${(error as Error).message}`);
    return undefined;
  }
};

const parseFilters = (criteria: unknown): FilterPattern[] =>
  ((criteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? [])
    .filter((f) => typeof f.Pattern === 'string')
    .map((f) => JSON.parse(f.Pattern!) as FilterPattern);

const toEventSource = (
  logicalId: string,
  props: Record<string, unknown>,
  known: { queues: Record<string, LocalQueue>; tables: Record<string, LocalTable> },
  log: (line: string) => void,
): LocalEventSource | undefined => {
  const sourceArn = String(props.EventSourceArn);
  const responseTypes = (props.FunctionResponseTypes as string[] | undefined) ?? [];
  const common = {
    logicalId,
    maximumBatchingWindowSeconds: Number(
      props.MaximumBatchingWindowInSeconds ?? ESM_DEFAULTS.maximumBatchingWindowSeconds,
    ),
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    filters: parseFilters(props.FilterCriteria),
    enabled: props.Enabled !== false && props.Enabled !== 'false',
  };
  const queue = Object.values(known.queues).find((q) => q.arn === sourceArn);
  if (queue !== undefined) {
    const maxConcurrency = (props.ScalingConfig as { MaximumConcurrency?: number } | undefined)
      ?.MaximumConcurrency;
    return {
      kind: 'sqs',
      ...common,
      batchSize: Number(props.BatchSize ?? ESM_DEFAULTS.sqsBatchSize),
      queueArn: queue.arn,
      queueUrl: queue.url,
      ...(maxConcurrency !== undefined && { maximumConcurrency: Number(maxConcurrency) }),
    };
  }
  const table = Object.values(known.tables).find((t) => t.streamArn === sourceArn);
  if (table !== undefined) {
    const onFailure = (props.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)
      ?.OnFailure?.Destination;
    return {
      kind: 'dynamodb',
      ...common,
      batchSize: Number(props.BatchSize ?? ESM_DEFAULTS.streamBatchSize),
      streamArn: sourceArn,
      tableName: table.name,
      startingPosition: props.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
      parallelizationFactor: Number(props.ParallelizationFactor ?? ESM_DEFAULTS.parallelizationFactor),
      maximumRetryAttempts: Number(props.MaximumRetryAttempts ?? ESM_DEFAULTS.maximumRetryAttempts),
      bisectBatchOnFunctionError: props.BisectBatchOnFunctionError === true,
      ...(onFailure !== undefined && { onFailureDestinationArn: onFailure }),
    };
  }
  log(`${logicalId}: event source ${sourceArn} is not a local queue or table stream; not polled`);
  return undefined;
};

/** True when an ESM's `FunctionName` (name, ARN or qualified ARN) designates the function. */
const designates = (value: string, fn: { name: string; arn: string }): boolean =>
  value === fn.name || value === fn.arn || value.startsWith(`${fn.arn}:`);

const schedulesOf = (
  template: CfnTemplate,
  fn: { name: string; arn: string },
  ctx: ResolveContext,
  log: (line: string) => void,
): LocalSchedule[] => {
  const out: LocalSchedule[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::Rule' && resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const props = resolveOrNote(resource, logicalId, ctx, () => {});
    if (props === undefined || typeof props.ScheduleExpression !== 'string') continue;
    const enabled = props.State === undefined || props.State === 'ENABLED';
    if (resource.Type === 'AWS::Events::Rule') {
      for (const target of (props.Targets as Record<string, unknown>[] | undefined) ?? []) {
        if (!designates(String(target.Arn), fn)) continue;
        if (target.InputPath !== undefined || target.InputTransformer !== undefined) {
          log(`${logicalId}: InputPath/InputTransformer not applied locally; the scheduled event is sent`);
        }
        out.push({
          logicalId,
          kind: 'events-rule',
          expression: props.ScheduleExpression,
          ...(typeof target.Input === 'string' && { input: target.Input }),
          enabled,
        });
      }
    } else {
      const target = props.Target as Record<string, unknown> | undefined;
      if (target === undefined || !designates(String(target.Arn), fn)) continue;
      out.push({
        logicalId,
        kind: 'scheduler',
        expression: props.ScheduleExpression,
        ...(typeof props.ScheduleExpressionTimezone === 'string' && {
          timezone: props.ScheduleExpressionTimezone,
        }),
        ...(typeof target.Input === 'string' && { input: target.Input }),
        enabled,
      });
    }
  }
  return out;
};

/** Describe every `AWS::Lambda::Function` of the template, resolved against the created resources. */
export const describeFunctions = (
  template: CfnTemplate,
  ctx: ResolveContext,
  known: { queues: Record<string, LocalQueue>; tables: Record<string, LocalTable> },
  log: (line: string) => void,
): LocalFunction[] => {
  const mappings = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
    .map(([logicalId, r]) => ({ logicalId, props: resolveOrNote(r, logicalId, ctx, log) }));
  const functions: LocalFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = ctx.ref(logicalId);
    const arn = ctx.getAtt(logicalId, 'Arn');
    if (name === undefined || arn === undefined) continue; // excluded by a condition
    const props = resolveOrNote(resource, logicalId, ctx, log) ?? {};
    const variables =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)]));
    const path = resource.Metadata?.['aws:cdk:path'] as string | undefined;
    const eventSources = mappings
      .filter((m) => m.props !== undefined && designates(String(m.props.FunctionName), { name, arn }))
      .map((m) => toEventSource(m.logicalId, m.props!, known, log))
      .filter((s): s is LocalEventSource => s !== undefined);
    functions.push({
      logicalId,
      constructId: constructIdOf(path, logicalId),
      ...(path !== undefined && { constructPath: path }),
      name,
      arn,
      environment,
      timeoutSeconds: Number(props.Timeout ?? 3),
      eventSources,
      schedules: schedulesOf(template, { name, arn }, ctx, log),
    });
  }
  return functions;
};
