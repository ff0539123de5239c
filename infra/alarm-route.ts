import { ArnFormat, Duration, Lazy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/names/env';
import type { FunctionFactory } from './alerting';

/** Props of the alarm route. */
export interface TaskpulseAlarmRouteProps {
  /** Where formatted alarms go: the topic people and machines subscribe to. */
  readonly alertTopic: sns.ITopic;
  /** The customer-managed key of both topics; CloudWatch is allowed to use it for this account's alarms. */
  readonly key: kms.IKey;
  /** Creates the formatter function (as a sibling of the other Taskpulse functions). */
  readonly createFunction: FunctionFactory;
  /**
   * The alarms that may publish to the alarm topic, read when the template is synthesized (so alarms
   * added after this construct count too).
   */
  readonly alarms: () => readonly cloudwatch.IAlarm[];
}

/**
 * The path from a CloudWatch alarm to a person (decision record 0040): alarms notify an internal,
 * encrypted alarm topic that only they may publish to; the `AlarmFormatFunction`
 * (`lambdas/alarm-format/`) turns each notification into a Taskpulse alert message with the same
 * bodies and message attributes (`severity`, `stage`, …) as the monitor's alerts and publishes it to
 * the alert topic. So a subscription filtered on `severity` receives alarms too.
 */
export class TaskpulseAlarmRoute extends Construct {
  /** The topic the alarms' ALARM and OK actions notify. Subscribe to the alert topic, not this one. */
  readonly alarmTopic: sns.Topic;
  readonly formatFunction: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: TaskpulseAlarmRouteProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const thisAccount = { 'aws:SourceAccount': stack.account };

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Taskpulse CloudWatch alarms (internal; subscribe to the alert topic)',
      masterKey: props.key,
      enforceSSL: true,
    });
    // Only the alarms of this deployment may publish (confused-deputy protection: account and alarm ARNs).
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowTaskpulseAlarms',
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: thisAccount,
          ArnLike: {
            'aws:SourceArn': Lazy.list({ produce: () => props.alarms().map((a) => a.alarmArn) }),
          },
        },
      }),
    );
    // The topic is encrypted, so the publishing alarm needs the key. The key policy cannot name the
    // alarm ARNs (key → alarms → topic → key would be a dependency cycle), so it allows the alarms of
    // this account and region; the topic policy above decides which of them may publish.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [cloudwatchService],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: thisAccount,
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.formatFunction = props.createFunction('AlarmFormatFunction', 'alarm-format/handler.ts', {
      timeout: Duration.seconds(30),
      memorySize: 256,
      description:
        'Taskpulse alarm formatter: CloudWatch alarm notifications to alert messages with filter attributes',
    });
    this.formatFunction.addEnvironment(ENV.alertTopicArn, props.alertTopic.topicArn);
    props.alertTopic.grantPublish(this.formatFunction);
    this.alarmTopic.addSubscription(new subscriptions.LambdaSubscription(this.formatFunction));
  }
}
