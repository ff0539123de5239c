// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests are about CloudFormation Fn::Sub syntax
import { describe, expect, it } from 'vitest';
import { type ResolveContext, referencedIds, resolveValue, UnresolvableError } from '../../local/intrinsics';

const ctx: ResolveContext = {
  region: 'eu-west-1',
  accountId: '123456789012',
  stackName: 'Demo',
  ref: (id) => ({ Queue: 'https://sqs/q', Table: 'Demo-Table' })[id],
  getAtt: (id, attr) =>
    id === 'Queue' && attr === 'Arn' ? 'arn:aws:sqs:eu-west-1:123456789012:q' : undefined,
  conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'AWS::StackName' }, 'Prod'] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
  },
};

describe('resolveValue', () => {
  it('resolves Ref, pseudo parameters and Fn::GetAtt', () => {
    expect(resolveValue({ Ref: 'Table' }, ctx)).toBe('Demo-Table');
    expect(resolveValue({ Ref: 'AWS::Region' }, ctx)).toBe('eu-west-1');
    expect(resolveValue({ 'Fn::GetAtt': ['Queue', 'Arn'] }, ctx)).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:q',
    );
    expect(resolveValue({ 'Fn::GetAtt': 'Queue.Arn' }, ctx)).toBe('arn:aws:sqs:eu-west-1:123456789012:q');
  });

  it('resolves Fn::Join, Fn::Select, Fn::Split and Fn::Sub', () => {
    expect(resolveValue({ 'Fn::Join': ['-', ['a', { Ref: 'Table' }]] }, ctx)).toBe('a-Demo-Table');
    expect(
      resolveValue({ 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] }, ctx),
    ).toBe('q');
    expect(resolveValue({ 'Fn::Sub': '${AWS::StackName}/${Table}/${Queue.Arn}/${!Literal}' }, ctx)).toBe(
      'Demo/Demo-Table/arn:aws:sqs:eu-west-1:123456789012:q/${Literal}',
    );
    expect(resolveValue({ 'Fn::Sub': ['${X}-${AWS::AccountId}', { X: { Ref: 'Table' } }] }, ctx)).toBe(
      'Demo-Table-123456789012',
    );
  });

  it('evaluates Fn::If with conditions and drops AWS::NoValue', () => {
    expect(resolveValue({ 'Fn::If': ['IsProd', 'big', 'small'] }, ctx)).toBe('small');
    expect(resolveValue({ 'Fn::If': ['NotProd', 'small', 'big'] }, ctx)).toBe('small');
    expect(
      resolveValue({ a: 1, b: { Ref: 'AWS::NoValue' }, c: ['x', { Ref: 'AWS::NoValue' }] }, ctx),
    ).toEqual({ a: 1, c: ['x'] });
  });

  it('names what it cannot resolve', () => {
    expect(() => resolveValue({ Ref: 'Missing' }, ctx)).toThrow(UnresolvableError);
    expect(() => resolveValue({ 'Fn::GetAtt': ['Queue', 'Nope'] }, ctx)).toThrow(/Queue.Nope/);
    expect(() => resolveValue({ 'Fn::ImportValue': 'x' }, ctx)).toThrow(/Fn::ImportValue/);
  });
});

describe('referencedIds', () => {
  it('lists resources referenced through Ref, Fn::GetAtt and Fn::Sub, not pseudo parameters', () => {
    const value = {
      a: { Ref: 'Table' },
      b: [{ 'Fn::GetAtt': ['Queue', 'Arn'] }],
      c: { 'Fn::Sub': '${Topic.TopicArn}-${AWS::Region}-${!Escaped}' },
    };
    expect([...referencedIds(value)].sort()).toEqual(['Queue', 'Table', 'Topic']);
  });
});
