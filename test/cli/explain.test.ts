import { describe, expect, it } from 'vitest';
import { CliError, EXIT_CODE, UsageError } from '../../cli/errors';
import { explainError, formatError } from '../../cli/explain';
import { InvalidQueryError } from '../../lambdas/shared/queries/errors';

/** An error shaped like the AWS SDK's. */
const sdkError = (name: string, message: string, status?: number) =>
  Object.assign(new Error(message), {
    name,
    ...(status !== undefined && { $metadata: { httpStatusCode: status } }),
  });

describe('explainError', () => {
  it.each([
    [
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'no AWS credentials',
      /AWS_PROFILE/,
    ],
    [new Error('Region is missing'), 'no AWS region', /AWS_REGION/],
    [
      sdkError('ExpiredTokenException', 'The security token included in the request is expired', 400),
      /expired/,
      /aws sso login/,
    ],
    [
      sdkError('UnrecognizedClientException', 'The security token is invalid', 400),
      /does not accept/,
      /aws configure/,
    ],
    [
      sdkError('AccessDeniedException', 'not authorized to perform dynamodb:Query', 400),
      /refused/,
      /permissions/,
    ],
    [sdkError('ResourceNotFoundException', 'Requested resource not found', 400), /^not found/, /--stage/],
    [sdkError('QueueDoesNotExist', 'The specified queue does not exist.', 400), /^not found/, /--stage/],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }),
      /could not reach/,
      /network/,
    ],
  ])('%s', (error, message, hint) => {
    const explained = explainError(error);

    expect(explained.message).toMatch(message);
    expect(explained.hint).toMatch(hint);
    expect(explained.exitCode).toBe(EXIT_CODE.runtime);
    expect(explained.cause).toBe(error);
  });

  it('points at local mode when the local endpoint is down', () => {
    const explained = explainError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      {
        kind: 'local',
        endpoint: 'http://127.0.0.1:5000',
      },
    );

    expect(explained.message).toBe('could not reach http://127.0.0.1:5000: connect ECONNREFUSED');
    expect(explained.hint).toBe('is local mode running? start it with npm start in another terminal');
  });

  it('keeps CLI errors and their exit codes', () => {
    const usage = new UsageError('bad flag');

    expect(explainError(usage)).toBe(usage);
    expect(explainError('boom')).toEqual(new CliError('boom'));
  });

  it('turns input a shared query rejects into a usage error (exit code 2) with its fix', () => {
    const explained = explainError(
      new InvalidQueryError('"x" is not a quarantine id', { hint: 'pass the ID column' }),
    );

    expect(explained).toBeInstanceOf(UsageError);
    expect(explained.exitCode).toBe(EXIT_CODE.usage);
    expect(explained.hint).toBe('pass the ID column');
  });
});

describe('formatError', () => {
  it('prints the message and the fix', () => {
    expect(formatError(new CliError('no AWS region', { hint: 'set AWS_REGION' }))).toBe(
      'taskpulse: no AWS region\n  fix: set AWS_REGION\n',
    );
    expect(formatError(new CliError('boom'))).toBe('taskpulse: boom\n');
  });
});
