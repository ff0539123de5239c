import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../lambdas/shared/aws/clients';
import type { AwsConfig } from './target';

/** AWS clients of one command run, created on first use with the target's settings, destroyed after. */
export class Clients {
  private readonly made: { destroy(): void }[] = [];
  private cache = new Map<string, unknown>();

  constructor(private readonly aws: AwsConfig) {}

  private once<T extends { destroy(): void }>(key: string, make: () => T): T {
    let client = this.cache.get(key) as T | undefined;
    if (client === undefined) {
      client = make();
      this.cache.set(key, client);
      this.made.push(client);
    }
    return client;
  }

  get dynamodb(): DynamoDBClient {
    return this.once('dynamodb', () => new DynamoDBClient(this.aws));
  }

  /** Document client with the Lambdas' marshalling options (the store modules expect them). */
  get doc(): DynamoDBDocumentClient {
    return this.once('doc', () => documentClient(this.dynamodb));
  }

  get streams(): DynamoDBStreamsClient {
    return this.once('streams', () => new DynamoDBStreamsClient(this.aws));
  }

  get sqs(): SQSClient {
    return this.once('sqs', () => new SQSClient(this.aws));
  }

  get lambda(): LambdaClient {
    // A backfill chunk may run for minutes: no client-side timeout shorter than the function's.
    return this.once('lambda', () => new LambdaClient({ ...this.aws, maxAttempts: 1 }));
  }

  destroy(): void {
    for (const client of this.made.reverse()) client.destroy();
    this.made.length = 0;
    this.cache = new Map();
  }
}
