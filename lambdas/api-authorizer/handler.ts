import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TOKEN_PATHS } from '../shared/names/api';
import { ENV, requireEnv } from '../shared/names/env';
import { createTokenAuthorizer } from './handler-factory';

/** Lambda entry of the read API's bearer-token authorizer: binds the secret once per container. */

const secretArn = requireEnv(ENV.apiTokenSecretArn);
const secrets = new SecretsManagerClient({});
/** How long a read token is reused: a rotated token takes effect within this (plus API Gateway's cache). */
const TOKEN_CACHE_MS = 300_000;
let cached: { token: string; untilMs: number } | undefined;

const readToken = async (): Promise<string> => {
  if (cached !== undefined && cached.untilMs > Date.now()) return cached.token;
  const res = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  cached = { token: res.SecretString ?? '', untilMs: Date.now() + TOKEN_CACHE_MS };
  return cached.token;
};

export const handler = createTokenAuthorizer({ readToken, paths: TOKEN_PATHS });
