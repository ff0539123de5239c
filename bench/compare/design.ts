import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { DailyStats } from './stats';

/** The roles whose DynamoDB calls the bench meters separately. */
export type Role = 'ingest' | 'aggregate' | 'rollup' | 'monitor';

/** Called with each role's DynamoDB client before use (the bench attaches its meters). */
export type Instrument = (client: DynamoDBClient, role: Role) => void;

/** How a baseline is built. */
export interface BaselineOptions {
  readonly endpoint: string;
  /** Task types the stats are kept for (what a team configures; the monitor and rollup read these). */
  readonly taskTypes: readonly string[];
  /** Prefix of the bench's table names (unique per run). */
  readonly prefix: string;
  readonly instrument?: Instrument;
}

/** A baseline design as the bench drives it. */
export interface Baseline {
  /** The SQS handler (partial batch responses). */
  ingest(event: SQSEvent): Promise<SQSBatchResponse>;
  /** Roll up one day; returns the rollup by `statsMapKey(day, taskType)`. */
  rollup(day: string): Promise<Map<string, DailyStats>>;
  /** One scheduled failure-rate check at `nowMs` (what it reads is what counts). */
  monitor(nowMs: number): Promise<void>;
  /** Stored history and stats, read back (unmetered) for the oracle. */
  readBack(): Promise<{
    history: Map<string, Set<string>>;
    stats: Map<string, DailyStats>;
  }>;
}
