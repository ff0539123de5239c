/**
 * What local mode knows about a stack once the emulator's CloudFormation has created it (see
 * `deployLocalStack`): physical names, outputs, and each function with its configuration, event source
 * mappings and schedules.
 */

/** An event-filtering pattern of an event source mapping (`FilterCriteria.Filters[].Pattern`, parsed). */
export type FilterPattern = Record<string, unknown>;

/** Settings shared by both kinds of event source mapping. */
interface EventSourceBase {
  /** Records per invocation at most. */
  readonly batchSize: number;
  /** How long a batch is gathered at most, seconds (0: invoke as soon as records are there). */
  readonly maximumBatchingWindowSeconds: number;
  /** `FunctionResponseTypes` includes `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
  /** A record is delivered when it matches any pattern (all when empty). */
  readonly filters: readonly FilterPattern[];
}

/** An SQS event source mapping; `maximumConcurrency` (`ScalingConfig`) undefined means unbounded. */
export interface SqsEventSource extends EventSourceBase {
  readonly kind: 'sqs';
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly maximumConcurrency?: number;
}

/** A DynamoDB stream event source mapping; `tumblingWindowSeconds` 0 or absent means no window. */
export interface DynamoStreamEventSource extends EventSourceBase {
  readonly kind: 'dynamodb';
  readonly streamArn: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly tumblingWindowSeconds?: number;
}

/** An event source mapping local mode polls. */
export type LocalEventSource = SqsEventSource | DynamoStreamEventSource;

/** An `AWS::Events::Rule` schedule that invokes a function (`name`: the rule's physical name). */
export interface LocalSchedule {
  readonly name: string;
  readonly arn: string;
  /** `rate(5 minutes)` or `cron(30 0 * * ? *)` (UTC). */
  readonly expression: string;
}

/** A Lambda function of the stack, to be run in-process. */
export interface LocalFunction {
  /** Construct id from the template's `aws:cdk:path`, e.g. `IngestFunction`. */
  readonly constructId: string;
  /** Physical function name. */
  readonly name: string;
  readonly arn: string;
  /** Resolved environment variables, as the emulator's Lambda API returns them. */
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly eventSources: readonly LocalEventSource[];
  readonly schedules: readonly LocalSchedule[];
}

/** The stack as created in the emulator. */
export interface LocalStack {
  readonly endpoint: string;
  readonly region: string;
  readonly stackName: string;
  readonly accountId: string;
  /** Stack outputs (queue URLs pointed at the endpoint); keys are the output names of `OUTPUT`. */
  readonly outputs: Record<string, string>;
  readonly functions: readonly LocalFunction[];
}
