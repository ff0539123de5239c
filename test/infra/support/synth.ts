import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyNagChecks, suppressTaskpulseFindings } from '../../../infra/nag';
import type { TaskpulseProps } from '../../../infra/taskpulse';
import { TaskpulseStack } from '../../../infra/taskpulse-stack';

/** A resource of a synthesized template, as `Template.toJSON()` gives it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Synthesized {
  readonly stack: TaskpulseStack;
  readonly template: Template;
  readonly resources: Record<string, TemplateResource>;
}

/** The context of `cdk.json` (the feature flags), so tests synthesize what `cdk synth` does. */
export const cdkJsonContext = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
      context: Record<string, unknown>;
    }
  ).context;

/**
 * Synthesize the standalone stack without bundling (the functions get placeholder code, a few
 * seconds instead of an esbuild run per function), optionally with the cdk-nag checks as `app.ts`
 * applies them.
 */
export const synthStack = (
  props: TaskpulseProps = {},
  options: { nag?: boolean; stackName?: string } = {},
): Synthesized => {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new TaskpulseStack(app, options.stackName ?? 'Taskpulse-test', { taskpulse: props });
  if (options.nag === true) {
    suppressTaskpulseFindings(stack.taskpulse);
    applyNagChecks(app, { reports: false });
  }
  const template = Template.fromStack(stack);
  return {
    stack,
    template,
    resources: template.toJSON().Resources as Record<string, TemplateResource>,
  };
};

/** Resources of one type, by logical id. */
export const resourcesOfType = (
  resources: Record<string, TemplateResource>,
  type: string,
): [string, TemplateResource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The logical id of the resource a construct rendered (e.g. the ingest function's `AWS::Lambda::Function`). */
export const logicalIdOf = (stack: TaskpulseStack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as never);
