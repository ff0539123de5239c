import {
  assessHealth,
  DEFAULT_HEALTH_THRESHOLDS,
  type HealthReason,
  type HealthSignals,
  type HealthThresholds,
} from '../../domain/health';
import type { PipelineProbe } from '../aws/pipeline-probe';
import type { RunRecordStore } from '../store/run-record-store';

/**
 * `GET /health`: read the pipeline's signals (queue depths, CloudWatch ages, run records; three reads
 * in parallel, none of which grows with stored volume) and decide with `assessHealth`.
 */

export interface HealthDeps {
  readonly probe: PipelineProbe;
  readonly runRecords: RunRecordStore;
  readonly now?: () => number;
  /** @default DEFAULT_HEALTH_THRESHOLDS */
  readonly thresholds?: HealthThresholds;
}

/** What `/health` answers (200 when `healthy`, else 503). */
export interface HealthReport {
  readonly healthy: boolean;
  readonly checkedAt: string;
  readonly reasons: readonly HealthReason[];
  readonly signals: HealthSignals;
  readonly thresholds: HealthThresholds;
}

/** Read the signals and assess them. */
export const readHealth = async (deps: HealthDeps): Promise<HealthReport> => {
  const nowMs = (deps.now ?? Date.now)();
  const [depths, ages, runs] = await Promise.all([
    deps.probe.queueDepths(),
    deps.probe.ages(nowMs),
    deps.runRecords.readAll(),
  ]);
  const signals: HealthSignals = {
    nowMs,
    queueDepth: depths.events.visible,
    oldestMessageAgeSeconds: ages.oldestMessageAgeSeconds,
    deadLetterDepth: depths.deadLetter.visible + depths.deadLetter.inFlight,
    aggregateFailureDepth: depths.aggregateFailures.visible + depths.aggregateFailures.inFlight,
    aggregatorLagSeconds: ages.aggregatorLagSeconds,
    lastMonitorRunMs: runs.monitor?.completedAtMs ?? null,
    lastRollupRunMs: runs.rollup?.completedAtMs ?? null,
  };
  const thresholds = deps.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;
  const { healthy, reasons } = assessHealth(signals, thresholds);
  return { healthy, checkedAt: new Date(nowMs).toISOString(), reasons, signals, thresholds };
};
