import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULTS, ENV } from '../lambdas/shared/names/env';
import { ATTR, EXECUTION_PK_PREFIX, INDEX } from '../lambdas/shared/names/keys';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { AGGREGATE_MAX_RECORD_AGE, AGGREGATE_TUMBLING_WINDOW } from './aggregate-stream';
import { TaskpulseAlarmRoute } from './alarm-route';
import {
  ALERTING_DEFAULTS,
  alertingPropsOf,
  TaskpulseAlerting,
  type TaskpulseAlertingProps,
} from './alerting';
import { bindTable, TABLE_ACCESS } from './grants';
import { functionsIn, TaskpulseMonitoring } from './monitoring/monitoring';
import type { MonitoringOptions } from './monitoring/options';
import { type ReadApiOptions, TaskpulseReadApi } from './read-api';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Path of a Lambda entry file under `lambdas/`. */
const lambdaEntry = (relative: string): string => path.join(here, '..', 'lambdas', relative);

/** Tuning of the SQS → ingest event source mapping. */
export interface IngestOptions {
  /** Messages per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long the mapping gathers a batch. @default Duration.seconds(2) */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent ingest invocations at most (protects DynamoDB and downstream). @default 20 */
  readonly maxConcurrency?: number;
  /** Ingest function timeout; the queue's visibility timeout is 6× this. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
}

/** Props of the Taskpulse construct. Every prop has a default; caller values always win. */
export interface TaskpulseProps extends TaskpulseAlertingProps {
  /** Stage name, shown in alerts and dashboard, and part of the stack name of the standalone app. @default 'dev' */
  readonly stage?: string;
  /** How long execution history and quarantined messages are kept. @default Duration.days(30) */
  readonly historyRetention?: Duration;
  /** How long time-bucket aggregates are kept (rollups are permanent). @default Duration.days(400) */
  readonly aggregateRetention?: Duration;
  /**
   * Dimension keys that get their own aggregates, rollups, alerts and CloudWatch metric series
   * (e.g. `['marketplace']`). Keys not listed never become metric dimensions. @default []
   */
  readonly aggregateDimensions?: readonly string[];
  /** Receives before a message goes to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** @default see IngestOptions */
  readonly ingest?: IngestOptions;
  /** What happens to tables and queues when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Lambda log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Email addresses subscribed to the alert topic (each confirms by email). @default [] */
  readonly alertEmails?: readonly string[];
  /** CloudWatch namespace of the task metrics (the `Stage` dimension separates stages). @default 'Taskpulse' */
  readonly metricsNamespace?: string;
  /** Dashboard task types, runbook link and alarm thresholds. @default see MonitoringOptions */
  readonly monitoring?: MonitoringOptions;
  /** The read API (IAM auth, optional bearer token for /metrics and /health, throttling). @default see ReadApiOptions */
  readonly api?: ReadApiOptions;
}

/** Defaults of TaskpulseProps, applied under the caller's props (never over them). */
const TASKPULSE_DEFAULTS = {
  stage: 'dev',
  historyRetention: Duration.days(DEFAULTS.historyTtlDays),
  aggregateRetention: Duration.days(DEFAULTS.aggregateTtlDays),
  aggregateDimensions: [] as readonly string[],
  maxReceiveCount: 5,
  removalPolicy: RemovalPolicy.RETAIN,
  logRetention: logs.RetentionDays.ONE_MONTH,
  alertEmails: [] as readonly string[],
  ...ALERTING_DEFAULTS,
  metricsNamespace: DEFAULTS.metricsNamespace,
  monitoring: {} as MonitoringOptions,
  api: {} as ReadApiOptions,
  ingest: {
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(2),
    maxConcurrency: 20,
    timeout: Duration.seconds(30),
    memorySize: 1024,
  },
} as const;

/**
 * Taskpulse: events queue → ingest Lambda → history table → stream → aggregator Lambda → state table.
 * Add it to any CDK app; the standalone app in `infra/app.ts` uses it too.
 */
export class Taskpulse extends Construct {
  readonly stage: string;
  readonly eventsQueue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly historyTable: dynamodb.Table;
  readonly stateTable: dynamodb.Table;
  readonly ingestFunction: nodejs.NodejsFunction;
  readonly aggregateFunction: nodejs.NodejsFunction;
  /** Receives stream records the aggregator could not apply before they expired. */
  readonly aggregateFailureQueue: sqs.Queue;
  /**
   * Alerts from the monitor and (formatted, with the same message attributes) from CloudWatch alarms:
   * subscribe email, SQS, HTTPS or Lambda here.
   */
  readonly alertTopic: sns.Topic;
  /** Customer-managed key of the alert and alarm topics (CloudWatch alarms of this account may use it). */
  readonly alertKey: kms.Key;
  /** CloudWatch alarms → internal alarm topic → formatter Lambda → alert topic. */
  readonly alarmRoute: TaskpulseAlarmRoute;
  /** Dashboard, alarms and metric factory (created last, so it sees every function). */
  readonly monitoring: TaskpulseMonitoring;
  /** Daily rollups and the alert monitor (RollupFunction, MonitorFunction and their schedules). */
  readonly alerting: TaskpulseAlerting;
  /** The read API (API Gateway, ApiFunction, optional token authorizer). */
  readonly readApi: TaskpulseReadApi;
  protected readonly props: Required<Omit<TaskpulseProps, 'ingest'>> & { ingest: Required<IngestOptions> };

  constructor(scope: Construct, id: string, props: TaskpulseProps = {}) {
    super(scope, id);
    this.props = {
      ...TASKPULSE_DEFAULTS,
      ...props,
      ingest: { ...TASKPULSE_DEFAULTS.ingest, ...props.ingest },
    };
    const p = this.props;
    this.stage = p.stage;

    // Both tables: on demand, encrypted, point-in-time recovery, TTL on `expiresAt`.
    const tableProps: dynamodb.TableProps = {
      partitionKey: { name: ATTR.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.sk, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ATTR.expiresAt,
      removalPolicy: p.removalPolicy,
    };
    this.historyTable = new dynamodb.Table(this, 'HistoryTable', {
      ...tableProps,
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.historyTable.addGlobalSecondaryIndex({
      indexName: INDEX.byType,
      partitionKey: { name: ATTR.gsi1pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.gsi1sk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    this.historyTable.addGlobalSecondaryIndex({
      indexName: INDEX.byStatus,
      partitionKey: { name: ATTR.gsi2pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.gsi2sk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    // Sparse: only executions that carry a jobId are indexed (the job view of the read API).
    this.historyTable.addGlobalSecondaryIndex({
      indexName: INDEX.byJob,
      partitionKey: { name: ATTR.jobId, type: dynamodb.AttributeType.STRING },
      sortKey: { name: ATTR.pk, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });

    this.stateTable = new dynamodb.Table(this, 'StateTable', tableProps);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: p.removalPolicy,
    });
    this.eventsQueue = new sqs.Queue(this, 'EventsQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(p.ingest.timeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: p.maxReceiveCount },
      removalPolicy: p.removalPolicy,
    });
    this.aggregateFailureQueue = new sqs.Queue(this, 'AggregateFailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: p.removalPolicy,
    });

    this.alertKey = new kms.Key(this, 'AlertKey', {
      enableKeyRotation: true,
      description: 'Encrypts the Taskpulse alert topic',
      removalPolicy: p.removalPolicy,
    });
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: `Taskpulse alerts (${p.stage})`,
      masterKey: this.alertKey,
      enforceSSL: true,
    });
    for (const email of p.alertEmails)
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email));

    this.ingestFunction = this.createFunction('IngestFunction', 'ingest/handler.ts', {
      timeout: p.ingest.timeout,
      memorySize: p.ingest.memorySize,
      description: 'Taskpulse ingest: SQS task events to execution history',
    });
    bindTable(this.ingestFunction, this.historyTable, ENV.historyTable, TABLE_ACCESS.ingest.history);
    this.ingestFunction.addEnvironment(ENV.historyTtlDays, String(p.historyRetention.toDays()));
    // EMF metrics need no IAM grant: the function writes them to its own log group.
    this.ingestFunction.addEnvironment(ENV.metricsNamespace, p.metricsNamespace);
    this.ingestFunction.addEnvironment(ENV.aggregateDimensions, p.aggregateDimensions.join(','));
    this.ingestFunction.addEventSource(
      new sources.SqsEventSource(this.eventsQueue, {
        batchSize: p.ingest.batchSize,
        maxBatchingWindow: p.ingest.maxBatchingWindow,
        maxConcurrency: p.ingest.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    this.aggregateFunction = this.createFunction('AggregateFunction', 'aggregate/handler.ts', {
      timeout: Duration.seconds(60),
      memorySize: 512,
      description: 'Taskpulse aggregator: execution changes to time-bucket aggregates',
    });
    bindTable(this.aggregateFunction, this.stateTable, ENV.stateTable, TABLE_ACCESS.aggregate.state);
    this.aggregateFunction.addEnvironment(ENV.aggregateTtlDays, String(p.aggregateRetention.toDays()));
    this.aggregateFunction.addEnvironment(ENV.aggregateDimensions, p.aggregateDimensions.join(','));
    // EMF metrics (AggregateChangesRetried, AggregateWritesSkipped) need no IAM grant, like the ingest's.
    this.aggregateFunction.addEnvironment(ENV.metricsNamespace, p.metricsNamespace);
    this.aggregateFunction.addEventSource(
      new sources.DynamoEventSource(this.historyTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        // Changes are folded into the window's state and every aggregate part is written once per
        // window (per shard), not per batch; the window bounds freshness (AGGREGATE_TUMBLING_WINDOW).
        tumblingWindow: AGGREGATE_TUMBLING_WINDOW,
        // 1,000 stream records with both images stay well under Lambda's 6 MB payload.
        batchSize: 1000,
        maxBatchingWindow: Duration.seconds(5),
        // One batch per shard at a time: a window's state and the per-shard high-water tokens rely on
        // in-order application per shard.
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        // No bisecting: a failed window invocation is retried whole with the previous state (a half
        // batch would only delay it), and permanent errors are recorded and skipped by the handler, so
        // there is no poison batch to isolate.
        bisectBatchOnError: false,
        // Transient errors are retried by age, not by count: sustained throttling must slow the
        // aggregator, not make it give up; after maxRecordAge the records go to the failure queue.
        retryAttempts: -1,
        maxRecordAge: AGGREGATE_MAX_RECORD_AGE,
        onFailure: new sources.SqsDlq(this.aggregateFailureQueue),
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(EXECUTION_PK_PREFIX) } } },
          }),
        ],
      }),
    );

    this.alerting = new TaskpulseAlerting(this, 'Alerting', {
      ...alertingPropsOf(p),
      stage: p.stage,
      stateTable: this.stateTable,
      historyTable: this.historyTable,
      alertTopic: this.alertTopic,
      createFunction: (id, entry, options) => this.createFunction(id, entry, options),
    });

    this.alarmRoute = new TaskpulseAlarmRoute(this, 'AlarmRoute', {
      alertTopic: this.alertTopic,
      key: this.alertKey,
      createFunction: (id, entry, options) => this.createFunction(id, entry, options),
      alarms: () => this.monitoring.alarms.alarms,
    });

    this.readApi = new TaskpulseReadApi(this, 'ReadApi', {
      ...p.api,
      stage: p.stage,
      historyTable: this.historyTable,
      stateTable: this.stateTable,
      eventsQueue: this.eventsQueue,
      deadLetterQueue: this.deadLetterQueue,
      aggregateFailureQueue: this.aggregateFailureQueue,
      aggregateFunction: this.aggregateFunction,
      createFunction: (id, entry, options) => this.createFunction(id, entry, options),
      logRetention: p.logRetention,
    });

    const stack = Stack.of(this);
    const out = (name: string, value: string) => new CfnOutput(stack, name, { value, key: name });
    if (stack.node.tryFindChild(OUTPUT.eventsQueueUrl) === undefined) {
      out(OUTPUT.eventsQueueUrl, this.eventsQueue.queueUrl);
      out(OUTPUT.eventsQueueArn, this.eventsQueue.queueArn);
      out(OUTPUT.deadLetterQueueUrl, this.deadLetterQueue.queueUrl);
      out(OUTPUT.historyTableName, this.historyTable.tableName);
      out(OUTPUT.stateTableName, this.stateTable.tableName);
      out(OUTPUT.alertTopicArn, this.alertTopic.topicArn);
      out(OUTPUT.rollupFunctionName, this.alerting.rollupFunction.functionName);
      out(OUTPUT.apiUrl, this.readApi.url);
      if (this.readApi.tokenSecret !== undefined)
        out(OUTPUT.apiTokenSecretArn, this.readApi.tokenSecret.secretArn);
    }
    // The monitor's Running / Stuck gauges (EMF, no grant needed) go to the same namespace.
    this.alerting.monitorFunction.addEnvironment(ENV.metricsNamespace, p.metricsNamespace);

    // Keep this last: the monitoring watches every function created above (a later one can be added
    // with `this.monitoring.monitorFunction`).
    this.monitoring = new TaskpulseMonitoring(this, 'Monitoring', {
      stage: p.stage,
      namespace: p.metricsNamespace,
      options: p.monitoring,
      alarmTopic: this.alarmRoute.alarmTopic,
      eventsQueue: this.eventsQueue,
      deadLetterQueue: this.deadLetterQueue,
      aggregateFailureQueue: this.aggregateFailureQueue,
      maxReceiveCount: p.maxReceiveCount,
      functions: functionsIn(this),
      streamFunctions: [{ label: 'Aggregate', fn: this.aggregateFunction }],
      tables: [
        { label: 'History', table: this.historyTable },
        { label: 'State', table: this.stateTable },
      ],
    });
    this.alerting.linkAlerts(
      p.monitoring.runbookUrl === undefined ? {} : { runbookUrl: p.monitoring.runbookUrl },
    );
  }

  /**
   * Create a Lambda from an entry under `lambdas/`: Node.js 22 on arm64, bundled by the local esbuild
   * (no Docker), Powertools service name set, logs retained for the configured period.
   */
  createFunction(
    id: string,
    entry: string,
    options: Pick<nodejs.NodejsFunctionProps, 'timeout' | 'memorySize' | 'description'>,
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: this.props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return new nodejs.NodejsFunction(this, id, {
      entry: lambdaEntry(entry),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      ...options,
      environment: { [ENV.stage]: this.props.stage, POWERTOOLS_LOG_LEVEL: 'INFO' },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        // The Node.js 22 runtime ships AWS SDK v3; bundling it again only grows cold starts.
        externalModules: ['@aws-sdk/*'],
        // ESM bundles need `require` for the few CommonJS dependencies.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
  }
}
