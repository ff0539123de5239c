import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  type Stack,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type EventSourceMappingConfiguration,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CfnResource, CfnTemplate } from '../infra/synth';
import { clientConfig } from './aws-config';
import { LocalModeError } from './errors';
import type { FilterPattern, LocalEventSource, LocalFunction, LocalStack } from './stack-types';

/**
 * Create the stack with the emulator's own CloudFormation, then read back what local mode needs: outputs
 * and physical ids, and each function's resolved environment (Lambda API). The schedules and the event
 * source mappings (which the emulator must not have, see `emulatorTemplate`) are read from the template,
 * where only their source, function and target are references, looked up by physical id (decision 0070).
 */

/** Code every function gets in the emulator: handlers run in-process, moto never invokes it. */
const PLACEHOLDER_CODE = {
  ZipFile: 'exports.handler = async () => { throw new Error("runs in-process"); };',
};

/**
 * The template as the emulator can create it (decision 0070). Left out: the bootstrap-version parameter
 * and rule (they read SSM); CloudWatch alarms and the dashboard (moto's CloudFormation fails on them)
 * with the outputs that name them; the event source mappings (moto would deliver their records to a
 * Lambda it cannot run, and drop them). Function code is inline, so no asset bucket is needed. Pure.
 */
const emulatorTemplate = (template: CfnTemplate): CfnTemplate => {
  const all = Object.entries(template.Resources);
  const isLeftOut = (r: CfnResource) =>
    r.Type.startsWith('AWS::CloudWatch::') || r.Type === 'AWS::Lambda::EventSourceMapping';
  const leftOut = all.filter(([, r]) => isLeftOut(r)).map(([id]) => `"${id}"`);
  const resources = all
    .filter(([, r]) => !isLeftOut(r))
    .map(([id, r]) => [
      id,
      r.Type === 'AWS::Lambda::Function'
        ? { ...r, Properties: { ...r.Properties, Code: PLACEHOLDER_CODE } }
        : r,
    ]);
  // An output that refers to a resource left out (an alarm's or the dashboard's name) is left out too.
  const outputs = Object.entries(template.Outputs ?? {}).filter(
    ([, o]) => !leftOut.some((id) => JSON.stringify(o.Value).includes(id)),
  );
  return { Resources: Object.fromEntries(resources), Outputs: Object.fromEntries(outputs) };
};

/** Where to deploy, and the synthesized template. */
export interface DeployOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Create the stack (or reuse the one this emulator already has) and wait until it is complete. */
const createStack = async (cfn: CloudFormationClient, options: DeployOptions): Promise<Stack> => {
  const StackName = options.stackName;
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: JSON.stringify(emulatorTemplate(options.template)),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'AlreadyExistsException') throw error;
  }
  try {
    // The SDK's waiter checks at once (moto creates the stack in about a second), then every second.
    const waiter = { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 1 };
    const { reason } = await waitUntilStackCreateComplete(waiter, { StackName });
    return (reason as DescribeStacksCommandOutput).Stacks![0]!;
  } catch {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName }))).Stacks?.[0];
    const why = `${stack?.StackStatus} ${stack?.StackStatusReason ?? ''}`.trim();
    throw new LocalModeError(`the emulator did not create stack ${StackName}: ${why}`, {
      hint: 'run with --verbose for details, or restart npm start without --endpoint (a fresh moto_server)',
    });
  }
};

/** The logical id a `Ref` or `Fn::GetAtt` names, if the value is one. */
const logicalIdOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

/** An event source mapping's properties in the template: the API's names, references for its ARNs. */
type TemplateMapping = EventSourceMappingConfiguration & {
  EventSourceArn: unknown;
  FunctionName: unknown;
  Enabled?: boolean;
};

/**
 * Deploy the template to the emulator as a stack and describe it for local mode. Idempotent: a stack
 * of that name that exists already is read back as it is.
 */
export const deployLocalStack = async (options: DeployOptions): Promise<LocalStack> => {
  const { endpoint, region, stackName, template } = options;
  const aws = clientConfig({ endpoint, region });
  const [cfn, lambda, sqs, ddb] = [
    new CloudFormationClient(aws),
    new LambdaClient(aws),
    new SQSClient(aws),
    new DynamoDBClient(aws),
  ];
  try {
    const stack = await createStack(cfn, options);
    const accountId = stack.StackId?.split(':')[4] ?? '123456789012';
    // Emulators answer with public queue URLs (`https://sqs.<region>.amazonaws.com/...`): ask by name.
    const localQueueUrl = async (url: string) =>
      (await sqs.send(new GetQueueUrlCommand({ QueueName: url.split('/').at(-1) }))).QueueUrl!;
    // Outputs and function environments alike: the SDK sends to a queue URL's own host.
    const localValue = async (value: string) =>
      /^https:\/\/sqs\.[^/]+\.amazonaws\.com\/\d+\/[^/]+$/.test(value) ? await localQueueUrl(value) : value;
    const localValues = async (entries: [string, string][]) =>
      Object.fromEntries(await Promise.all(entries.map(async ([k, v]) => [k, await localValue(v)] as const)));
    const outputs = await localValues((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue ?? '']));
    const { StackResources = [] } = await cfn.send(
      new DescribeStackResourcesCommand({ StackName: stackName }),
    );
    const physical = new Map(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId!]));
    const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

    const eventSourceOf = async (m: TemplateMapping): Promise<LocalEventSource> => {
      const common = {
        batchSize: m.BatchSize ?? 10,
        maximumBatchingWindowSeconds: m.MaximumBatchingWindowInSeconds ?? 0,
        reportBatchItemFailures: (m.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
        filters: (m.FilterCriteria?.Filters ?? []).map((f) => JSON.parse(f.Pattern ?? '{}') as FilterPattern),
      };
      // The source is a queue (physical id: its URL) or a table (physical id: its name).
      const source = physical.get(logicalIdOf(m.EventSourceArn)) ?? '';
      if (source.includes('/')) {
        const concurrency = m.ScalingConfig?.MaximumConcurrency;
        return {
          kind: 'sqs',
          ...common,
          queueArn: `arn:aws:sqs:${region}:${accountId}:${source.split('/').at(-1)}`,
          queueUrl: await localQueueUrl(source),
          ...(concurrency !== undefined && { maximumConcurrency: concurrency }),
        };
      }
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: source }));
      const startingPosition = m.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON';
      return {
        kind: 'dynamodb',
        ...common,
        batchSize: m.BatchSize ?? 100,
        streamArn: Table!.LatestStreamArn!,
        startingPosition,
        ...(m.TumblingWindowInSeconds !== undefined && { tumblingWindowSeconds: m.TumblingWindowInSeconds }),
      };
    };

    const functions: LocalFunction[] = [];
    for (const [logicalId, r] of ofType('AWS::Lambda::Function')) {
      const name = physical.get(logicalId);
      if (name === undefined) continue;
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      const mappings = ofType('AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties as unknown as TemplateMapping)
        .filter((m) => m.Enabled !== false && logicalIdOf(m.FunctionName) === logicalId);
      const rules = ofType('AWS::Events::Rule').filter(
        ([ruleId, { Properties: p }]) =>
          physical.has(ruleId) &&
          p?.State !== 'DISABLED' &&
          ((p?.Targets ?? []) as { Arn?: unknown }[]).some((t) => logicalIdOf(t.Arn) === logicalId),
      );
      functions.push({
        // `Taskpulse-dev/Taskpulse/IngestFunction/Resource` (the path metadata synthTemplate turns on)
        constructId: String(r.Metadata?.['aws:cdk:path']).split('/').at(-2)!,
        name,
        arn: config.FunctionArn!,
        environment: await localValues(Object.entries(config.Environment?.Variables ?? {})),
        timeoutSeconds: config.Timeout ?? 3,
        eventSources: await Promise.all(mappings.map(eventSourceOf)),
        schedules: rules.map(([ruleId, rule]) => ({
          name: physical.get(ruleId)!,
          arn: `arn:aws:events:${region}:${accountId}:rule/${physical.get(ruleId)}`,
          expression: String(rule.Properties?.ScheduleExpression),
        })),
      });
    }
    return { endpoint, region, stackName, accountId, outputs, functions };
  } finally {
    for (const client of [cfn, lambda, sqs, ddb]) client.destroy();
  }
};
