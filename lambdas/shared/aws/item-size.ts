import type { AttributeValue } from '@aws-sdk/client-dynamodb';

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
