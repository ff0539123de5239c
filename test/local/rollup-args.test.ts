import { describe, expect, it } from 'vitest';
import { LocalRollupUsageError, rollupDaysOf } from '../../local/rollup-local';

/** The days `npm run rollup:local` is asked for. */

const NOW = Date.parse('2026-11-22T15:00:00Z');

describe('rollupDaysOf', () => {
  it('takes one day, a range, or today by default', () => {
    expect(rollupDaysOf({ date: '2026-11-20' }, NOW)).toEqual({ from: '2026-11-20', to: '2026-11-20' });
    expect(rollupDaysOf({ from: '2026-11-01', to: '2026-11-03' }, NOW)).toEqual({
      from: '2026-11-01',
      to: '2026-11-03',
    });
    expect(rollupDaysOf({ from: '2026-11-01' }, NOW)).toEqual({ from: '2026-11-01', to: '2026-11-01' });
    expect(rollupDaysOf({}, NOW)).toEqual({ from: '2026-11-22', to: '2026-11-22' });
    expect(rollupDaysOf({ from: 'yesterday', to: 'today' }, NOW)).toEqual({
      from: '2026-11-21',
      to: '2026-11-22',
    });
  });

  it.each([
    [{ date: '2026-02-30' }, '--date 2026-02-30: expected YYYY-MM-DD, today or yesterday'],
    [{ date: '22.11.2026' }, '--date 22.11.2026: expected YYYY-MM-DD, today or yesterday'],
    [{ date: 'today', from: 'today' }, 'give either --date or --from/--to, not both'],
    [{ to: '2026-11-01' }, '--to needs --from'],
    [{ from: '2026-11-03', to: '2026-11-01' }, '--from 2026-11-03 is after --to 2026-11-01'],
  ])('refuses %j with a clear reason', (args, reason) => {
    expect(() => rollupDaysOf(args, NOW)).toThrow(new LocalRollupUsageError(reason));
  });
});
