import { describe, expect, it } from 'vitest';
import { initialAlertState } from '../../../../lambdas/domain/rules/alert-state';
import { toAlertRows } from '../../../../lambdas/shared/queries/alerts';

describe('toAlertRows', () => {
  it('puts firing alerts first, then sorts by rule and scope', () => {
    const now = Date.parse('2026-03-02T12:00:00Z');
    const ok = (rule: 'stuck' | 'slow', scope: string) => ({
      state: initialAlertState(rule, scope, now),
      version: 1,
      pending: null,
    });
    const alarm = {
      state: {
        ...initialAlertState('failure-rate', 'send_invoice|marketplace=DE', now),
        status: 'ALARM' as const,
      },
      version: 3,
      pending: { subject: 'x' } as never,
    };

    const rows = toAlertRows([ok('stuck', 'b'), ok('slow', 'a'), alarm, ok('stuck', 'a')]);

    expect(rows.map((r) => `${r.status} ${r.rule} ${r.scope}`)).toEqual([
      'ALARM failure-rate send_invoice|marketplace=DE',
      'OK slow a',
      'OK stuck a',
      'OK stuck b',
    ]);
    expect(rows[0]).toMatchObject({
      taskType: 'send_invoice',
      dimension: { key: 'marketplace', value: 'DE' },
      pendingNotification: true,
    });
  });
});
