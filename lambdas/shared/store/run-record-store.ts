import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { StoreError } from '../errors';
import { RUN_RECORD_JOBS, type RunRecordJob, runRecordKey } from '../names/keys';
import { batchGetAll } from './batch-get';

/**
 * When the scheduled jobs last completed (`RUN#<job>` / `RUN` in the state table): the monitor and
 * the scheduled rollup write theirs at the end of a run that handled everything, `/health` reads both
 * to tell a stopped schedule from a quiet pipeline, and `/metrics` shows the monitor's gauges from it.
 * One small item per job, overwritten by each run: one write unit per run, one read per request.
 */

/** Running and stuck executions of one task type, as the monitor counted them. */
export interface RunGauge {
  readonly taskType: string;
  readonly running: number;
  readonly stuck: number;
}

/** A job's last completed run. */
export interface RunRecord {
  readonly job: RunRecordJob;
  /** When the run completed, epoch ms. */
  readonly completedAtMs: number;
  /** The monitor's gauges at that run (empty for the rollup). */
  readonly gauges: readonly RunGauge[];
}

export interface RunRecordStore {
  /** Record a completed run (overwrites the job's previous record). */
  record(run: RunRecord): Promise<void>;
  /** The last completed run of every job that has one. */
  readAll(): Promise<Partial<Record<RunRecordJob, RunRecord>>>;
}

/** Reading or writing a run record failed. */
class RunRecordStoreError extends StoreError {
  override readonly name = 'RunRecordStoreError';
}

/**
 * Gauges kept on one record. Task types are producer-chosen; 2,000 gauges of ~100 bytes keep the item
 * far below DynamoDB's 400 KB, and a deployment with more task types shows the busiest ones.
 */
export const MAX_RUN_GAUGES = 2_000;

/** DynamoDB implementation of `RunRecordStore` over the state table. */
export class DynamoRunRecordStore implements RunRecordStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(run: RunRecord): Promise<void> {
    const gauges = [...run.gauges]
      .sort((a, b) => b.running - a.running || a.taskType.localeCompare(b.taskType))
      .slice(0, MAX_RUN_GAUGES);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...runRecordKey(run.job), completedAt: run.completedAtMs, gauges },
        }),
      );
    } catch (error) {
      throw new RunRecordStoreError(`could not record the ${run.job} run`, { cause: error });
    }
  }

  async readAll(): Promise<Partial<Record<RunRecordJob, RunRecord>>> {
    let items: Record<string, unknown>[];
    try {
      items = await batchGetAll(this.doc, this.tableName, RUN_RECORD_JOBS.map(runRecordKey), 'run records');
    } catch (error) {
      throw new RunRecordStoreError('could not read the run records', { cause: error });
    }
    const out: Partial<Record<RunRecordJob, RunRecord>> = {};
    for (const item of items) {
      const job = RUN_RECORD_JOBS.find((j) => runRecordKey(j).pk === item.pk);
      if (job === undefined) continue;
      out[job] = {
        job,
        completedAtMs: Number(item.completedAt),
        gauges: ((item.gauges as RunGauge[] | undefined) ?? []).map((g) => ({
          taskType: String(g.taskType),
          running: Number(g.running),
          stuck: Number(g.stuck),
        })),
      };
    }
    return out;
  }
}
