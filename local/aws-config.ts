/** Credentials emulators accept; used only when the environment configures none. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** True when the environment configures credentials the SDK can find itself. */
export const hasAmbientCredentials = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.AWS_ACCESS_KEY_ID !== undefined || env.AWS_PROFILE !== undefined;

/**
 * Options for an AWS SDK v3 client of local mode: the emulator's endpoint and region, and dummy
 * credentials unless the environment has some (emulators accept any).
 */
export const clientConfig = (config: { readonly endpoint: string; readonly region: string }) => ({
  region: config.region,
  endpoint: config.endpoint,
  ...(!hasAmbientCredentials() && { credentials: DUMMY_CREDENTIALS }),
});
