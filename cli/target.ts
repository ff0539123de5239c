import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ENV } from '../lambdas/shared/names/env';
import { OUTPUT, stackNameFor } from '../lambdas/shared/names/outputs';
import { SDK_ENV } from '../sdk/src/options';
import { ResourceNotFoundError } from './errors';
import type { CliIo } from './io';
import { localStackFilePath, readLocalStackFile } from './local-stack-file';

/**
 * Where the CLI's resources are. In order of precedence, for each resource:
 * 1. its flag (`--history-table`…) or environment variable (`TASKPULSE_HISTORY_TABLE`…);
 * 2. local mode's stack file, with `--local` (or when `AWS_ENDPOINT_URL` names the endpoint in it);
 * 3. the outputs of the deployed stack (CloudFormation DescribeStacks of `--stack`, default
 *    `Taskpulse-<--stage|dev>`), read once and only when a resource is not given otherwise.
 */

/** Environment variables of the CLI besides the AWS SDK's own. */
const CLI_ENV = {
  stack: 'TASKPULSE_STACK',
  stage: ENV.stage,
  queueUrl: SDK_ENV.queueUrl,
  dlqUrl: 'TASKPULSE_DLQ_URL',
  historyTable: ENV.historyTable,
  stateTable: ENV.stateTable,
  rollupFunction: 'TASKPULSE_ROLLUP_FUNCTION',
  dashboardName: 'TASKPULSE_DASHBOARD_NAME',
} as const;

/** The resources commands use: the stack output, flag and variable that name each. */
export const RESOURCES = {
  eventsQueue: {
    what: 'events queue URL',
    output: OUTPUT.eventsQueueUrl,
    option: 'queueUrl',
    flag: '--queue-url',
    env: CLI_ENV.queueUrl,
  },
  deadLetterQueue: {
    what: 'dead-letter queue URL',
    output: OUTPUT.deadLetterQueueUrl,
    option: 'dlqUrl',
    flag: '--dlq-url',
    env: CLI_ENV.dlqUrl,
  },
  historyTable: {
    what: 'history table',
    output: OUTPUT.historyTableName,
    option: 'historyTable',
    flag: '--history-table',
    env: CLI_ENV.historyTable,
  },
  stateTable: {
    what: 'state table',
    output: OUTPUT.stateTableName,
    option: 'stateTable',
    flag: '--state-table',
    env: CLI_ENV.stateTable,
  },
  rollupFunction: {
    what: 'rollup function',
    output: OUTPUT.rollupFunctionName,
    option: 'rollupFunction',
    flag: '--rollup-function',
    env: CLI_ENV.rollupFunction,
  },
  dashboardName: {
    what: 'CloudWatch dashboard name',
    output: OUTPUT.dashboardName,
    option: 'dashboardName',
    flag: '--dashboard-name',
    env: CLI_ENV.dashboardName,
  },
} as const;

export type ResourceName = keyof typeof RESOURCES;

/** Options every command that talks to AWS accepts (commander camel-cases the flags). */
export interface TargetOptions {
  readonly stack?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly local?: boolean;
  readonly queueUrl?: string;
  readonly dlqUrl?: string;
  readonly historyTable?: string;
  readonly stateTable?: string;
  readonly rollupFunction?: string;
  readonly dashboardName?: string;
}

/** Settings for AWS SDK v3 client constructors. */
export interface AwsConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly profile?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Where a command's resources are and how to reach them. */
export interface Target {
  /** `local`: an emulator run by local mode; `aws`: anything else (AWS, LocalStack, a custom endpoint). */
  readonly kind: 'aws' | 'local';
  readonly stackName: string;
  /** For messages, e.g. `stack Taskpulse-dev (eu-west-1)`. */
  readonly label: string;
  readonly aws: AwsConfig;
  /** The name or URL of a resource; throws `ResourceNotFoundError` with the fix when there is none. */
  resource(name: ResourceName): Promise<string>;
}

/** Credentials emulators accept. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

const sameEndpoint = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** Static credentials from the environment, when it holds a key pair. */
const envCredentials = (env: CliIo['env']): AwsConfig['credentials'] => {
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  const sessionToken = nonEmpty(env.AWS_SESSION_TOKEN);
  return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined && { sessionToken }) };
};

const explicitValue = (name: ResourceName, options: TargetOptions, env: CliIo['env']): string | undefined => {
  const r = RESOURCES[name];
  return nonEmpty(options[r.option]) ?? nonEmpty(env[r.env]);
};

/** Read the outputs of a deployed stack. */
const describeOutputs = async (aws: AwsConfig, stackName: string): Promise<Record<string, string>> => {
  const cfn = new CloudFormationClient(aws);
  try {
    const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = res.Stacks?.[0];
    if (stack === undefined) throw new Error(`Stack with id ${stackName} does not exist`);
    const outputs: Record<string, string> = {};
    for (const o of stack.Outputs ?? [])
      if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
    return outputs;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    if (/does not exist/i.test(e.message ?? '')) {
      throw new ResourceNotFoundError(
        `stack ${stackName} not found${aws.region === undefined ? '' : ` in ${aws.region}`}`,
        {
          hint:
            'deploy it (npx cdk deploy -c stage=<stage>), choose another with --stack or --stage (and --region), ' +
            'or use --local for local mode (npm start)',
          cause: error,
        },
      );
    }
    throw error;
  } finally {
    cfn.destroy();
  }
};

/** Decide where the resources are. Reads the local stack file; never calls AWS (outputs are read lazily). */
export const resolveTarget = async (options: TargetOptions, io: CliIo): Promise<Target> => {
  const env = io.env;
  const file = localStackFilePath(io.cwd ?? process.cwd(), env);
  const endpoint = nonEmpty(options.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const local = options.local === true || endpoint !== undefined ? await readLocalStackFile(file) : undefined;
  if (options.local === true && local === undefined) {
    throw new ResourceNotFoundError(`no local stack: ${file} does not exist`, {
      hint: 'start local mode with npm start (it writes that file), then run this command again',
    });
  }
  if (local !== undefined && (options.local === true || sameEndpoint(local.endpoint, endpoint!))) {
    return {
      kind: 'local',
      stackName: local.stackName,
      label: `local stack ${local.stackName} at ${local.endpoint}`,
      aws: { region: local.region, endpoint: local.endpoint, credentials: EMULATOR_CREDENTIALS },
      resource: async (name) => {
        const value = explicitValue(name, options, env) ?? local.outputs[RESOURCES[name].output];
        if (value !== undefined) return value;
        throw new ResourceNotFoundError(
          `local stack ${local.stackName} has no ${RESOURCES[name].what} (output ${RESOURCES[name].output})`,
          { hint: `restart local mode (npm start) to recreate the stack, or pass ${RESOURCES[name].flag}` },
        );
      },
    };
  }

  const stackName =
    nonEmpty(options.stack) ??
    nonEmpty(env[CLI_ENV.stack]) ??
    stackNameFor(nonEmpty(options.stage) ?? nonEmpty(env[CLI_ENV.stage]) ?? 'dev');
  const region = nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  const profile = nonEmpty(options.profile) ?? nonEmpty(env.AWS_PROFILE);
  const credentials = nonEmpty(options.profile) === undefined ? envCredentials(env) : undefined;
  const aws: AwsConfig = {
    ...(region !== undefined && { region }),
    ...(endpoint !== undefined && { endpoint }),
    ...(profile !== undefined && credentials === undefined && { profile }),
    ...(credentials !== undefined && { credentials }),
  };
  let outputs: Promise<Record<string, string>> | undefined;
  return {
    kind: 'aws',
    stackName,
    label: `stack ${stackName}${region === undefined ? '' : ` (${region})`}`,
    aws,
    resource: async (name) => {
      const value = explicitValue(name, options, env);
      if (value !== undefined) return value;
      outputs ??= describeOutputs(aws, stackName);
      const fromStack = (await outputs)[RESOURCES[name].output];
      if (fromStack !== undefined) return fromStack;
      const r = RESOURCES[name];
      throw new ResourceNotFoundError(`stack ${stackName} has no output ${r.output} (the ${r.what})`, {
        hint: `deploy the current version (npx cdk deploy), or pass ${r.flag} / set ${r.env}`,
      });
    },
  };
};
