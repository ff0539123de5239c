import type { TestProject } from 'vitest/node';
import { type RunningMoto, startMoto } from '../../local/moto';

/**
 * One moto_server for the integration project (vitest.config.ts), on a free loopback port. Tests read its address from
 * `inject('motoEndpoint')` and create uniquely named resources, so test files never collide.
 */
let moto: RunningMoto | undefined;

export async function setup(project: TestProject): Promise<void> {
  moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await moto?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}
