import { App } from 'aws-cdk-lib';
import { stackNameFor } from '../lambdas/shared/names/outputs';
import { configFromContext } from './config';
import { applyNagChecks, suppressTaskpulseFindings } from './nag';
import { TaskpulseStack } from './taskpulse-stack';

/**
 * Standalone CDK app. Configure with context, e.g.
 * `npx cdk deploy -c stage=prod -c alertEmails=ops@example.com`.
 */
const app = new App();
const config = configFromContext(app.node);
const stack = new TaskpulseStack(app, stackNameFor(config.stage ?? 'dev'), {
  taskpulse: config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag AWS Solutions checks: synth fails on any unsuppressed finding (see infra/nag.ts).
suppressTaskpulseFindings(stack.taskpulse);
applyNagChecks(app);
