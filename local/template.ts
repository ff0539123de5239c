import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { TaskpulseProps } from '../infra/taskpulse';
import { TaskpulseStack } from '../infra/taskpulse-stack';
import { stackNameFor } from '../lambdas/shared/names/outputs';

/**
 * Synthesize the Taskpulse stack in-process so local mode creates its resources from the very
 * template that would be deployed: local and deployed resources cannot drift apart.
 */

/** One resource of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
}

/** The parts of a CloudFormation template local mode reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Description?: string }>;
  readonly Parameters?: Record<string, unknown>;
  readonly Conditions?: Record<string, unknown>;
}

/** What to synthesize. */
export interface SynthOptions {
  /** Stack name; also the prefix of local physical names. @default stackNameFor(props.stage ?? 'dev') */
  readonly stackName?: string;
  /** Props of the Taskpulse construct. @default {} */
  readonly props?: TaskpulseProps;
}

/**
 * Synthesize `TaskpulseStack` with asset bundling skipped (no esbuild run, a few seconds at most) into a
 * temporary directory that is removed afterwards, and return the template JSON.
 */
export const synthTemplate = (options: SynthOptions = {}): { stackName: string; template: CfnTemplate } => {
  const props = options.props ?? {};
  const stackName = options.stackName ?? stackNameFor(props.stage ?? 'dev');
  const outdir = mkdtempSync(path.join(tmpdir(), 'taskpulse-synth-'));
  try {
    const app = new App({
      outdir,
      // The wasm CloudFormation linter costs seconds per run; `npm run synth` and the infra tests lint.
      builtinCloudFormationValidation: false,
      context: {
        // An empty list means "bundle the assets of no stack": Lambda code runs in-process locally.
        'aws:cdk:bundling-stacks': [],
        // `aws:cdk:path` metadata names each function's construct (the CLI sets this; a bare App does not).
        'aws:cdk:enable-path-metadata': true,
      },
    });
    const stack = new TaskpulseStack(app, stackName, { taskpulse: props });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as CfnTemplate;
    return { stackName: stack.stackName, template };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};
