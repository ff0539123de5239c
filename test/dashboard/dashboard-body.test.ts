import { describe, expect, it } from 'vitest';
import { DashboardBodyError, readDashboardBody } from '../../dashboard/dashboard-body';
import type { CfnTemplate } from '../../infra/synth';

/** The dashboard body of a template with the local stack's names filled in. */

const ctx = {
  region: 'us-east-1',
  accountId: '123456789012',
  stackName: 'Taskpulse-dev',
  physicalIds: {
    Queue: 'http://127.0.0.1:5000/123456789012/Taskpulse-dev-Queue-ABC',
    Fn: 'Taskpulse-dev-Fn-XYZ',
  },
};

const templateWith = (body: unknown): CfnTemplate => ({
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Fn: { Type: 'AWS::Lambda::Function' },
    Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Threshold: 5 } },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: body } },
  },
});

describe('readDashboardBody', () => {
  it('fills in queue names, function names, alarm ARNs and the region', () => {
    const body = readDashboardBody(
      templateWith({
        'Fn::Join': [
          '',
          [
            '{"start":"-PT3H","widgets":[{"type":"metric","x":0,"y":0,"width":8,"height":6,"properties":{"region":"',
            { Ref: 'AWS::Region' },
            '","metrics":[["AWS/SQS","NumberOfMessagesSent","QueueName","',
            { 'Fn::GetAtt': ['Queue', 'QueueName'] },
            '"],["AWS/Lambda","Errors","FunctionName","',
            { Ref: 'Fn' },
            '"]],"annotations":{"alarms":["',
            { 'Fn::GetAtt': ['Alarm', 'Arn'] },
            '"]}}}]}',
          ],
        ],
      }),
      ctx,
    );

    expect(body.start).toBe('-PT3H');
    expect(body.widgets[0]!.properties).toEqual({
      region: 'us-east-1',
      metrics: [
        ['AWS/SQS', 'NumberOfMessagesSent', 'QueueName', 'Taskpulse-dev-Queue-ABC'],
        ['AWS/Lambda', 'Errors', 'FunctionName', 'Taskpulse-dev-Fn-XYZ'],
      ],
      annotations: { alarms: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:Alarm'] },
    });
  });

  it('fails loudly on an intrinsic it cannot resolve rather than draw a different dashboard', () => {
    const body = { 'Fn::Join': ['', ['{"widgets":[', { 'Fn::ImportValue': 'x' }, ']}']] };

    expect(() => readDashboardBody(templateWith(body), ctx)).toThrow(DashboardBodyError);
  });
});
