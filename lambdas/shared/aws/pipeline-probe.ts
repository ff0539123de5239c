import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError, ENV, optionalEnv } from '../names/env';

/**
 * Live signals of the pipeline's queues and aggregator, for `/health` and `/metrics`.
 *
 * Queue depths come from SQS `GetQueueAttributes`. The age of the oldest queued event and the
 * aggregator's lag are not attributes of any API that answers per request: SQS publishes
 * `ApproximateAgeOfOldestMessage` only as a CloudWatch metric (`AWS/SQS`), and Lambda publishes a
 * stream consumer's `IteratorAge` only as a CloudWatch metric (`AWS/Lambda`), each once a minute. So
 * both are read with one `GetMetricData` request (the newest datapoint of the last
 * `AGE_LOOKBACK_SECONDS`), and are `null` when CloudWatch has none: an emulator (moto does not publish
 * AWS metrics), or a queue idle for hours. Peeking at the queue instead (ReceiveMessage) would count as
 * a receive and could push an event to the dead-letter queue, so it is not done.
 */

/** Messages in one queue. */
export interface QueueDepth {
  /** Waiting to be received (`ApproximateNumberOfMessages`). */
  readonly visible: number;
  /** Received and not yet deleted (`ApproximateNumberOfMessagesNotVisible`). */
  readonly inFlight: number;
}

/** The queues of the pipeline. */
export interface QueueDepths {
  readonly events: QueueDepth;
  readonly deadLetter: QueueDepth;
  readonly aggregateFailures: QueueDepth;
}

/** Ages from CloudWatch, seconds; `null` without a recent datapoint. */
export interface PipelineAges {
  readonly oldestMessageAgeSeconds: number | null;
  readonly aggregatorLagSeconds: number | null;
}

export interface PipelineProbe {
  queueDepths(): Promise<QueueDepths>;
  ages(nowMs: number): Promise<PipelineAges>;
}

/** Where the probe looks. */
export interface PipelineLocation {
  readonly eventsQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly aggregateFailureQueueUrl: string;
  /** Name of the aggregator function (dimension of its `IteratorAge`). */
  readonly aggregateFunctionName: string;
}

/** How far back a CloudWatch datapoint still counts, seconds (both metrics come every minute). */
export const AGE_LOOKBACK_SECONDS = 600;

/** A queue's name from its URL (the `QueueName` dimension of `AWS/SQS` metrics). */
const queueNameOf = (url: string): string => url.slice(url.lastIndexOf('/') + 1);

/** SQS and CloudWatch implementation of `PipelineProbe`. */
export class AwsPipelineProbe implements PipelineProbe {
  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly cloudwatch: Pick<CloudWatchClient, 'send'>,
    private readonly where: PipelineLocation,
  ) {}

  async queueDepths(): Promise<QueueDepths> {
    const [events, deadLetter, aggregateFailures] = await Promise.all([
      this.depthOf(this.where.eventsQueueUrl),
      this.depthOf(this.where.deadLetterQueueUrl),
      this.depthOf(this.where.aggregateFailureQueueUrl),
    ]);
    return { events, deadLetter, aggregateFailures };
  }

  async ages(nowMs: number): Promise<PipelineAges> {
    const res = await this.cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(nowMs - AGE_LOOKBACK_SECONDS * 1000),
        EndTime: new Date(nowMs),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'oldest',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueNameOf(this.where.eventsQueueUrl) }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
          {
            Id: 'lag',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: 'IteratorAge',
                Dimensions: [{ Name: 'FunctionName', Value: this.where.aggregateFunctionName }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const newest = (id: string): number | null => {
      const r = res.MetricDataResults?.find((m) => m.Id === id);
      const values = r?.Values ?? [];
      const times = r?.Timestamps ?? [];
      if (values.length === 0) return null;
      // Newest first by request; sort anyway, emulators may not honour ScanBy.
      let best = 0;
      for (let i = 1; i < values.length; i++)
        if ((times[i]?.getTime() ?? 0) > (times[best]?.getTime() ?? 0)) best = i;
      return values[best] ?? null;
    };
    const lagMs = newest('lag');
    return {
      oldestMessageAgeSeconds: newest('oldest'),
      aggregatorLagSeconds: lagMs === null ? null : Math.round(lagMs / 1000),
    };
  }

  private async depthOf(queueUrl: string): Promise<QueueDepth> {
    const res = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(res.Attributes?.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }
}

/**
 * Where the probe looks, from the API function's environment; `undefined` when none of it is set (an
 * API without pipeline signals, e.g. a test of the /v1 routes). Partly set is a configuration error.
 */
export const pipelineLocationFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
): PipelineLocation | undefined => {
  const values = {
    eventsQueueUrl: optionalEnv(ENV.eventsQueueUrl, env),
    deadLetterQueueUrl: optionalEnv(ENV.deadLetterQueueUrl, env),
    aggregateFailureQueueUrl: optionalEnv(ENV.aggregateFailureQueueUrl, env),
    aggregateFunctionName: optionalEnv(ENV.aggregateFunctionName, env),
  };
  const missing = Object.entries(values).filter(([, v]) => v === undefined);
  if (missing.length === Object.keys(values).length) return undefined;
  if (missing.length > 0) {
    const names = { ...ENV } as Record<string, string>;
    throw new ConfigError(`pipeline signals need ${missing.map(([k]) => names[k]).join(', ')} as well`);
  }
  return values as unknown as PipelineLocation;
};
