/**
 * How the sender reacts to what SQS answered: pure decisions, tested without AWS.
 */

/** Error names (and per-entry codes) of throttling, which always deserves a retry after backing off. */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'RequestThrottled',
  'AWS.SimpleQueueService.RequestThrottled',
  'KmsThrottled',
  'KMS.ThrottlingException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

/** What to do with the entries of a request that threw. */
type SendErrorAction = 'retry' | 'reject';

interface SdkErrorShape {
  readonly name?: unknown;
  readonly $retryable?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** True for throttling, by error name or per-entry code. */
export const isThrottling = (nameOrCode: string | undefined): boolean =>
  nameOrCode !== undefined && (THROTTLING_ERROR_NAMES.has(nameOrCode) || /throttl/i.test(nameOrCode));

/**
 * Classify an error thrown by `SendMessageBatch`. Throttling, server faults (5xx) and failures without
 * any HTTP response (connection refused, timeouts, DNS) may pass: retry. Any other 4xx (access denied,
 * queue does not exist, malformed request) will fail the same way every time: reject.
 */
export const classifySendError = (error: unknown): SendErrorAction => {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  if (typeof e.name === 'string' && isThrottling(e.name)) return 'retry';
  if (e.$retryable) return 'retry';
  const status = e.$metadata?.httpStatusCode;
  if (typeof status !== 'number') return 'retry';
  if (status === 429 || status >= 500 || e.$fault === 'server') return 'retry';
  return 'reject';
};

/** The parts of a `SendMessageBatch` result the sender reads. */
interface BatchResultLike {
  readonly Successful?: readonly { readonly Id?: string }[];
  readonly Failed?: readonly {
    readonly Id?: string;
    readonly SenderFault?: boolean;
    readonly Code?: string;
    readonly Message?: string;
  }[];
}

/** Entries of one request sorted by what happens to them next. */
export interface BatchOutcome<T> {
  readonly sent: T[];
  /** Failed for a reason that may pass (SQS fault, throttling): send again after backing off. */
  readonly retry: T[];
  /** Failed through the sender's fault (e.g. invalid characters): will never succeed. */
  readonly rejected: T[];
  /** Code and message of the first failed entry, for the drop report. */
  readonly failure?: { readonly code: string; readonly message: string };
}

/**
 * Sort the entries of a request by its per-entry result. Entry `Id`s are the entries' indexes in
 * `pending`. An entry the response does not mention is retried, so nothing is lost silently.
 */
export const sortBatchResult = <T>(pending: readonly T[], result: BatchResultLike): BatchOutcome<T> => {
  const succeeded = new Set((result.Successful ?? []).map((s) => s.Id));
  const failed = new Map((result.Failed ?? []).map((f) => [f.Id, f]));
  const outcome: { sent: T[]; retry: T[]; rejected: T[]; failure?: BatchOutcome<T>['failure'] } = {
    sent: [],
    retry: [],
    rejected: [],
  };
  pending.forEach((entry, index) => {
    const id = String(index);
    const failure = failed.get(id);
    if (failure === undefined) {
      (succeeded.has(id) ? outcome.sent : outcome.retry).push(entry);
      return;
    }
    outcome.failure ??= { code: failure.Code ?? 'Unknown', message: failure.Message ?? 'no message' };
    const mayPass = failure.SenderFault !== true || isThrottling(failure.Code);
    (mayPass ? outcome.retry : outcome.rejected).push(entry);
  });
  return outcome;
};
