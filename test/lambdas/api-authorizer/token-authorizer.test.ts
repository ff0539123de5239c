import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createTokenAuthorizer } from '../../../lambdas/api-authorizer/handler-factory';
import { bearerTokenMatches } from '../../../lambdas/domain/bearer-token';

const TOKEN = 'a'.repeat(24) + 'B7c9D1e3F5g7H9j2K4m6';
const ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/metrics';

const eventWith = (authorizationToken: string): APIGatewayTokenAuthorizerEvent => ({
  type: 'TOKEN',
  authorizationToken,
  methodArn: ARN,
});

describe('bearerTokenMatches', () => {
  it('accepts exactly "Bearer <token>"', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it('refuses another token, a prefix of it, another scheme or no header', () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerTokenMatches(undefined, TOKEN)).toBe(false);
  });

  it('refuses everything when the configured token is too short to be a secret', () => {
    expect(bearerTokenMatches('Bearer short', 'short')).toBe(false);
    expect(bearerTokenMatches('Bearer ', '')).toBe(false);
  });
});

describe('token authorizer', () => {
  const authorize = createTokenAuthorizer({ readToken: async () => TOKEN, paths: ['/metrics', '/health'] });

  it('allows GET on the token paths of the stage for the right token', async () => {
    const result = await authorize(eventWith(`Bearer ${TOKEN}`));
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: [
          'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/metrics',
          'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/health',
        ],
      },
    ]);
  });

  it('answers Unauthorized (API Gateway: 401) for a wrong token', async () => {
    await expect(authorize(eventWith('Bearer not-the-token-not-the-token-not-the'))).rejects.toThrow(
      'Unauthorized',
    );
  });
});
