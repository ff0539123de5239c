import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../../../lambdas/shared/queries/errors';
import { decodePageToken, encodePageToken } from '../../../../lambdas/shared/queries/page-token';

describe('page tokens', () => {
  it('carry the query and the cursor', () => {
    const query = {
      taskType: 'send_invoice',
      status: null,
      fromIso: '2026-03-01T00:00:00.000Z',
      toIso: '2026-03-02T00:00:00.000Z',
    };

    const token = encodePageToken(query, '2026-03-01T10:00:00.000Z#inv-1');

    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token)).toEqual({ query, cursor: '2026-03-01T10:00:00.000Z#inv-1' });
  });

  it.each([
    '',
    'xyz',
    Buffer.from('{"v":2}').toString('base64url'),
    Buffer.from('[1]').toString('base64url'),
  ])('refuses %j as a usage error', (token) => {
    expect(() => decodePageToken(token)).toThrow(InvalidQueryError);
  });
});
