import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Requests and items DynamoDB returned (Query and Scan rows, GetItem, BatchGetItem rows), counted by a
 * middleware on the client: how the read API's cost is measured by `npm run bench:api` and its tests.
 * Free of vitest so the bench can load it.
 */
export interface ReadCount {
  requests: number;
  items: number;
}

export const attachReadCounter = (client: DynamoDBClient): ReadCount => {
  const count: ReadCount = { requests: 0, items: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const out = result.output as {
        Item?: unknown;
        Items?: unknown[];
        Responses?: Record<string, unknown[]>;
      };
      count.requests += 1;
      count.items +=
        (out.Items?.length ?? 0) +
        (out.Item === undefined ? 0 : 1) +
        Object.values(out.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
      return result;
    },
    { step: 'build', name: 'readCounter' },
  );
  return count;
};
