import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from '../../../../lambdas/shared/queries/errors';
import { decodePageToken, encodePageToken, resumeQuery } from '../../../../lambdas/shared/queries/page-token';

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
  ])('refuses %j as a token', (token) => {
    expect(() => decodePageToken(token)).toThrow(InvalidQueryError);
  });
});

describe('resumeQuery', () => {
  const fresh = {
    taskType: 'send_invoice',
    status: null,
    fromIso: '2026-03-02T00:00:00.000Z',
    toIso: '2026-03-03T00:00:00.000Z',
  };
  const earlier = { ...fresh, fromIso: '2026-03-01T00:00:00.000Z', toIso: '2026-03-02T00:00:00.000Z' };
  const token = encodePageToken(earlier, 'cursor-1');

  it("continues the token's query, time range included", () => {
    expect(resumeQuery(fresh, token, { taskType: true, status: false })).toEqual({
      query: earlier,
      cursor: 'cursor-1',
    });
    expect(resumeQuery(fresh, undefined, { taskType: true, status: false })).toEqual({ query: fresh });
  });

  it('refuses a token of another query and says why', () => {
    const other = { ...fresh, taskType: 'resize_image' };

    expect(() => resumeQuery(other, token, { taskType: true, status: false })).toThrow(
      expect.objectContaining({ problem: 'other-query' }),
    );
    expect(() => resumeQuery(fresh, 'garbage', { taskType: false, status: false })).toThrow(
      expect.objectContaining({ problem: 'invalid' }),
    );
  });
});
