import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import {
  logicalIdOf,
  resourcesOfType,
  type Synthesized,
  synthStack,
  type TemplateResource,
} from './support/synth';

/** Intent of the read API: paths, authorization, read-only grants, throttling, logs, outputs. */

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every action the API function's role may call. */
const apiFunctionActions = (synth: Synthesized): string[] => {
  const roleId = logicalIdOf(synth.stack, synth.stack.taskpulse.readApi.apiFunction.role as never);
  return Object.values(synth.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(roleId))
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [])
    .flatMap(actionsOf);
};

/** `GET` methods by full path (`/v1/{proxy+}`), with their authorization type. */
const methodsByPath = (resources: Record<string, TemplateResource>): Record<string, string> => {
  const pathOf = (ref: unknown): string => {
    const id = (ref as { Ref?: string }).Ref;
    const r = id === undefined ? undefined : resources[id];
    if (r?.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(r.Properties?.ParentId)}/${String(r.Properties?.PathPart)}`;
  };
  return Object.fromEntries(
    resourcesOfType(resources, 'AWS::ApiGateway::Method').map(([, m]) => [
      `${m.Properties?.HttpMethod} ${pathOf(m.Properties?.ResourceId)}`,
      String(m.Properties?.AuthorizationType),
    ]),
  );
};

describe('read API', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthStack();
  });

  it('serves GET /v1/*, /health, /metrics and /openapi.json, each behind IAM (SigV4)', () => {
    expect(methodsByPath(synth.resources)).toEqual({
      'GET /v1/{proxy+}': 'AWS_IAM',
      'GET /openapi.json': 'AWS_IAM',
      'GET /health': 'AWS_IAM',
      'GET /metrics': 'AWS_IAM',
    });
    expect(resourcesOfType(synth.resources, 'AWS::ApiGateway::Authorizer')).toEqual([]);
    expect(resourcesOfType(synth.resources, 'AWS::SecretsManager::Secret')).toEqual([]);
  });

  it('runs the API function read-only: no DynamoDB write, no queue send or delete', () => {
    const actions = apiFunctionActions(synth);
    expect(
      actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite|Scan)/.test(a)),
    ).toEqual([]);
    expect([...new Set(actions.filter((a) => a.startsWith('sqs:')))]).toEqual(['sqs:GetQueueAttributes']);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'cloudwatch:GetMetricData']));
  });

  it('throttles the stage and writes an access log', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          HttpMethod: '*',
          ResourcePath: '/*',
        }),
      ]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('outputs the API URL', () => {
    expect(synth.template.toJSON().Outputs[OUTPUT.apiUrl]).toBeDefined();
    expect(synth.template.toJSON().Outputs[OUTPUT.apiTokenSecretArn]).toBeUndefined();
  });

  it('takes caller throttling limits over the defaults', () => {
    const custom = synthStack({ api: { throttlingRateLimit: 5, throttlingBurstLimit: 7 } });
    custom.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 7 }),
      ]),
    });
  });
});

describe('read API with the bearer token', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthStack({ api: { bearerToken: true } });
  });

  it('lets the token open /metrics and /health only; /v1 and /openapi.json stay SigV4', () => {
    expect(methodsByPath(synth.resources)).toEqual({
      'GET /v1/{proxy+}': 'AWS_IAM',
      'GET /openapi.json': 'AWS_IAM',
      'GET /health': 'CUSTOM',
      'GET /metrics': 'CUSTOM',
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
    });
  });

  it('keeps the token in Secrets Manager, readable only by the authorizer', () => {
    const secrets = resourcesOfType(synth.resources, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [secretId] = secrets[0]!;
    const readers = resourcesOfType(synth.resources, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties?.PolicyDocument).includes(`"Ref":"${secretId}"`),
    );
    const authorizerRole = logicalIdOf(
      synth.stack,
      synth.stack.taskpulse.readApi.tokenAuthorizerFunction!.role as never,
    );
    expect(readers.map(([, p]) => JSON.stringify(p.Properties?.Roles))).toEqual([
      JSON.stringify([{ Ref: authorizerRole }]),
    ]);
    expect(synth.template.toJSON().Outputs[OUTPUT.apiTokenSecretArn]).toBeDefined();
  });
});

describe('read API under cdk-nag', () => {
  it('has no unsuppressed AwsSolutions finding with the bearer token on', () => {
    const synth = synthStack({ api: { bearerToken: true } }, { nag: true });
    const annotations = Annotations.fromStack(synth.stack);
    const findings = [
      ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`)).toEqual([]);
  });
});
