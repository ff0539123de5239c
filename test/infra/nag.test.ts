import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESOURCELESS_ACTIONS } from '../../infra/nag';
import { appStack, type Synthesized, type TemplateResource } from './support/synth';

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] =>
  s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** Identity-policy statements (inline policies, role policies, managed policies) with where they come from. */
const identityStatements = (resources: Record<string, TemplateResource>): [string, Statement][] =>
  Object.entries(resources).flatMap(([id, r]) => {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      return ((p.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map(
        (s) => [id, s] as [string, Statement],
      );
    if (r.Type === 'AWS::IAM::Role')
      return ((p.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((pol) =>
        pol.PolicyDocument.Statement.map((s) => [id, s] as [string, Statement]),
      );
    return [];
  });

/** Resource-policy statements (queues, topics, keys). */
const resourcePolicyStatements = (resources: Record<string, TemplateResource>): [string, Statement][] =>
  Object.entries(resources).flatMap(([id, r]) => {
    const doc = (r.Properties?.PolicyDocument ?? r.Properties?.KeyPolicy) as
      | { Statement: Statement[] }
      | undefined;
    if (
      !['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::KMS::Key'].includes(r.Type) ||
      doc === undefined
    )
      return [];
    return doc.Statement.map((s) => [id, s] as [string, Statement]);
  });

const isWildcardAction = (action: string): boolean => action === '*' || /^[a-z0-9-]+:\*$/i.test(action);

/** The default KMS key policy statement that gives the account (through IAM) control of its key. */
const isAccountRootKeyAdmin = (r: TemplateResource | undefined, s: Statement): boolean =>
  r?.Type === 'AWS::KMS::Key' && JSON.stringify(s.Principal).includes(':root');

describe('cdk-nag AwsSolutions and least privilege', () => {
  let synth: Synthesized;

  beforeAll(() => {
    // Prepare / Act: the stack as infra/app.ts builds it, checks and suppressions included.
    synth = appStack();
  });

  it('has no unsuppressed AwsSolutions errors', () => {
    const errors = Annotations.fromStack(synth.stack).findError(
      '*',
      Match.stringLikeRegexp('AwsSolutions-.*'),
    );
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  it('has no unsuppressed AwsSolutions warnings', () => {
    const warnings = Annotations.fromStack(synth.stack).findWarning(
      '*',
      Match.stringLikeRegexp('AwsSolutions-.*'),
    );
    expect(warnings.map((w) => `${w.id}: ${String(w.entry.data).split('\n')[0]}`)).toEqual([]);
  });

  it('gives every suppression a written reason', () => {
    const suppressions = Object.entries(synth.resources).flatMap(([id, r]) => {
      const nag = r.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined;
      return (nag?.rules_to_suppress ?? []).map((s) => ({ resource: id, ...s }));
    });
    expect(suppressions.length).toBeGreaterThan(0);
    for (const s of suppressions) {
      expect(s.id, s.resource).toMatch(/^AwsSolutions-/);
      expect(s.reason.length, `${s.resource} ${s.id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('names in its IAM5 suppression reasons only actions the stack grants', () => {
    const granted = new Set(
      [...identityStatements(synth.resources), ...resourcePolicyStatements(synth.resources)].flatMap(
        ([, s]) => actionsOf(s),
      ),
    );
    const named = Object.values(synth.resources).flatMap((r) => {
      const nag = r.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined;
      return (nag?.rules_to_suppress ?? [])
        .filter((s) => s.id === 'AwsSolutions-IAM5')
        .flatMap((s) => s.reason.match(/\b[a-z0-9-]+:[A-Z][A-Za-z0-9]*\*?/g) ?? []);
    });
    expect(named.length).toBeGreaterThan(0);
    expect([...new Set(named)].filter((action) => !granted.has(action))).toEqual([]);
  });

  it('grants no wildcard actions in identity policies', () => {
    const wildcard = identityStatements(synth.resources).filter(
      ([, s]) => s.Effect === 'Allow' && actionsOf(s).some(isWildcardAction),
    );
    expect(wildcard).toEqual([]);
  });

  it('grants "*" resources only for actions that cannot be scoped to a resource', () => {
    const allowed = new Set<string>(RESOURCELESS_ACTIONS);
    const offending = identityStatements(synth.resources)
      .filter(([, s]) => s.Effect === 'Allow' && resourcesOf(s).includes('*'))
      .flatMap(([id, s]) =>
        actionsOf(s)
          .filter((a) => !allowed.has(a))
          .map((a) => `${id}: ${a}`),
      );
    expect(offending).toEqual([]);
  });

  it('grants partial-wildcard actions (kms:GenerateDataKey*) only on keys of this stack', () => {
    const keys = new Set(
      Object.entries(synth.resources)
        .filter(([, r]) => r.Type === 'AWS::KMS::Key')
        .map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })),
    );
    const offending = identityStatements(synth.resources)
      .filter(([, s]) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.endsWith('*')))
      .filter(([, s]) => !resourcesOf(s).every((r) => keys.has(JSON.stringify(r))));
    expect(offending).toEqual([]);
  });

  it('allows no wildcard actions in resource policies except the key administration by the account', () => {
    const wildcard = resourcePolicyStatements(synth.resources).filter(
      ([id, s]) =>
        s.Effect === 'Allow' &&
        actionsOf(s).some(isWildcardAction) &&
        !isAccountRootKeyAdmin(synth.resources[id], s),
    );
    expect(wildcard).toEqual([]);
  });
});
