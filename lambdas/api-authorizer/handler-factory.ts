import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { bearerTokenMatches, tokenResourcesOf } from '../domain/bearer-token';

/** Dependencies of the token authorizer. */
export interface TokenAuthorizerDeps {
  /** The configured token (from Secrets Manager; cached by the caller). */
  readonly readToken: () => Promise<string>;
  /** Paths a valid token may `GET` (e.g. `/metrics`, `/health`). */
  readonly paths: readonly string[];
}

/**
 * Build the API Gateway TOKEN authorizer: `Bearer <token>` equal to the configured token gets an
 * Allow policy for `GET` on `paths`; anything else is refused with `Unauthorized`, which API Gateway
 * answers as 401 (the documented way for a token authorizer to refuse).
 */
export const createTokenAuthorizer =
  (deps: TokenAuthorizerDeps) =>
  async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    if (!bearerTokenMatches(event.authorizationToken, await deps.readToken()))
      throw new Error('Unauthorized');
    return {
      principalId: 'taskpulse-read-token',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: tokenResourcesOf(event.methodArn, deps.paths),
          },
        ],
      },
    };
  };
