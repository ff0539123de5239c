/** Static credentials (the shape every AWS SDK v3 client accepts). */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Client configuration shared by the local-mode modules: one endpoint (moto_server, LocalStack or
 * real AWS), one region, and dummy credentials when none are configured (emulators accept any).
 */
export interface LocalAwsConfig {
  /** `http://127.0.0.1:<port>` of the emulator; undefined means the SDK's own resolution (real AWS). */
  readonly endpoint?: string;
  readonly region: string;
  /** @default the SDK chain when AWS_ACCESS_KEY_ID or AWS_PROFILE is set, otherwise dummies */
  readonly credentials?: AwsCredentialIdentity;
}

/** Credentials emulators accept; used only when nothing else is configured. */
export const DUMMY_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'local', secretAccessKey: 'local' };

/** True when the environment configures credentials the SDK can find itself. */
export const hasAmbientCredentials = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;

/** Options for an AWS SDK v3 client constructor. */
export const clientConfig = (config: LocalAwsConfig) => ({
  region: config.region,
  ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
  ...(config.credentials !== undefined
    ? { credentials: config.credentials }
    : !hasAmbientCredentials() && { credentials: DUMMY_CREDENTIALS }),
});
