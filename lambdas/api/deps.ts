import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PipelineProbe } from '../shared/aws/pipeline-probe';

/**
 * What the read API's routes get: clients and table names, bound once per container (`handler.ts`)
 * or per test. Routes read through `lambdas/shared/queries/` and the stores, never the SDK directly,
 * so the CLI and the API answer from the same code.
 */
export interface ApiDeps {
  readonly doc: DynamoDBDocumentClient;
  /** Low-level client (`DescribeTable` for the history stream of the feed). */
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly streams: Pick<DynamoDBStreamsClient, 'send'>;
  readonly historyTable: string;
  readonly stateTable: string;
  /** Queue depths and CloudWatch ages for `/health` and `/metrics`; without it those two answer 500. @default none */
  readonly pipeline?: PipelineProbe;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Where unexpected errors are logged (the caller only sees a request id). */
  readonly logger?: { error(message: string, extra?: Record<string, unknown>): void };
}
