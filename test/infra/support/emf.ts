import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { vi } from 'vitest';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { ENV } from '../../../lambdas/shared/names/env';
import { ATTR } from '../../../lambdas/shared/names/keys';
import { EMF_TIMESTAMP_WINDOW } from '../../../lambdas/shared/names/metrics';
import { motoClientConfig, uniqueName } from '../../support/aws';
import { createTestTables, TestFeed } from '../../support/tables';

/**
 * Run the real ingest and monitor Lambda entries (configured through their environment like in AWS)
 * against moto_server and capture the EMF documents they write to stdout.
 */

/** One EMF document as CloudWatch Logs receives it. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

interface CaptureOptions {
  readonly stage?: string;
  readonly namespace?: string;
  /** Value of TASKPULSE_AGGREGATE_DIMENSIONS. @default '' */
  readonly dimensionKeys?: string;
  /** Raw message bodies sent besides the events (e.g. broken ones that get quarantined). @default [] */
  readonly extraBodies?: readonly string[];
}

export interface Captured {
  readonly documents: EmfDocument[];
  /** Every stdout line, EMF or not. */
  readonly lines: string[];
  readonly response: unknown;
}

const sqsRecord = (body: string, sentAtMs: number): SQSRecord =>
  ({
    messageId: randomUUID(),
    receiptHandle: 'rh',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAtMs),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(sentAtMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:events',
    awsRegion: 'us-east-1',
  }) as SQSRecord;

/** Send `events` (one message each) through the ingest handler; return what it wrote as EMF. */
export const captureIngestEmf = async (
  events: readonly TaskEvent[],
  options: CaptureOptions = {},
): Promise<Captured> => {
  const config = motoClientConfig();
  const dynamo = new DynamoDBClient(config);
  const table = uniqueName('emf-history');
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: ATTR.pk, AttributeType: 'S' },
        { AttributeName: ATTR.sk, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: ATTR.pk, KeyType: 'HASH' },
        { AttributeName: ATTR.sk, KeyType: 'RANGE' },
      ],
    }),
  );
  const env: Record<string, string | undefined> = {
    [ENV.historyTable]: table,
    [ENV.stage]: options.stage ?? 'test',
    [ENV.metricsNamespace]: options.namespace,
    [ENV.aggregateDimensions]: options.dimensionKeys ?? '',
  };
  try {
    return await captureEmf(env, async () => {
      const { handler } = await import('../../../lambdas/ingest/handler');
      const now = Date.now();
      const event: SQSEvent = {
        Records: [
          ...events.map((e) => sqsRecord(JSON.stringify(e), now)),
          ...(options.extraBodies ?? []).map((b) => sqsRecord(b, now)),
        ],
      };
      return handler(event);
    });
  } finally {
    await dynamo.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    dynamo.destroy();
  }
};

/**
 * Run the real monitor Lambda entry (`lambdas/monitor/handler.ts`) once over fresh moto tables and a
 * topic, after feeding `events` through the real ingest and aggregator, and capture its EMF documents.
 * `env` is the function's environment from the template (stage, namespace, monitor config); table and
 * topic names are replaced by the test ones.
 */
export const captureMonitorEmf = async (
  events: readonly TaskEvent[],
  env: Record<string, string>,
): Promise<Captured> => {
  const tables = await createTestTables();
  await new TestFeed(tables).send(events, Date.now());
  const sns = new SNSClient(motoClientConfig());
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('emf-alerts') }));
  sns.destroy();
  return captureEmf(
    {
      ...env,
      [ENV.historyTable]: tables.historyTable,
      [ENV.stateTable]: tables.stateTable,
      [ENV.alertTopicArn]: TopicArn,
    },
    async () => {
      const { handler } = await import('../../../lambdas/monitor/handler');
      return handler({});
    },
  );
};

/**
 * Run `fn` with `env` (plus the moto endpoint and credentials) set and fresh modules, so a Lambda
 * entry reads its configuration at import like at a cold start; collect the EMF lines on stdout.
 */
const captureEmf = async (
  values: Record<string, string | undefined>,
  fn: () => Promise<unknown>,
): Promise<Captured> => {
  const config = motoClientConfig();
  const env: Record<string, string | undefined> = {
    ...values,
    AWS_ENDPOINT_URL: config.endpoint,
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
    POWERTOOLS_DEV: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const setEnv = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  });
  try {
    setEnv(env);
    vi.resetModules();
    const response = await fn();
    const documents = lines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        return '_aws' in parsed ? [parsed as unknown as EmfDocument] : [];
      } catch {
        return [];
      }
    });
    return { documents, lines, response };
  } finally {
    spy.mockRestore();
    setEnv(saved);
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * What is wrong with a document as EMF (empty when it is valid): the `_aws` envelope, namespace,
 * dimension sets that reference string root members, metric definitions whose values are present
 * (a number or an array of at most 100 numbers), and a timestamp CloudWatch accepts.
 */
export const emfProblems = (doc: unknown, nowMs = Date.now()): string[] => {
  const problems: string[] = [];
  if (!isObject(doc) || !isObject(doc._aws)) return ['no _aws object'];
  const aws = doc._aws;
  if (!Number.isInteger(aws.Timestamp)) problems.push('_aws.Timestamp is not an integer (epoch ms)');
  else {
    const ts = aws.Timestamp as number;
    if (ts < nowMs - EMF_TIMESTAMP_WINDOW.maxPastMs - 60_000 || ts > nowMs + EMF_TIMESTAMP_WINDOW.maxFutureMs)
      problems.push(`_aws.Timestamp ${ts} is outside the window CloudWatch accepts`);
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...problems, 'no CloudWatchMetrics'];
  for (const d of directives) {
    if (!isObject(d)) {
      problems.push('a CloudWatchMetrics entry is not an object');
      continue;
    }
    if (typeof d.Namespace !== 'string' || d.Namespace.length === 0 || d.Namespace.length > 255)
      problems.push('Namespace missing or too long');
    if (!Array.isArray(d.Dimensions)) problems.push('Dimensions is not an array');
    else
      for (const set of d.Dimensions) {
        if (!Array.isArray(set) || set.length > 30) problems.push(`bad dimension set ${JSON.stringify(set)}`);
        else
          for (const key of set)
            if (typeof doc[key] !== 'string' || doc[key] === '')
              problems.push(`dimension ${String(key)} has no string value`);
      }
    if (!Array.isArray(d.Metrics) || d.Metrics.length === 0 || d.Metrics.length > 100)
      problems.push('Metrics must hold 1 to 100 definitions');
    else
      for (const m of d.Metrics) {
        const name = isObject(m) ? m.Name : undefined;
        if (typeof name !== 'string' || name === '') {
          problems.push('a metric has no Name');
          continue;
        }
        const value = doc[name];
        const values = Array.isArray(value) ? value : [value];
        if (
          values.length === 0 ||
          values.length > 100 ||
          !values.every((v) => typeof v === 'number' && Number.isFinite(v))
        )
          problems.push(`metric ${name} has no valid value`);
      }
  }
  return problems;
};

/** Metric name → the dimension sets (sorted keys joined with `,`) it was emitted under, per namespace. */
export const emittedMetrics = (documents: readonly EmfDocument[]): Map<string, Map<string, Set<string>>> => {
  const out = new Map<string, Map<string, Set<string>>>();
  for (const doc of documents)
    for (const d of doc._aws.CloudWatchMetrics) {
      const byName = out.get(d.Namespace) ?? new Map<string, Set<string>>();
      out.set(d.Namespace, byName);
      for (const m of d.Metrics) {
        const sets = byName.get(m.Name) ?? new Set<string>();
        byName.set(m.Name, sets);
        for (const dims of d.Dimensions) sets.add([...dims].sort().join(','));
      }
    }
  return out;
};
