import { describe, expect, it } from 'vitest';
import { pipelineSettingsOf } from '../../../bench/compare/settings';
import type { CfnTemplate } from '../../../infra/synth';

const template = (streamMapping: Record<string, unknown>): CfnTemplate => ({
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Table: { Type: 'AWS::DynamoDB::Table' },
    Ingest: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
    Aggregate: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } },
    IngestMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FunctionName: { Ref: 'Ingest' },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 2,
      },
    },
    StreamMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
        FunctionName: { Ref: 'Aggregate' },
        ...streamMapping,
      },
    },
  },
});

describe('pipelineSettingsOf', () => {
  it('reads both mappings and their functions memory', () => {
    const settings = pipelineSettingsOf(
      template({ BatchSize: 1000, MaximumBatchingWindowInSeconds: 5, TumblingWindowInSeconds: 60 }),
    );

    expect(settings).toEqual({
      ingest: { batchSize: 100, batchingWindowSeconds: 2, tumblingWindowSeconds: 0, memoryMb: 1024 },
      aggregate: { batchSize: 1000, batchingWindowSeconds: 5, tumblingWindowSeconds: 60, memoryMb: 512 },
    });
  });

  it('uses the Lambda defaults for settings a mapping leaves out', () => {
    expect(pipelineSettingsOf(template({})).aggregate).toEqual({
      batchSize: 100,
      batchingWindowSeconds: 0,
      tumblingWindowSeconds: 0,
      memoryMb: 512,
    });
  });

  it('fails when the template has no stream mapping', () => {
    const { StreamMapping: _s, ...rest } = template({}).Resources;

    expect(() => pipelineSettingsOf({ Resources: rest })).toThrow(/AWS::DynamoDB::Table/);
  });
});
