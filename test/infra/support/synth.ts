import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyNagChecks, suppressTaskpulseFindings } from '../../../infra/nag';
import { cdkJsonContext } from '../../../infra/synth';
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

/** What to synthesize besides the props. */
interface SynthOptions {
  /** Apply the cdk-nag checks as `app.ts` does. @default false */
  readonly nag?: boolean;
  /** @default 'Taskpulse-test' */
  readonly stackName?: string;
  /**
   * Run aws-cdk-lib's built-in CloudFormation validation during synth. Its first run in a process loads
   * a wasm validator (about 4 s of CPU); `npm test` lints the real template with cfn-lint after the
   * tests, so only the synth that mirrors `app.ts` (`appStack`) pays for it. @default false
   */
  readonly validate?: boolean;
}

/**
 * Synthesize the standalone stack without bundling (the functions get placeholder code, a few
 * seconds instead of an esbuild run per function), optionally with the cdk-nag checks as `app.ts`
 * applies them.
 */
export const synthStack = (props: TaskpulseProps = {}, options: SynthOptions = {}): Synthesized => {
  const app = new App({
    builtinCloudFormationValidation: options.validate ?? false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
  });
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

/** Call `make` once; later calls return its result. */
const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
};

/**
 * The stack with default props, synthesized once per test worker: the infra project shares a worker's
 * modules between files (`isolate: false` in vitest.config.ts), so every file asking for it after the
 * first gets the same synthesis. Read it, never change it.
 */
export const defaultStack = once(() => synthStack());

/** Props of `appStack`: monitoring with a dashboard task type and a failure-rate alarm. */
export const APP_PROPS: TaskpulseProps = {
  monitoring: { dashboardTaskTypes: ['send_invoice'], alarms: { failureRatePercent: 20 } },
};

/**
 * The stack with monitoring on (`APP_PROPS`, so there are alarms of every kind), checked the way
 * `infra/app.ts` checks it (cdk-nag checks and suppressions, CDK's built-in template validation);
 * synthesized once per test worker like `defaultStack`. Read it, never change it.
 */
export const appStack = once(() => synthStack(APP_PROPS, { nag: true, validate: true }));

/** Resources of one type, by logical id. */
export const resourcesOfType = (
  resources: Record<string, TemplateResource>,
  type: string,
): [string, TemplateResource][] => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The logical id of the resource a construct rendered (e.g. the ingest function's `AWS::Lambda::Function`). */
export const logicalIdOf = (stack: TaskpulseStack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as never);
