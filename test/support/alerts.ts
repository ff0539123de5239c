import { DEFAULT_RULE_SETTINGS } from '../../lambdas/domain/rules/config';
import { evaluateFailureRate } from '../../lambdas/domain/rules/failure-rate';

/** The instant alert fixtures are evaluated at. */
export const ALERT_NOW_MS = Date.parse('2026-03-02T10:05:00Z');

/**
 * A failure-rate evaluation of one 5-minute bucket in which 69 of 200 runs failed (34.5%), with two
 * error types and a sample message each: the example alert.
 */
export const failureRateEvaluation = (scope = 'send_invoice') =>
  evaluateFailureRate(
    scope,
    [
      {
        startMs: Date.parse('2026-03-02T09:30:00Z'),
        fields: {
          n: 200,
          c_succeeded: 129,
          c_failed: 69,
          c_cancelled: 2,
          retried: 14,
          e_TimeoutError: 52,
          es_TimeoutError: 'upstream did not answer within 30 s',
          e_ValidationError: 17,
          es_ValidationError: 'amount must be positive',
        },
      },
    ],
    DEFAULT_RULE_SETTINGS.failureRate,
    ALERT_NOW_MS,
  );
