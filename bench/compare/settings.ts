import type { CfnTemplate } from '../../infra/synth';

/**
 * The pipeline settings the comparison takes from the synthesized template, so the bench models what
 * would be deployed (batch sizes, batching windows, tumbling window, memory) and follows any change
 * to `infra/` without edits here.
 */

/** One function behind one event source mapping. */
export interface MappedFunction {
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  /** `TumblingWindowInSeconds`, 0 when the mapping has none. */
  readonly tumblingWindowSeconds: number;
  readonly memoryMb: number;
}

/** The two mappings of the Taskpulse pipeline. */
export interface PipelineSettings {
  /** SQS events queue → ingest function. */
  readonly ingest: MappedFunction;
  /** History table stream → aggregator function. */
  readonly aggregate: MappedFunction;
}

const refOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

/** The settings of the SQS and DynamoDB-stream mappings of a template. Pure; throws if one is missing. */
export const pipelineSettingsOf = (template: CfnTemplate): PipelineSettings => {
  const resources = template.Resources;
  const mapped = (kind: 'AWS::SQS::Queue' | 'AWS::DynamoDB::Table'): MappedFunction => {
    const mapping = Object.values(resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        resources[refOf(r.Properties?.EventSourceArn) ?? '']?.Type === kind,
    );
    if (mapping === undefined) throw new Error(`the template has no event source mapping from a ${kind}`);
    const p = mapping.Properties ?? {};
    const fn = resources[refOf(p.FunctionName) ?? ''];
    return {
      batchSize: Number(p.BatchSize ?? (kind === 'AWS::SQS::Queue' ? 10 : 100)),
      batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
      tumblingWindowSeconds: Number(p.TumblingWindowInSeconds ?? 0),
      memoryMb: Number(fn?.Properties?.MemorySize ?? 128),
    };
  };
  return { ingest: mapped('AWS::SQS::Queue'), aggregate: mapped('AWS::DynamoDB::Table') };
};
