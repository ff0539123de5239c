import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSeverityTag } from '../../lambdas/alarm-format/severity';
import { ENV } from '../../lambdas/shared/names/env';
import { appStack, logicalIdOf, resourcesOfType, type Synthesized } from './support/synth';

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The path from a CloudWatch alarm to a subscriber of the alert topic, as synthesized. */
describe('alarm route', () => {
  let synth: Synthesized;
  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(synth.stack, c);
  const cloudwatch = { Service: 'cloudwatch.amazonaws.com' };

  beforeAll(() => {
    // Prepare / Act: a failure-rate alarm too, so there are alarms of every kind.
    synth = appStack();
  });

  const topicPolicyOf = (topicId: string): Statement[] => {
    const policies = resourcesOfType(synth.resources, 'AWS::SNS::TopicPolicy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Topics).includes(`"${topicId}"`),
    );
    return policies.flatMap(
      ([, p]) => (p.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
  };

  it('lets exactly the alarms of this stack publish to the alarm topic, from this account', () => {
    const route = synth.stack.taskpulse.alarmRoute;
    const alarmArns = resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm')
      .map(([alarmId]) => ({ 'Fn::GetAtt': [alarmId, 'Arn'] }))
      .sort((a, b) => a['Fn::GetAtt'][0]!.localeCompare(b['Fn::GetAtt'][0]!));
    const allow = topicPolicyOf(id(route.alarmTopic)).filter(
      (s) => s.Effect === 'Allow' && JSON.stringify(s.Principal) === JSON.stringify(cloudwatch),
    );
    expect(allow).toHaveLength(1);
    expect(allow[0]?.Action).toBe('sns:Publish');
    expect(allow[0]?.Resource).toEqual({ Ref: id(route.alarmTopic) });
    expect(allow[0]?.Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    const arns = allow[0]?.Condition?.ArnLike?.['aws:SourceArn'] as { 'Fn::GetAtt': [string, string] }[];
    expect([...arns].sort((a, b) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]))).toEqual(alarmArns);
    expect(alarmArns.length).toBeGreaterThanOrEqual(5);
  });

  it('lets CloudWatch use the topic key only for alarms of this account and region', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Effect: 'Allow',
            Principal: cloudwatch,
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
    // No unconditioned grant to CloudWatch remains.
    const keys = resourcesOfType(synth.resources, 'AWS::KMS::Key');
    const unconditioned = keys.flatMap(([, k]) =>
      ((k.Properties?.KeyPolicy as { Statement: Statement[] } | undefined)?.Statement ?? []).filter(
        (s) => JSON.stringify(s.Principal) === JSON.stringify(cloudwatch) && s.Condition === undefined,
      ),
    );
    expect(unconditioned).toEqual([]);
  });

  it('encrypts the alarm topic with the key and allows only TLS', () => {
    const route = synth.stack.taskpulse.alarmRoute;
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id(synth.stack.taskpulse.alertKey), 'Arn'] },
      DisplayName: Match.stringLikeRegexp('alarms'),
    });
    expect(
      topicPolicyOf(id(route.alarmTopic)).some(
        (s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('aws:SecureTransport'),
      ),
    ).toBe(true);
  });

  it('sends every alarm notification to the formatter, which publishes to the alert topic', () => {
    const tp = synth.stack.taskpulse;
    const fnId = id(tp.alarmRoute.formatFunction);
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: id(tp.alarmRoute.alarmTopic) },
      Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: id(tp.alarmRoute.alarmTopic) },
    });
    const fn = synth.resources[fnId];
    expect(
      (fn?.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables,
    ).toMatchObject({
      [ENV.alertTopicArn]: { Ref: id(tp.alertTopic) },
      [ENV.stage]: 'dev',
    });
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(synth.stack, tp.alarmRoute.formatFunction.role as never) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: id(tp.alertTopic) } }),
        ]),
      },
    });
  });

  it('lets no one but the monitor and the formatter publish to the alert topic', () => {
    const tp = synth.stack.taskpulse;
    const allows = topicPolicyOf(id(tp.alertTopic)).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([]);
  });

  it('tags every alarm description with a severity the formatter reads', () => {
    const seen = new Set<string>();
    for (const [alarmId, alarm] of resourcesOfType(synth.resources, 'AWS::CloudWatch::Alarm')) {
      const description = JSON.stringify(alarm.Properties?.AlarmDescription);
      const first = description.match(/^"?\[?"?(\[(critical|warning|info)\])/);
      expect(first, alarmId).not.toBeNull();
      seen.add(readSeverityTag(first![1]!).severity);
    }
    expect([...seen].sort()).toEqual(['critical', 'warning']);
  });
});
