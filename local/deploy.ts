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
import { clientConfig } from './aws-config';
import { LocalModeError } from './errors';
import type {
  FilterPattern,
  LocalEventSource,
  LocalFunction,
  LocalSchedule,
  LocalStack,
} from './stack-types';
import { type CfnTemplate, emulatorTemplate } from './template';

/**
 * Create the stack in the emulator with its own CloudFormation (`CreateStack` of the synthesized
 * template), then read back what local mode needs: outputs and physical ids (`DescribeStacks`,
 * `DescribeStackResources`) and each function's resolved environment (Lambda API). Two things come
 * from the template, with their references looked up by physical id: the schedules (moto serves
 * EventBridge, but the project has no EventBridge client, and a rule's expression is a literal) and the
 * event source mappings, which the emulator must not have (see `emulatorTemplate`); their settings are
 * literals in the template, only the source, function and destination are references.
 */

/** Where to deploy. */
export interface DeployOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  /** The synthesized template. */
  readonly template: CfnTemplate;
}

/** `Stack/Taskpulse/IngestFunction/Resource` → `IngestFunction`. Pure. */
export const constructIdOf = (path: string | undefined, logicalId: string): string => {
  const segments = (path ?? '').split('/').filter((s) => s !== '' && s !== 'Resource' && s !== 'Default');
  return segments.length > 1 ? segments.at(-1)! : logicalId;
};

/** Create the stack (or reuse the one this emulator already has) and wait until it is complete. */
const createStack = async (cfn: CloudFormationClient, options: DeployOptions): Promise<Stack> => {
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: options.stackName,
        TemplateBody: JSON.stringify(emulatorTemplate(options.template)),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'AlreadyExistsException') throw error;
  }
  try {
    // The SDK's waiter checks at once (moto creates the stack in about a second), then every second.
    const { reason } = await waitUntilStackCreateComplete(
      { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 1 },
      { StackName: options.stackName },
    );
    return (reason as DescribeStacksCommandOutput).Stacks![0]!;
  } catch {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: options.stackName }));
    const status = `${Stacks?.[0]?.StackStatus} ${Stacks?.[0]?.StackStatusReason ?? ''}`.trim();
    throw new LocalModeError(`the emulator did not create stack ${options.stackName}: ${status}`, {
      hint: 'run with --verbose for details, or restart npm start without --endpoint (a fresh moto_server)',
    });
  }
};

/** Emulators return public queue URLs (`https://sqs.<region>.amazonaws.com/...`): ask by name instead. */
const localQueueUrl = async (sqs: SQSClient, queueArn: string): Promise<string> => {
  const [, , , , account, name] = queueArn.split(':');
  const { QueueUrl } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
  );
  return QueueUrl!;
};

const PUBLIC_QUEUE_URL = /^https:\/\/sqs\.[^/]+\.amazonaws\.com\/(\d+)\/([^/]+)$/;

const toEventSource = async (
  m: EventSourceMappingConfiguration,
  sqs: SQSClient,
): Promise<LocalEventSource> => {
  const common = {
    batchSize: m.BatchSize ?? 10,
    maximumBatchingWindowSeconds: m.MaximumBatchingWindowInSeconds ?? 0,
    reportBatchItemFailures: (m.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    filters: (m.FilterCriteria?.Filters ?? []).map((f) => JSON.parse(f.Pattern ?? '{}') as FilterPattern),
  };
  const arn = m.EventSourceArn!;
  if (arn.startsWith('arn:aws:sqs:')) {
    const concurrency = m.ScalingConfig?.MaximumConcurrency;
    return {
      kind: 'sqs',
      ...common,
      queueArn: arn,
      queueUrl: await localQueueUrl(sqs, arn),
      ...(concurrency !== undefined && { maximumConcurrency: concurrency }),
    };
  }
  return {
    kind: 'dynamodb',
    ...common,
    batchSize: m.BatchSize ?? 100,
    streamArn: arn,
    startingPosition: m.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
    ...(m.TumblingWindowInSeconds !== undefined && { tumblingWindowSeconds: m.TumblingWindowInSeconds }),
  };
};

/** The logical id a `Ref` or `Fn::GetAtt` names, if the value is one. */
const logicalIdOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

/**
 * Deploy the template to the emulator as a stack and describe it for local mode. Idempotent: a stack
 * of that name that exists already is read back as it is.
 */
export const deployLocalStack = async (options: DeployOptions): Promise<LocalStack> => {
  const aws = clientConfig({ endpoint: options.endpoint, region: options.region });
  const cfn = new CloudFormationClient(aws);
  const lambda = new LambdaClient(aws);
  const sqs = new SQSClient(aws);
  const ddb = new DynamoDBClient(aws);
  try {
    const stack = await createStack(cfn, options);
    const accountId = stack.StackId?.split(':')[4] ?? '123456789012';
    const outputs: Record<string, string> = {};
    for (const o of stack.Outputs ?? []) {
      const match = PUBLIC_QUEUE_URL.exec(o.OutputValue ?? '');
      outputs[o.OutputKey!] = match
        ? await localQueueUrl(sqs, `arn:aws:sqs:${options.region}:${match[1]}:${match[2]}`)
        : o.OutputValue!;
    }
    const { StackResources = [] } = await cfn.send(
      new DescribeStackResourcesCommand({ StackName: options.stackName }),
    );
    const physical = new Map(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId!]));
    const ofType = (type: string) =>
      Object.entries(options.template.Resources).filter(([, r]) => r.Type === type);
    /** The ARN a reference names: a queue's (physical id: its URL) or a table's stream. */
    const arnOf = async (value: unknown): Promise<string> => {
      const id = physical.get(logicalIdOf(value) ?? '');
      if (id === undefined) return String(value);
      if (id.includes('/')) return `arn:aws:sqs:${options.region}:${accountId}:${id.split('/').at(-1)}`;
      return (await ddb.send(new DescribeTableCommand({ TableName: id }))).Table!.LatestStreamArn!;
    };
    const functions: LocalFunction[] = [];
    for (const [logicalId, r] of ofType('AWS::Lambda::Function')) {
      const name = physical.get(logicalId);
      if (name === undefined) continue;
      const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      type Mapping = EventSourceMappingConfiguration & { FunctionName: unknown; Enabled?: boolean };
      const mappings = ofType('AWS::Lambda::EventSourceMapping')
        .map(([, m]) => m.Properties as unknown as Mapping)
        .filter((m) => m.Enabled !== false && logicalIdOf(m.FunctionName) === logicalId);
      const schedules = ofType('AWS::Events::Rule').flatMap(([ruleId, rule]): LocalSchedule[] => {
        const ruleName = physical.get(ruleId);
        const targets = (rule.Properties?.Targets as { Arn?: unknown }[] | undefined) ?? [];
        if (ruleName === undefined || rule.Properties?.State === 'DISABLED') return [];
        if (!targets.some((t) => logicalIdOf(t.Arn) === logicalId)) return [];
        const arn = `arn:aws:events:${options.region}:${accountId}:rule/${ruleName}`;
        return [{ name: ruleName, arn, expression: String(rule.Properties?.ScheduleExpression) }];
      });
      functions.push({
        constructId: constructIdOf(r.Metadata?.['aws:cdk:path'] as string | undefined, logicalId),
        name,
        arn: config.FunctionArn!,
        environment: config.Environment?.Variables ?? {},
        timeoutSeconds: config.Timeout ?? 3,
        eventSources: await Promise.all(
          mappings.map(async (m) =>
            toEventSource({ ...m, EventSourceArn: await arnOf(m.EventSourceArn) }, sqs),
          ),
        ),
        schedules,
      });
    }
    return {
      endpoint: options.endpoint,
      region: options.region,
      stackName: options.stackName,
      accountId,
      outputs,
      functions,
    };
  } finally {
    cfn.destroy();
    lambda.destroy();
    sqs.destroy();
    ddb.destroy();
  }
};
