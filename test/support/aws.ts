import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/**
 * Client configuration for tests that talk to moto_server over the wire. Credentials are dummies:
 * moto accepts any.
 */
export const motoClientConfig = () => ({
  endpoint: inject('motoEndpoint'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

/** A resource name no other test uses. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
