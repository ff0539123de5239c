import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/**
 * Client configuration for tests that talk to moto_server over the wire. Credentials are dummies:
 * moto accepts any.
 */
export const motoClientConfig = () => ({
  endpoint: motoEndpoint(),
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

/**
 * The emulator's address. Only the integration project starts moto (vitest.config.ts); a test that
 * reaches here from another project is misnamed, so say how to fix it instead of timing out.
 */
const motoEndpoint = (): string => {
  const endpoint = inject('motoEndpoint');
  if (!endpoint) {
    throw new Error(
      'This test talks to moto_server, which only the integration project starts: name the file *.int.test.ts (see CONTRIBUTING.md, "Tests").',
    );
  }
  return endpoint;
};

/** A resource name no other test uses. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
