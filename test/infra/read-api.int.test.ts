import { describe, expect, it } from 'vitest';
import { synthTemplate } from '../../infra/synth';
import { pipelineLocationFromEnv } from '../../lambdas/shared/aws/pipeline-probe';
import { ENV } from '../../lambdas/shared/names/env';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { deployLocalStack } from '../../local/deploy';
import { motoClientConfig, uniqueName } from '../support/aws';

/**
 * The read API's resources in the emulator's CloudFormation: local mode deploys the same template, so
 * the stack must still create, and the API function must get its resolved environment (local mode
 * serves the API handler with it).
 */
describe('read API in the emulator', () => {
  it('deploys with the API and gives the API function the queues and the aggregator to probe', async () => {
    // Prepare
    const aws = motoClientConfig();
    const { stackName, template } = synthTemplate({ stackName: uniqueName('tp') });
    // Act
    const stack = await deployLocalStack({ endpoint: aws.endpoint, region: aws.region, stackName, template });
    // Assess
    const api = stack.functions.find((f) => f.constructId === 'ApiFunction');
    expect(api).toBeDefined();
    const where = pipelineLocationFromEnv(api!.environment);
    expect(where?.deadLetterQueueUrl).toContain(stack.outputs[OUTPUT.deadLetterQueueUrl]!.split('/').at(-1));
    expect(api!.environment[ENV.stateTable]).toBe(stack.outputs[OUTPUT.stateTableName]);
  });
});
