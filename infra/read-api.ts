import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MIN_TOKEN_CHARS } from '../lambdas/domain/bearer-token';
import { API_PATH, API_VERSION_PREFIX, TOKEN_PATHS } from '../lambdas/shared/names/api';
import { ENV } from '../lambdas/shared/names/env';
import type { FunctionFactory } from './alerting';
import { bindTable, TABLE_ACCESS } from './grants';

/**
 * The read API: an API Gateway REST API in front of one Lambda (`lambdas/api/handler.ts`) that only
 * reads. Paths: `/v1/{proxy+}` (the query routes), `/health`, `/metrics`, `/openapi.json`, all `GET`.
 * Every method needs IAM (SigV4) authorization by default; with `bearerToken` on, `/metrics` and
 * `/health` take a read-only bearer token instead (checked by a small TOKEN authorizer against a
 * Secrets Manager secret), for scrapers that cannot sign. Throttled per stage, access-logged.
 */

/** Options of the read API (the `api` field of `TaskpulseProps`). */
export interface ReadApiOptions {
  /**
   * Let `/metrics` and `/health` be called with `Authorization: Bearer <token>` instead of SigV4 (for
   * Prometheus); the token is generated into a Secrets Manager secret (output `ApiTokenSecretArn`).
   * The `/v1` routes and `/openapi.json` stay SigV4-only. @default false
   */
  readonly bearerToken?: boolean;
  /** Steady-state requests per second of the stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Burst of requests of the stage. @default 100 */
  readonly throttlingBurstLimit?: number;
}

/** Defaults of `ReadApiOptions`, applied under the caller's options. */
export const READ_API_DEFAULTS: Required<ReadApiOptions> = {
  bearerToken: false,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
};

/** Props of the construct: options and the resources the API reads. */
export interface TaskpulseReadApiProps extends ReadApiOptions {
  /** Stage name (the API Gateway stage and the first path segment of its URL). */
  readonly stage: string;
  readonly historyTable: dynamodb.ITable;
  readonly stateTable: dynamodb.ITable;
  readonly eventsQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly aggregateFailureQueue: sqs.IQueue;
  /** The aggregator, whose `IteratorAge` `/health` reads as the aggregator lag. */
  readonly aggregateFunction: lambda.IFunction;
  /** Creates the API and authorizer functions (`Taskpulse.createFunction`). */
  readonly createFunction: FunctionFactory;
  /** Retention of the access logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** The read API: REST API, its function and (optionally) the token authorizer and its secret. */
export class TaskpulseReadApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly apiFunction: nodejs.NodejsFunction;
  readonly accessLogs: logs.LogGroup;
  /** The read-only bearer token (only with `bearerToken`). */
  readonly tokenSecret?: secretsmanager.Secret;
  readonly tokenAuthorizerFunction?: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: TaskpulseReadApiProps) {
    super(scope, id);
    const p = { ...READ_API_DEFAULTS, ...props };

    this.apiFunction = p.createFunction('ApiFunction', 'api/handler.ts', {
      timeout: Duration.seconds(10),
      memorySize: 1024,
      description: 'Taskpulse read API: history, stats, jobs, health and Prometheus metrics (read only)',
    });
    const fn = this.apiFunction;
    bindTable(fn, p.historyTable, ENV.historyTable, TABLE_ACCESS.api.history);
    bindTable(fn, p.stateTable, ENV.stateTable, TABLE_ACCESS.api.state);
    // The live feed reads the history table's stream (DescribeTable finds it).
    if (p.historyTable.tableStreamArn !== undefined)
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords'],
        resourceArns: [p.historyTable.tableStreamArn],
      });
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['dynamodb:DescribeTable'],
      resourceArns: [p.historyTable.tableArn],
    });
    // Queue depths for /health and /metrics: one read-only action on the three queues.
    for (const [name, queue] of [
      [ENV.eventsQueueUrl, p.eventsQueue],
      [ENV.deadLetterQueueUrl, p.deadLetterQueue],
      [ENV.aggregateFailureQueueUrl, p.aggregateFailureQueue],
    ] as const) {
      fn.addEnvironment(name, queue.queueUrl);
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: ['sqs:GetQueueAttributes'],
        resourceArns: [queue.queueArn],
      });
    }
    // Queue age and aggregator lag are CloudWatch metrics; GetMetricData has no resource-level permissions.
    fn.addEnvironment(ENV.aggregateFunctionName, p.aggregateFunction.functionName);
    iam.Grant.addToPrincipal({ grantee: fn, actions: ['cloudwatch:GetMetricData'], resourceArns: ['*'] });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: p.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      description: `Taskpulse read API (${p.stage})`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Execution logs need the account-wide API Gateway logging role; access logs need none.
      cloudWatchRole: false,
      deployOptions: {
        stageName: p.stage,
        throttlingRateLimit: p.throttlingRateLimit,
        throttlingBurstLimit: p.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
    });
    const validator = this.api.addRequestValidator('ParametersValidator', {
      validateRequestParameters: true,
      // A GET has no body; validating it costs nothing and keeps the validator complete.
      validateRequestBody: true,
    });
    const integration = new apigateway.LambdaIntegration(fn);
    const get = (resource: apigateway.IResource, options: apigateway.MethodOptions = {}) =>
      resource.addMethod('GET', integration, { requestValidator: validator, ...options });

    const v1 = this.api.root.addResource(API_VERSION_PREFIX.slice(1));
    get(v1.addResource('{proxy+}'));
    get(this.api.root.addResource(API_PATH.openapi.slice(1)));

    let tokenOptions: apigateway.MethodOptions = {};
    if (p.bearerToken) {
      this.tokenSecret = new secretsmanager.Secret(this, 'TokenSecret', {
        description: `Taskpulse (${p.stage}): read-only bearer token for ${TOKEN_PATHS.join(' and ')}`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      this.tokenAuthorizerFunction = p.createFunction('ApiTokenAuthorizer', 'api-authorizer/handler.ts', {
        timeout: Duration.seconds(5),
        memorySize: 256,
        description: 'Taskpulse read API: checks the read-only bearer token',
      });
      this.tokenAuthorizerFunction.addEnvironment(ENV.apiTokenSecretArn, this.tokenSecret.secretArn);
      this.tokenSecret.grantRead(this.tokenAuthorizerFunction);
      const authorizer = new apigateway.TokenAuthorizer(this, 'TokenAuthorizer', {
        handler: this.tokenAuthorizerFunction,
        identitySource: apigateway.IdentitySource.header('Authorization'),
        validationRegex: `^Bearer [A-Za-z0-9]{${MIN_TOKEN_CHARS},}$`,
        resultsCacheTtl: Duration.minutes(5),
      });
      tokenOptions = { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM };
    }
    for (const path of [API_PATH.health, API_PATH.metrics]) {
      const resource = this.api.root.addResource(path.slice(1));
      get(resource, TOKEN_PATHS.includes(path) ? tokenOptions : {});
    }
  }

  /** The stage's base URL (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/`). */
  get url(): string {
    return this.api.url;
  }
}
