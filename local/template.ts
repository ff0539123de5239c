import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { TaskpulseProps } from '../infra/taskpulse';
import { TaskpulseStack } from '../infra/taskpulse-stack';
import { stackNameFor } from '../lambdas/shared/names/outputs';

/**
 * Synthesize the Taskpulse stack in-process so the emulator's CloudFormation creates local resources
 * from the very template that would be deployed: local and deployed resources cannot drift apart.
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

/** Code every function gets in the emulator: handlers run in-process, moto never invokes it. */
const PLACEHOLDER_CODE = {
  ZipFile: 'exports.handler = async () => { throw new Error("runs in-process"); };',
};

/**
 * The template as the emulator can create it. Pure. Left out: the bootstrap-version parameter and rule
 * (they read SSM); CloudWatch alarms and the dashboard (moto's CloudFormation does not create them, and
 * local mode prints the metrics instead) with the outputs that name them; the event source mappings
 * (moto would deliver their records itself, to a Lambda it cannot run, and drop them: the in-process
 * pollers play the mappings instead). Function code is inline, so no asset bucket is needed (moto
 * checks `S3Bucket` unless started with `VALIDATE_LAMBDA_S3=false`).
 */
export const emulatorTemplate = (template: CfnTemplate): CfnTemplate => {
  const all = Object.entries(template.Resources);
  const isLeftOut = (r: CfnResource) =>
    r.Type.startsWith('AWS::CloudWatch::') || r.Type === 'AWS::Lambda::EventSourceMapping';
  const leftOut = all.filter(([, r]) => isLeftOut(r)).map(([id]) => `"${id}"`);
  const resources = all
    .filter(([, r]) => !isLeftOut(r))
    .map(([id, r]) => [
      id,
      r.Type === 'AWS::Lambda::Function'
        ? { ...r, Properties: { ...r.Properties, Code: PLACEHOLDER_CODE } }
        : r,
    ]);
  // An output that refers to a resource left out (an alarm's or the dashboard's name) is left out too.
  const outputs = Object.entries(template.Outputs ?? {}).filter(
    ([, o]) => !leftOut.some((id) => JSON.stringify(o.Value).includes(id)),
  );
  return { Resources: Object.fromEntries(resources), Outputs: Object.fromEntries(outputs) };
};

/**
 * Synthesize `TaskpulseStack` (`stackName`: @default stackNameFor(props.stage ?? 'dev'); `props`:
 * @default {}) with asset bundling skipped (no esbuild run, a few seconds at most) into a temporary
 * directory that is removed afterwards, and return the template.
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
