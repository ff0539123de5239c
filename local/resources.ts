import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsCredentialIdentity, clientConfig } from './aws-config';
import { describeFunctions } from './functions';
import { evaluateCondition, type ResolveContext, referencedIds, resolveValue } from './intrinsics';
import { physicalName } from './physical-names';
import type { LocalQueue, LocalStack, LocalTable, LocalTopic } from './stack-types';
import type { CfnResource, CfnTemplate } from './template';

/** The shapes of a locally created stack (re-exported so callers import one module). */
export type * from './stack-types';

/**
 * Create the resources of a synthesized template in an emulator (moto_server, LocalStack) over the
 * wire: queues, tables and topics get the template's settings, so local and deployed resources cannot
 * drift apart. Idempotent: run it again against the same emulator and stack name and it finds them.
 */

/** Where to create the resources and how to name them. */
export interface LocalResourceOptions {
  readonly endpoint: string;
  readonly region: string;
  /** Prefix of every physical name (`<stackName>-<LogicalId>`). */
  readonly stackName: string;
  /** @default dummies unless the environment has credentials */
  readonly credentials?: AwsCredentialIdentity;
  /** Receives debug notes (skipped resource types, unsupported settings). @default ignore */
  readonly log?: (line: string) => void;
}

/** Raised when an existing local resource conflicts with the template (e.g. different table keys). */
export class LocalResourceError extends Error {
  override readonly name = 'LocalResourceError';
}

/** Types created in the emulator. */
const CREATED_TYPES = new Set([
  'AWS::SQS::Queue',
  'AWS::DynamoDB::Table',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
]);

/** Types that have no local counterpart and need none (permissions, logs, monitoring). */
const IGNORED_TYPES = new Set([
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::Logs::LogGroup',
  'AWS::Lambda::Permission',
  'AWS::CDK::Metadata',
]);

/** Types whose settings live in other local objects (functions, pollers, timers). */
const DESCRIBED_TYPES = new Set([
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Events::Rule',
  'AWS::Scheduler::Schedule',
]);

const DEFAULT_ACCOUNT = '123456789012';

const accountOf = (arn: string): string | undefined => arn.split(':')[4] || undefined;

const serviceOf = (type: string): string => (type.split('::')[1] ?? 'local').toLowerCase();

/** Resources in an order where every resource comes after those it references. */
export const creationOrder = (resources: Record<string, CfnResource>): string[] => {
  const ids = Object.keys(resources);
  const deps = new Map<string, Set<string>>();
  for (const id of ids) {
    const r = resources[id]!;
    const refs = referencedIds(r.Properties ?? {});
    for (const d of [r.DependsOn ?? []].flat()) refs.add(d);
    deps.set(id, new Set([...refs].filter((d) => d !== id && d in resources)));
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new LocalResourceError(`circular reference through ${id}`);
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) visit(d);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id);
  return order;
};

const str = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);

/** String attributes, dropping the undefined ones. */
const attributes = (entries: Record<string, unknown>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) {
    const s = str(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
};

const known =
  (values: Record<string, string>) =>
  (attribute: string): string | undefined =>
    values[attribute];

/** The mutable registry the resolver reads while resources are being created. */
interface Created {
  accountId: string;
  readonly refs: Map<string, string>;
  /** `Fn::GetAtt` lookups by logical id. */
  readonly atts: Map<string, (attribute: string) => string | undefined>;
  readonly queues: Record<string, LocalQueue>;
  readonly tables: Record<string, LocalTable>;
  readonly topics: Record<string, LocalTopic>;
}

const SQS_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'SqsManagedSseEnabled',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedrivePolicy',
  'RedriveAllowPolicy',
] as const;

const createQueue = async (
  sqs: SQSClient,
  logicalId: string,
  props: Record<string, unknown>,
  stackName: string,
  created: Created,
): Promise<void> => {
  const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
  const name =
    str(props.QueueName) ?? physicalName(stackName, logicalId, 'AWS::SQS::Queue', fifo ? '.fifo' : '');
  const attrs = attributes(Object.fromEntries(SQS_ATTRIBUTES.map((k) => [k, props[k]])));
  let url: string;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    // Reuse the queue, bringing its settings in line with the template.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attrs }));
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
    const made = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { ...attrs, ...(fifo && { FifoQueue: 'true' }) },
      }),
    );
    url = made.QueueUrl!;
  }
  const got = (
    await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['QueueArn', 'VisibilityTimeout', 'RedrivePolicy'],
      }),
    )
  ).Attributes!;
  const arn = got.QueueArn!;
  created.accountId = accountOf(arn) ?? created.accountId;
  const redrive = got.RedrivePolicy ? (JSON.parse(got.RedrivePolicy) as Record<string, unknown>) : undefined;
  const dlqArn = redrive ? String(redrive.deadLetterTargetArn) : undefined;
  created.queues[logicalId] = {
    logicalId,
    name,
    url,
    arn,
    visibilityTimeoutSeconds: Number(got.VisibilityTimeout ?? 30),
    ...(redrive && {
      redrivePolicy: {
        deadLetterTargetArn: dlqArn!,
        deadLetterQueueUrl: Object.values(created.queues).find((q) => q.arn === dlqArn)?.url,
        maxReceiveCount: Number(redrive.maxReceiveCount),
      },
    }),
  };
  created.refs.set(logicalId, url);
  created.atts.set(logicalId, known({ Arn: arn, QueueName: name, QueueUrl: url }));
};

const tableInput = (name: string, props: Record<string, unknown>): CreateTableCommandInput => {
  const gsis = props.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined;
  const lsis = props.LocalSecondaryIndexes as Record<string, unknown>[] | undefined;
  const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
  const sse = props.SSESpecification as
    | { SSEEnabled?: boolean; SSEType?: string; KMSMasterKeyId?: string }
    | undefined;
  const pickIndex = (i: Record<string, unknown>) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection,
    ...(i.ProvisionedThroughput !== undefined && { ProvisionedThroughput: i.ProvisionedThroughput }),
  });
  return {
    TableName: name,
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode: (str(props.BillingMode) ?? 'PROVISIONED') as CreateTableCommandInput['BillingMode'],
    ...(props.ProvisionedThroughput !== undefined && {
      ProvisionedThroughput: props.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'],
    }),
    ...(gsis?.length && {
      GlobalSecondaryIndexes: gsis.map(pickIndex) as CreateTableCommandInput['GlobalSecondaryIndexes'],
    }),
    ...(lsis?.length && {
      LocalSecondaryIndexes: lsis.map(pickIndex) as CreateTableCommandInput['LocalSecondaryIndexes'],
    }),
    ...(stream?.StreamViewType !== undefined && {
      StreamSpecification: {
        StreamEnabled: true,
        StreamViewType: stream.StreamViewType as 'NEW_AND_OLD_IMAGES',
      },
    }),
    ...(sse !== undefined && {
      SSESpecification: {
        Enabled: sse.SSEEnabled === true,
        ...(sse.SSEType !== undefined && { SSEType: sse.SSEType as 'KMS' }),
        ...(sse.KMSMasterKeyId !== undefined && { KMSMasterKeyId: sse.KMSMasterKeyId }),
      },
    }),
    ...(props.TableClass !== undefined && { TableClass: props.TableClass as 'STANDARD' }),
  };
};

const sameKeys = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

const createTable = async (
  ddb: DynamoDBClient,
  logicalId: string,
  props: Record<string, unknown>,
  stackName: string,
  created: Created,
  log: (line: string) => void,
): Promise<void> => {
  const name = str(props.TableName) ?? physicalName(stackName, logicalId, 'AWS::DynamoDB::Table');
  const input = tableInput(name, props);
  let table: TableDescription;
  try {
    table = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!;
    if (!sameKeys(table.KeySchema, input.KeySchema)) {
      throw new LocalResourceError(
        `table ${name} exists with key schema ${JSON.stringify(table.KeySchema)}, the template wants ${JSON.stringify(input.KeySchema)}; use another stack name or restart the emulator`,
      );
    }
    const indexNames = (list?: { IndexName?: string }[]) => (list ?? []).map((i) => i.IndexName).sort();
    if (!sameKeys(indexNames(table.GlobalSecondaryIndexes), indexNames(input.GlobalSecondaryIndexes))) {
      log(
        `${logicalId}: existing table ${name} has other indexes than the template; restart the emulator to recreate it`,
      );
    }
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    table = (await ddb.send(new CreateTableCommand(input))).TableDescription!;
  }
  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.AttributeName !== undefined) {
    const current = (await ddb.send(new DescribeTimeToLiveCommand({ TableName: name })))
      .TimeToLiveDescription;
    const wanted = ttl.Enabled !== false;
    const enabled = current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING';
    if (enabled !== wanted || (wanted && current?.AttributeName !== ttl.AttributeName)) {
      await ddb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: wanted },
        }),
      );
    }
    log(`${logicalId}: TTL on ${ttl.AttributeName} is recorded; the emulator does not expire items`);
  }
  const pitr = props.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
  if (pitr?.PointInTimeRecoveryEnabled !== undefined) {
    await ddb.send(
      new UpdateContinuousBackupsCommand({
        TableName: name,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: pitr.PointInTimeRecoveryEnabled },
      }),
    );
  }
  const arn = table.TableArn!;
  created.accountId = accountOf(arn) ?? created.accountId;
  const streamArn = table.LatestStreamArn;
  created.tables[logicalId] = { logicalId, name, arn, ...(streamArn !== undefined && { streamArn }) };
  created.refs.set(logicalId, name);
  created.atts.set(
    logicalId,
    known({ Arn: arn, TableName: name, ...(streamArn !== undefined && { StreamArn: streamArn }) }),
  );
};

const TOPIC_ATTRIBUTES = [
  'DisplayName',
  'KmsMasterKeyId',
  'ContentBasedDeduplication',
  'SignatureVersion',
  'TracingConfig',
  'DeliveryStatusLogging',
] as const;

const subscribe = async (sns: SNSClient, topicArn: string, props: Record<string, unknown>) => {
  const subscription = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: str(props.Protocol)!,
      Endpoint: str(props.Endpoint),
      ReturnSubscriptionArn: true,
      Attributes: attributes({
        FilterPolicy: props.FilterPolicy,
        FilterPolicyScope: props.FilterPolicyScope,
        RawMessageDelivery: props.RawMessageDelivery,
        RedrivePolicy: props.RedrivePolicy,
        DeliveryPolicy: props.DeliveryPolicy,
      }),
    }),
  );
  return subscription.SubscriptionArn!;
};

const createTopic = async (
  sns: SNSClient,
  logicalId: string,
  props: Record<string, unknown>,
  stackName: string,
  created: Created,
): Promise<void> => {
  const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
  const name =
    str(props.TopicName) ?? physicalName(stackName, logicalId, 'AWS::SNS::Topic', fifo ? '.fifo' : '');
  const attrs = attributes(Object.fromEntries(TOPIC_ATTRIBUTES.map((k) => [k, props[k]])));
  const arn = (
    await sns.send(
      new CreateTopicCommand({ Name: name, Attributes: { ...attrs, ...(fifo && { FifoTopic: 'true' }) } }),
    )
  ).TopicArn!;
  for (const inline of (props.Subscription as Record<string, unknown>[] | undefined) ?? []) {
    await subscribe(sns, arn, inline);
  }
  created.accountId = accountOf(arn) ?? created.accountId;
  created.topics[logicalId] = { logicalId, name, arn };
  created.refs.set(logicalId, arn);
  created.atts.set(logicalId, known({ TopicArn: arn, TopicName: name }));
};

/** How the ARN of a resource that is not created looks, for the types templates commonly reference. */
const ARN_FORMATS: Record<string, { service: string; global?: boolean; resource: (name: string) => string }> =
  {
    'AWS::Lambda::Function': { service: 'lambda', resource: (n) => `function:${n}` },
    'AWS::Events::Rule': { service: 'events', resource: (n) => `rule/${n}` },
    'AWS::Scheduler::Schedule': { service: 'scheduler', resource: (n) => `schedule/default/${n}` },
    'AWS::KMS::Key': { service: 'kms', resource: (n) => `key/${n}` },
    'AWS::IAM::Role': { service: 'iam', global: true, resource: (n) => `role/${n}` },
    'AWS::Logs::LogGroup': { service: 'logs', resource: (n) => `log-group:${n}:*` },
    'AWS::CloudWatch::Alarm': { service: 'cloudwatch', resource: (n) => `alarm:${n}` },
  };

/** The naming properties of a resource that is not created; whatever does not resolve is left out. */
const namingProps = (resource: CfnResource, ctx: ResolveContext): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const key of ['FunctionName', 'Name']) {
    const value = resource.Properties?.[key];
    if (value === undefined) continue;
    try {
      out[key] = resolveValue(value, ctx);
    } catch {
      // a name that cannot be resolved locally falls back to `<stackName>-<LogicalId>`
    }
  }
  return out;
};

/** Physical ids and ARNs of resources local mode does not create, so references to them still resolve. */
const registerPlaceholder = (
  logicalId: string,
  type: string,
  props: Record<string, unknown>,
  ctx: { stackName: string; region: string },
  created: Created,
): void => {
  const explicit = str(props.FunctionName ?? props.Name);
  const name = explicit ?? physicalName(ctx.stackName, logicalId, type);
  const format = ARN_FORMATS[type];
  const arn =
    format === undefined
      ? `arn:aws:${serviceOf(type)}:${ctx.region}:${created.accountId}:${name}`
      : `arn:aws:${format.service}:${format.global ? '' : ctx.region}:${created.accountId}:${format.resource(name)}`;
  created.refs.set(logicalId, name);
  // Any attribute resolves: ARNs to the synthetic ARN, the rest (Name, KeyId...) to the name.
  created.atts.set(logicalId, (attr) => (attr.endsWith('Arn') ? arn : name));
};

/**
 * Create every queue, table, topic and subscription of `template` in the emulator at `endpoint`, and
 * describe the functions with their resolved environment, event sources and schedules.
 */
export const createLocalResources = async (
  template: CfnTemplate,
  options: LocalResourceOptions,
): Promise<LocalStack> => {
  const log = options.log ?? (() => {});
  const aws = clientConfig(options);
  const sqs = new SQSClient(aws);
  const ddb = new DynamoDBClient(aws);
  const sns = new SNSClient(aws);
  const created: Created = {
    accountId: DEFAULT_ACCOUNT,
    refs: new Map(),
    atts: new Map(),
    queues: {},
    tables: {},
    topics: {},
  };
  const ctx: ResolveContext = {
    region: options.region,
    stackName: options.stackName,
    get accountId() {
      return created.accountId;
    },
    ref: (id) => created.refs.get(id),
    getAtt: (id, attr) => created.atts.get(id)?.(attr),
    conditions: template.Conditions ?? {},
  };
  const skipped: { logicalId: string; type: string }[] = [];
  try {
    for (const logicalId of creationOrder(template.Resources)) {
      const resource = template.Resources[logicalId]!;
      if (resource.Condition !== undefined && !evaluateCondition(resource.Condition, ctx)) continue;
      const { Type: type } = resource;
      const props = CREATED_TYPES.has(type)
        ? (resolveValue(resource.Properties ?? {}, ctx) as Record<string, unknown>)
        : namingProps(resource, ctx);
      switch (type) {
        case 'AWS::SQS::Queue':
          await createQueue(sqs, logicalId, props, options.stackName, created);
          break;
        case 'AWS::DynamoDB::Table':
          await createTable(ddb, logicalId, props, options.stackName, created, log);
          break;
        case 'AWS::SNS::Topic':
          await createTopic(sns, logicalId, props, options.stackName, created);
          break;
        case 'AWS::SNS::Subscription': {
          const arn = await subscribe(sns, str(props.TopicArn)!, props);
          created.refs.set(logicalId, arn);
          created.atts.set(logicalId, known({ Arn: arn }));
          break;
        }
        default:
          registerPlaceholder(logicalId, type, props, options, created);
          if (!DESCRIBED_TYPES.has(type)) {
            skipped.push({ logicalId, type });
            if (!IGNORED_TYPES.has(type)) log(`${logicalId}: ${type} has no local counterpart; skipped`);
          }
      }
    }
    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[name] = String(resolveValue(output.Value, ctx));
      } catch (error) {
        log(`output ${name} not resolved: ${(error as Error).message}`);
      }
    }
    return {
      endpoint: options.endpoint,
      region: options.region,
      stackName: options.stackName,
      accountId: created.accountId,
      outputs,
      functions: describeFunctions(template, ctx, created, log),
      queues: created.queues,
      tables: created.tables,
      topics: created.topics,
      skipped,
    };
  } finally {
    sqs.destroy();
    ddb.destroy();
    sns.destroy();
  }
};
