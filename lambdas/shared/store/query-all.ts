import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** Every item a query matches, across pages (the SDK's paginator follows LastEvaluatedKey). */
export const queryAll = async (
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client: doc }, input)) out.push(...(page.Items ?? []));
  return out;
};
