import { DescribeTableCommand, DynamoDBClient, paginateQuery } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { formatInteger as n } from '../cli/format/values';
import { dayOf, INDEX_SHARDS, quarantinePartition } from '../lambdas/shared/names/keys';
import { OUTPUT } from '../lambdas/shared/names/outputs';
import { clientConfig } from './aws-config';
import type { LocalRuntime } from './runtime';

/**
 * The numbers of one summary line, from poller counters and a few cheap reads: messages the ingest
 * mapping acknowledged (`eventsIn`: stored or quarantined) and handed back for redelivery (`retried`);
 * items of the history table that are executions (DescribeTable's count less the quarantined); messages
 * quarantined today and yesterday (UTC, one COUNT query per partition); messages in the dead-letter
 * queue; execution changes the aggregator applied; items in the state table (aggregates, scopes,
 * ledger, rollups, alert states).
 */
export type LocalSummary = Readonly<
  Record<
    'eventsIn' | 'retried' | 'executions' | 'quarantined' | 'deadLetters' | 'aggregated' | 'stateItems',
    number
  >
>;

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** Reads the summary of a running local stack. */
export class SummaryReader {
  private readonly ddb: DynamoDBClient;
  private readonly sqs: SQSClient;

  constructor(private readonly runtime: LocalRuntime) {
    this.ddb = new DynamoDBClient(clientConfig(runtime.stack));
    this.sqs = new SQSClient(clientConfig(runtime.stack));
  }

  async read(nowMs = Date.now()): Promise<LocalSummary> {
    const { outputs } = this.runtime.stack;
    const stats = this.runtime.stats();
    const ingest = stats.sqs.filter((s) => s.queueUrl === outputs[OUTPUT.eventsQueueUrl]);
    const itemCount = async (TableName: string | undefined) =>
      (await this.ddb.send(new DescribeTableCommand({ TableName }))).Table?.ItemCount ?? 0;
    const [historyItems, stateItems, quarantined, { Attributes: dlq }] = await Promise.all([
      itemCount(outputs[OUTPUT.historyTableName]),
      itemCount(outputs[OUTPUT.stateTableName]),
      this.quarantined(outputs[OUTPUT.historyTableName], nowMs),
      this.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: outputs[OUTPUT.deadLetterQueueUrl],
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      ),
    ]);
    return {
      eventsIn: sum(ingest.map((s) => s.deleted)),
      retried: sum(ingest.map((s) => s.failed)),
      executions: Math.max(0, historyItems - quarantined),
      quarantined,
      deadLetters: Number(dlq?.ApproximateNumberOfMessages ?? 0),
      aggregated: sum(stats.streams.map((s) => s.succeeded)),
      stateItems,
    };
  }

  close(): void {
    this.ddb.destroy();
    this.sqs.destroy();
  }

  private async quarantined(TableName: string | undefined, nowMs: number): Promise<number> {
    const days = [dayOf(new Date(nowMs - 86_400_000).toISOString()), dayOf(new Date(nowMs).toISOString())];
    const partitions = days.flatMap((day) =>
      Array.from({ length: INDEX_SHARDS }, (_, s) => quarantinePartition(day, s)),
    );
    const counts = await Promise.all(
      partitions.map(async (pk) => {
        let count = 0;
        const query = { TableName, KeyConditionExpression: 'pk = :pk', Select: 'COUNT' as const };
        const values = { ExpressionAttributeValues: { ':pk': { S: pk } } };
        for await (const page of paginateQuery({ client: this.ddb }, { ...query, ...values }))
          count += page.Count ?? 0;
        return count;
      }),
    );
    return sum(counts);
  }
}

/** One line: `events in 1,234 · executions 512 · quarantined 7 · DLQ 0 · aggregated 1,100 changes (state items 230)`. */
export const formatSummary = (s: LocalSummary, previous?: LocalSummary): string =>
  [
    `events in ${n(s.eventsIn)}${previous === undefined ? '' : ` (+${n(s.eventsIn - previous.eventsIn)})`}`,
    `executions ${n(s.executions)}`,
    `quarantined ${n(s.quarantined)}`,
    `DLQ ${n(s.deadLetters)}`,
    `aggregated ${n(s.aggregated)} changes (state items ${n(s.stateItems)})`,
    ...(s.retried > 0 ? [`retried ${n(s.retried)}`] : []),
  ].join(' · ');
