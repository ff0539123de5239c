import { Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { TaskpulseReadApi } from './read-api';
import type { Taskpulse } from './taskpulse';

/**
 * cdk-nag (AWS Solutions rules) over the Taskpulse stack, and the few findings we accept, each with
 * its reason. `infra/app.ts` applies both, so `cdk synth` and `cdk deploy` fail on a new unsuppressed
 * finding; `test/infra/nag.test.ts` asserts zero unsuppressed errors and warnings.
 */

/** Run the AWS Solutions checks on everything under `scope` (usually the App) at synthesis. */
export const applyNagChecks = (scope: IConstruct, options: { reports?: boolean } = {}): void => {
  Aspects.of(scope).add(new AwsSolutionsChecks({ verbose: true, reports: options.reports ?? true }));
};

/**
 * Actions that AWS does not scope to a resource, so a grant of them has `Resource: *`. The nag test
 * checks that `*` resources carry only these.
 */
export const RESOURCELESS_ACTIONS = ['dynamodb:ListStreams', 'cloudwatch:GetMetricData'] as const;

/** Accept the findings that are deliberate in a Taskpulse construct, each with the reason. */
export const suppressTaskpulseFindings = (taskpulse: Taskpulse): void => {
  NagSuppressions.addResourceSuppressions(
    taskpulse,
    [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'AWSLambdaBasicExecutionRole only allows logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents, which every function needs to write its logs and EMF metrics; it grants nothing on Taskpulse data.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "The monitor may run dynamodb:Query on the history table's own secondary indexes, <table ARN>/index/* (infra/grants.ts, queryIndexes); the wildcard never reaches another table or another action.",
        appliesTo: [{ regex: '/^Resource::<.*\\.Arn>\\/index\\/\\*$/g' }],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Publishing to the KMS-encrypted alert topic (topic.grantPublish) needs kms:GenerateDataKey* (GenerateDataKey and GenerateDataKeyWithoutPlaintext) on the topic key only; the nag test asserts such actions name a key of this stack.',
        appliesTo: ['Action::kms:GenerateDataKey*'],
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          'Node.js 22 (nodejs22.x, arm64) is pinned on purpose: bundling targets node22 and the tests assert the runtime. cdk-nag flags any runtime older than the newest aws-cdk-lib knows; move all functions together in createFunction after testing.',
      },
    ],
    true,
  );

  // The aggregator's stream event source grants dynamodb:ListStreams, which has no resource-level
  // permissions; no other function has a "*" resource.
  const streamPolicy = taskpulse.aggregateFunction.role?.node.tryFindChild('DefaultPolicy');
  if (streamPolicy !== undefined) {
    NagSuppressions.addResourceSuppressions(streamPolicy, [
      {
        id: 'AwsSolutions-IAM5',
        reason: `The table stream event source grants ${RESOURCELESS_ACTIONS.join(', ')}, which has no resource-level permissions, on "*" (test/infra/nag.test.ts asserts "*" carries nothing else); every other action names its table, stream or queue.`,
        appliesTo: ['Resource::*'],
      },
    ]);
  }

  suppressReadApiFindings(taskpulse.readApi);

  NagSuppressions.addResourceSuppressions(taskpulse.aggregateFailureQueue, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter destination: the aggregator's stream event source sends records it could not apply here (on-failure destination). A DLQ of it would only hide them; an alarm watches its depth.",
    },
  ]);
};

/** The read API's deliberate findings (`infra/read-api.ts`), each with its reason. */
const suppressReadApiFindings = (readApi: TaskpulseReadApi): void => {
  NagSuppressions.addResourceSuppressions(
    readApi.api,
    [
      {
        id: 'AwsSolutions-COG4',
        reason:
          'The read API has no end users to sign in: callers are operators and tools with AWS credentials (IAM/SigV4 authorization on every method) and, when enabled, a scraper with the read-only bearer token checked by the Lambda TOKEN authorizer.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), which one stack should not take over; every request is in the stage access log and errors are logged by the API function.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method needs SigV4 (or the read-only bearer token) and the stage is throttled; a WAF web ACL adds a fixed monthly cost and can be associated by the deployer where required.',
      },
    ],
    true,
  );
  const policy = readApi.apiFunction.role?.node.tryFindChild('DefaultPolicy');
  if (policy !== undefined)
    NagSuppressions.addResourceSuppressions(policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          '/health reads the queue age and the aggregator IteratorAge with cloudwatch:GetMetricData, which has no resource-level permissions, on "*" (test/infra/nag.test.ts asserts "*" carries nothing else); it is read-only.',
        appliesTo: ['Resource::*'],
      },
    ]);
  if (readApi.tokenSecret !== undefined)
    NagSuppressions.addResourceSuppressions(readApi.tokenSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The bearer token is configured in the scraper (Prometheus credentials file), so automatic rotation would break scraping; rotate it by putting a new value (docs/api.md) and updating the scraper, the authorizer picks it up within 10 minutes.',
      },
    ]);
};
