import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

/**
 * DynamoDB's item size and write-unit rules, for the two places that must count units themselves
 * because moto reports a constant ConsumedCapacity: the bench's cost meter (bench/cost-meter.ts) and
 * the local dashboard's AWS/DynamoDB consumed-capacity series (dashboard/aws/). Item size is the sum
 * of attribute name lengths and value sizes (strings in UTF-8 bytes, numbers about 1 byte per 2
 * digits + 1, 3 bytes of overhead per map or list plus 1 per element), within a few bytes per
 * attribute of the documented rules.
 */

/** Size of one attribute value, bytes. */
const valueSize = (v: AttributeValue): number => {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) {
    return (
      3 +
      Object.entries(v.M).reduce((sum, [k, x]) => sum + Buffer.byteLength(k, 'utf8') + valueSize(x) + 1, 0)
    );
  }
  if (v.L !== undefined) return 3 + v.L.reduce((sum, x) => sum + valueSize(x) + 1, 0);
  if (v.SS !== undefined) return v.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (v.NS !== undefined) return v.NS.reduce((sum, s) => sum + Math.ceil(s.length / 2) + 1, 0);
  return 0;
};

/** Size of an item, bytes. */
export const itemSize = (item: Record<string, AttributeValue> | undefined): number =>
  item === undefined
    ? 0
    : Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);

/** Write units of one item write (not in a transaction). */
export const writeUnits = (before: number, after: number): number =>
  Math.max(1, Math.ceil(Math.max(before, after) / 1024));

/** The items of a read's output (GetItem, Query, Scan, BatchGetItem), in the form `T`. */
export type ReadItems<T> = { Item?: T; Items?: T[]; Responses?: Record<string, T[]> };

/**
 * Whether a request goes through a document client, as seen from middleware on its client's stack:
 * lib-dynamodb marks each of its requests with the `DDB_MAPPER` feature of the SDK's request context
 * (the mark its user agent reports). The SDK has no public flag for it.
 */
export const sentByDocumentClient = (context: object): boolean =>
  (context as { __aws_sdk_context?: { features?: Record<string, unknown> } }).__aws_sdk_context?.features
    ?.DDB_MAPPER !== undefined;

/**
 * A read's items as DynamoDB stores and bills them: attribute values. Middleware at the build step sees
 * a document client's output already unmarshalled (lib-dynamodb's `DocumentUnmarshall` runs at the
 * deserialize step, inside it), as plain values such as `null`; `plain` says so, and they are
 * marshalled back.
 */
export const storedReadItems = (
  output: unknown,
  plain: boolean,
): ReadItems<Record<string, AttributeValue>> => {
  const read = (output ?? {}) as ReadItems<Record<string, unknown>>;
  if (!plain) return read as ReadItems<Record<string, AttributeValue>>;
  const m = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });
  return {
    ...(read.Item !== undefined && { Item: m(read.Item) }),
    ...(read.Items !== undefined && { Items: read.Items.map(m) }),
    ...(read.Responses !== undefined && {
      Responses: Object.fromEntries(Object.entries(read.Responses).map(([t, items]) => [t, items.map(m)])),
    }),
  };
};
