import { formatMetricsLine, type MetricRecord, observeMetricRecords } from '../lambdas/ingest/metrics';
import { DIMENSION } from '../lambdas/shared/names/metrics';

/**
 * One line per task type (sorted), then the pipeline line, of the CloudWatch metric records the
 * in-process ingest handler emitted in a period: what the dashboard will graph. The per-reason
 * quarantine records are not counted twice: the pipeline record already has the total. Pure.
 */
export const linesOf = (records: readonly MetricRecord[]): string[] => {
  const byType = new Map<string, MetricRecord[]>();
  const pipeline: MetricRecord[] = [];
  for (const record of records) {
    const taskType = record.dimensionSets[0]?.[DIMENSION.taskType];
    if (taskType === undefined) pipeline.push(record);
    else byType.set(taskType, [...(byType.get(taskType) ?? []), record]);
  }
  const lines = [...byType.keys()].sort().map((type) => formatMetricsLine(byType.get(type)!));
  const pipelineLine = formatMetricsLine(pipeline);
  return pipelineLine === '' ? lines : [...lines, pipelineLine];
};

/** Collects the ingest handler's metric records in this process until closed. */
export class MetricsReporter {
  private records: MetricRecord[] = [];
  private readonly unobserve = observeMetricRecords((records) => this.records.push(...records));

  /** The lines of the records seen since the last call (empty when there were none), and forget them. */
  take(): string[] {
    const records = this.records;
    this.records = [];
    return linesOf(records);
  }

  close(): void {
    this.unobserve();
    this.records = [];
  }
}
