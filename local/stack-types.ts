/**
 * What local mode knows about a stack once its resources exist in the emulator: physical names,
 * resolved outputs, and the Lambda functions with their event sources and schedules, all read from
 * the synthesized template.
 */

/** An event-filtering pattern of an event source mapping (`FilterCriteria.Filters[].Pattern`, parsed). */
export type FilterPattern = Record<string, unknown>;

/** An SQS queue created from an `AWS::SQS::Queue` resource. */
export interface LocalQueue {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  /** The queue's redrive policy, with the dead-letter queue's URL resolved. */
  readonly redrivePolicy?: {
    readonly deadLetterTargetArn: string;
    readonly deadLetterQueueUrl?: string;
    readonly maxReceiveCount: number;
  };
}

/** A DynamoDB table created from an `AWS::DynamoDB::Table` resource. */
export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Present when the table has a stream. */
  readonly streamArn?: string;
}

/** An SNS topic created from an `AWS::SNS::Topic` resource. */
export interface LocalTopic {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** Settings shared by both kinds of event source mapping. */
interface EventSourceBase {
  /** Logical id of the `AWS::Lambda::EventSourceMapping`. */
  readonly logicalId: string;
  /** Records per invocation at most. */
  readonly batchSize: number;
  /** How long a batch is gathered at most, seconds (0: invoke as soon as records are there). */
  readonly maximumBatchingWindowSeconds: number;
  /** `FunctionResponseTypes` includes `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
  /** Parsed filter patterns; a record is delivered when it matches any (all when empty). */
  readonly filters: readonly FilterPattern[];
  readonly enabled: boolean;
}

/** An SQS event source mapping. */
export interface SqsEventSource extends EventSourceBase {
  readonly kind: 'sqs';
  readonly queueArn: string;
  readonly queueUrl: string;
  /** `ScalingConfig.MaximumConcurrency`: concurrent batches at most. Undefined means unbounded. */
  readonly maximumConcurrency?: number;
}

/** A DynamoDB stream event source mapping. */
export interface DynamoStreamEventSource extends EventSourceBase {
  readonly kind: 'dynamodb';
  readonly streamArn: string;
  readonly tableName: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Concurrent batches per shard (local mode always processes one batch per shard at a time). */
  readonly parallelizationFactor: number;
  /** Retries of a failing batch before it goes to the on-failure destination; -1 retries forever. */
  readonly maximumRetryAttempts: number;
  readonly bisectBatchOnFunctionError: boolean;
  /** ARN of the on-failure destination (an SQS queue or SNS topic), if any. */
  readonly onFailureDestinationArn?: string;
}

/** An event source mapping local mode can poll. */
export type LocalEventSource = SqsEventSource | DynamoStreamEventSource;

/** A schedule that invokes a function: an `AWS::Events::Rule` or `AWS::Scheduler::Schedule`. */
export interface LocalSchedule {
  readonly logicalId: string;
  readonly kind: 'events-rule' | 'scheduler';
  /** `rate(5 minutes)`, `cron(0/5 * * * ? *)` or `at(...)`. */
  readonly expression: string;
  /** IANA time zone of a cron expression (Scheduler only). @default 'UTC' */
  readonly timezone?: string;
  /** Constant input of the target, as sent (a JSON string); undefined means the scheduled event. */
  readonly input?: string;
  readonly enabled: boolean;
}

/** A Lambda function of the template, to be run in-process. */
export interface LocalFunction {
  readonly logicalId: string;
  /** Last meaningful segment of the construct path, e.g. `IngestFunction`. */
  readonly constructId: string;
  /** Full `aws:cdk:path`, when the template has path metadata. */
  readonly constructPath?: string;
  /** The name the function would have (`<stackName>-<LogicalId>`). */
  readonly name: string;
  readonly arn: string;
  /** Resolved environment variables. */
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly eventSources: readonly LocalEventSource[];
  readonly schedules: readonly LocalSchedule[];
}

/** The stack as created locally. */
export interface LocalStack {
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  readonly accountId: string;
  /** Template outputs, resolved; keys are the output names of `OUTPUT`. */
  readonly outputs: Record<string, string>;
  readonly functions: readonly LocalFunction[];
  /** Created queues by logical id. */
  readonly queues: Readonly<Record<string, LocalQueue>>;
  /** Created tables by logical id. */
  readonly tables: Readonly<Record<string, LocalTable>>;
  /** Created topics by logical id. */
  readonly topics: Readonly<Record<string, LocalTopic>>;
  /** Resources not created locally (IAM, log groups, alarms...), by logical id and type. */
  readonly skipped: readonly { readonly logicalId: string; readonly type: string }[];
}
