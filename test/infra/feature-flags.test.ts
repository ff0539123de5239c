import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/synth';

/** The recommended feature flags of the installed aws-cdk-lib, as `cdk init` writes them. */
const recommendedFlags = (): Record<string, unknown> => {
  const path = createRequire(import.meta.url).resolve('aws-cdk-lib/recommended-feature-flags.json');
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
};

describe('cdk.json feature flags', () => {
  it('sets every flag the installed aws-cdk-lib recommends, to the recommended value', () => {
    // After an aws-cdk-lib upgrade that adds flags this fails (and synth prints "N feature flags are
    // not configured"): review what each new flag changes in the template, then copy it into cdk.json.
    const context = cdkJsonContext();
    const differing = Object.entries(recommendedFlags())
      .filter(([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value))
      .map(([flag]) => flag);
    expect(differing).toEqual([]);
  });
});
