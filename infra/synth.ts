import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { stackNameFor } from '../lambdas/shared/names/outputs';
import type { TaskpulseProps } from './taskpulse';
import { TaskpulseStack } from './taskpulse-stack';

/**
 * The Taskpulse stack synthesized in-process, for the tools that read or deploy its template: local
 * mode has the emulator's CloudFormation create it (so local and deployed resources cannot drift
 * apart), the local dashboard draws its dashboard body, the bench and the tests deploy it to moto.
 */

/** One resource of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** The parts of a CloudFormation template local mode reads. */
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value: unknown; readonly Description?: string }>;
}

/**
 * The context of `cdk.json` (the feature flags): every in-process synth sets it, so that what it gives
 * is what `cdk synth` gives (the flags change the template, e.g. how IAM statements are merged).
 */
export const cdkJsonContext = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;

/**
 * Synthesize `TaskpulseStack` (`stackName`: @default stackNameFor(props.stage ?? 'dev'); `props`:
 * @default {}) with cdk.json's context and asset bundling skipped (no esbuild run, a few seconds at
 * most) into a temporary directory that is removed afterwards, and return the template.
 */
export const synthTemplate = (
  options: { readonly stackName?: string; readonly props?: TaskpulseProps } = {},
): { stackName: string; template: CfnTemplate } => {
  const props = options.props ?? {};
  const stackName = options.stackName ?? stackNameFor(props.stage ?? 'dev');
  const outdir = mkdtempSync(path.join(tmpdir(), 'taskpulse-synth-'));
  try {
    const app = new App({
      outdir,
      // The wasm CloudFormation linter costs seconds per run; `npm run synth` and the infra tests lint.
      builtinCloudFormationValidation: false,
      context: {
        ...cdkJsonContext(),
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
