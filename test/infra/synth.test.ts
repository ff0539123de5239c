import { describe, expect, it } from 'vitest';
import { synthTemplate } from '../../infra/synth';
import { defaultStack, type TemplateResource } from './support/synth';

/**
 * Resources without what synthTemplate's construct-path metadata changes (as `cdk synth`'s does): each
 * resource's `Metadata`, and the hash suffix of the API deployment's logical id (it hashes the methods
 * with their metadata).
 */
const withoutPathMetadata = (resources: Record<string, TemplateResource>): unknown =>
  JSON.parse(
    JSON.stringify(
      Object.fromEntries(Object.entries(resources).map(([id, { Metadata: _m, ...r }]) => [id, r])),
    ).replace(/(ApiDeployment[0-9A-F]{8})[0-9a-f]{32}/g, '$1'),
  );

describe('synthTemplate (the template local mode, the bench and the moto tests deploy)', () => {
  it("gives the resources `cdk synth` gives, cdk.json's feature flags included", () => {
    // Act
    const { template } = synthTemplate({ stackName: 'Taskpulse-test' });

    // Assess: the same resources as the infra tests' synth, which sets cdk.json's context like `cdk synth`.
    expect(withoutPathMetadata(template.Resources)).toEqual(withoutPathMetadata(defaultStack().resources));
  });
});
