import { formatMetricsLine, type MetricRecord, observeMetricRecords } from '../lambdas/ingest/metrics';
import { DIMENSION } from '../lambdas/shared/names/metrics';

/**
 * What the dashboard will graph, without AWS: local mode runs the real ingest handler in-process, and
 * this reporter observes the CloudWatch metric records (EMF documents) it emits, batch by batch. Every
 * period local mode takes the records seen since the last time and prints one line per task type and
 * one for the pipeline (`formatMetricsLine`, the same summary the ingest metrics module documents).
 */

/**
 * One line per task type (sorted), then the pipeline line, for a period's records. The per-reason
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
  private readonly unobserve: () => void;

  constructor() {
    this.unobserve = observeMetricRecords((records) => {
      this.records.push(...records);
    });
  }

  /** The lines of the records seen since the last call (empty when there were none), and forget them. */
  take(): string[] {
    const records = this.records;
    this.records = [];
    return linesOf(records);
  }

  /** Stop observing. */
  close(): void {
    this.unobserve();
    this.records = [];
  }
}
