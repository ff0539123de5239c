import { InvalidQueryError } from '../lambdas/shared/queries/errors';
import { AwsAccessError, CliError, ResourceNotFoundError, UsageError } from './errors';

/**
 * Turn whatever a command threw into a `CliError` that says what went wrong and how to fix it. AWS SDK
 * errors are recognised by name and message (the SDK has no shared classes for them across clients).
 * Pure.
 */

/** What the explanation may mention. */
interface ExplainContext {
  /** `local` when the command ran against local mode's emulator. */
  readonly kind?: 'aws' | 'local';
  /** Endpoint in use, if not AWS's own. */
  readonly endpoint?: string;
  /** e.g. `stack Taskpulse-dev (eu-west-1)`. */
  readonly label?: string;
}

interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly cause?: unknown;
}

const NO_CREDENTIALS =
  /could not load credentials|credential.*(missing|not found)|unable to (find|load) credentials/i;
const EXPIRED = /ExpiredToken|TokenRefreshRequired|RequestExpired|token.*expired|sso.*(expired|session)/i;
const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError|Forbidden/i;
const BAD_KEYS =
  /UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch|InvalidAccessKeyId|IncompleteSignature/;
const NOT_FOUND = /ResourceNotFound|NonExistentQueue|QueueDoesNotExist|NotFoundException/;
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up/;

const codesOf = (e: SdkErrorShape): string => {
  const cause = (e.cause ?? {}) as SdkErrorShape;
  return [e.name, e.code, e.Code, cause.name, cause.code].filter((x) => x !== undefined).join(' ');
};

/** A `CliError` for any thrown value. */
export const explainError = (error: unknown, context: ExplainContext = {}): CliError => {
  if (error instanceof CliError) return error;
  if (error instanceof InvalidQueryError)
    return new UsageError(error.message, {
      ...(error.hint !== undefined && { hint: error.hint }),
      cause: error,
    });
  const e = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as SdkErrorShape;
  const message = e.message ?? String(error);
  const codes = codesOf(e);
  const local = context.kind === 'local';

  if (e.name === 'CredentialsProviderError' || NO_CREDENTIALS.test(message)) {
    return new AwsAccessError('no AWS credentials', {
      hint: 'set AWS_PROFILE or run aws configure (or aws sso login), or use --local for local mode (npm start)',
      cause: error,
    });
  }
  if (/region is missing/i.test(message)) {
    return new AwsAccessError('no AWS region', {
      hint: 'set AWS_REGION or pass --region (or set a region in your AWS profile), or use --local',
      cause: error,
    });
  }
  if (EXPIRED.test(codes) || EXPIRED.test(message)) {
    return new AwsAccessError(`AWS credentials have expired: ${message}`, {
      hint: 'refresh them (aws sso login, or new keys) and run the command again',
      cause: error,
    });
  }
  if (BAD_KEYS.test(codes)) {
    return new AwsAccessError(`AWS does not accept these credentials: ${message}`, {
      hint: 'check AWS_PROFILE / AWS_ACCESS_KEY_ID, or run aws configure',
      cause: error,
    });
  }
  if (DENIED.test(codes) || e.$metadata?.httpStatusCode === 403) {
    return new AwsAccessError(`AWS refused the request: ${message}`, {
      hint: 'use a role allowed to read the stack and its tables and queues (see docs/cli.md#permissions)',
      cause: error,
    });
  }
  if (NOT_FOUND.test(codes)) {
    return new ResourceNotFoundError(`not found: ${message}`, {
      hint: local
        ? 'local mode keeps nothing after it stops: restart it with npm start'
        : `check --stage / --stack / --region${context.label === undefined ? '' : ` (using ${context.label})`}, or the resource flags`,
      cause: error,
    });
  }
  if (UNREACHABLE.test(codes) || UNREACHABLE.test(message)) {
    const where = context.endpoint ?? 'AWS';
    return new AwsAccessError(`could not reach ${where}: ${message}`, {
      hint: local
        ? 'is local mode running? start it with npm start in another terminal'
        : 'check the network, proxy and AWS_ENDPOINT_URL',
      cause: error,
    });
  }
  return new CliError(message, { cause: error });
};

/** The lines printed for an error: `taskpulse: <message>` and, when known, `  fix: <hint>`. */
export const formatError = (error: CliError): string =>
  `taskpulse: ${error.message}${error.hint === undefined ? '' : `\n  fix: ${error.hint}`}\n`;
