import { describe, expect, it } from 'vitest';
import {
  type AlertState,
  alertStateChanged,
  nextAlertState,
} from '../../../../lambdas/domain/rules/alert-state';
import type { AlertPolicy } from '../../../../lambdas/domain/rules/config';

const POLICY: AlertPolicy = {
  recoveryEvaluations: 2,
  reminderIntervalMs: 3_600_000,
  maxStateChangesPerHour: 4,
};
const T0 = Date.parse('2026-03-02T10:00:00Z');
const MIN = 60_000;
const rule = 'failure-rate' as const;
const scope = 'send_invoice';

/** Feed a sequence of (minute, firing) evaluations; return the notifications in order. */
const run = (steps: readonly [number, boolean][], policy = POLICY) => {
  let state: AlertState | undefined;
  const said: string[] = [];
  for (const [minute, firing] of steps) {
    const t = nextAlertState(state, { rule, scope, firing }, T0 + minute * MIN, policy);
    state = t.state;
    if (t.notification) said.push(`${minute}:${t.notification}`);
  }
  return { state: state!, said };
};

describe('nextAlertState', () => {
  it('says ALARM once when a rule starts firing, nothing while it keeps firing', () => {
    const { state, said } = run([
      [0, false],
      [5, true],
      [10, true],
      [15, true],
    ]);
    expect(said).toEqual(['5:ALARM']);
    expect(state).toMatchObject({ status: 'ALARM', since: '2026-03-02T10:05:00.000Z', goodStreak: 0 });
  });

  it('reminds at the interval while firing, counted from the last message', () => {
    const steps: [number, boolean][] = Array.from({ length: 30 }, (_, i) => [i * 5, true]);
    expect(run(steps).said).toEqual(['0:ALARM', '60:REMINDER', '120:REMINDER']);
    expect(run(steps, { ...POLICY, reminderIntervalMs: null }).said).toEqual(['0:ALARM']);
  });

  it('recovers with one OK after N good evaluations in a row; a firing one resets the count', () => {
    const { state, said } = run([
      [0, true],
      [5, false],
      [10, true],
      [15, false],
      [20, false],
      [25, false],
    ]);
    expect(said).toEqual(['0:ALARM', '20:OK']);
    expect(state).toMatchObject({ status: 'OK', since: '2026-03-02T10:20:00.000Z' });
  });

  it('damps flapping: holds ALARM, says FLAPPING once, and recovers when the hour has passed', () => {
    const steps: [number, boolean][] = [
      [0, true], // ALARM (change 1)
      [5, false],
      [10, false], // OK (change 2)
      [15, true], // ALARM (change 3)
      [20, false],
      [25, false], // would be change 4 with no room left: FLAPPING, held in ALARM
      [30, true],
      [35, false],
      [40, false], // still held, nothing said again
      [55, false], // three changes within the hour: still held
      [65, false], // the change at 0 aged out: room again, OK
    ];
    const { state, said } = run(steps);
    expect(said).toEqual(['0:ALARM', '10:OK', '15:ALARM', '25:FLAPPING', '65:OK']);
    expect(state).toMatchObject({ status: 'OK', flapping: false });
  });

  it('bounds the messages of an alert that flips every evaluation', () => {
    const steps: [number, boolean][] = [];
    for (let m = 0; m < 60; m += 10) steps.push([m, true], [m + 5, false]);
    const { said } = run(steps, { ...POLICY, recoveryEvaluations: 1 });
    expect(said[0]).toBe('0:ALARM');
    expect(said.filter((s) => s.endsWith(':ALARM')).length).toBeLessThanOrEqual(2);
    expect(said.filter((s) => s.endsWith(':FLAPPING'))).toHaveLength(1);
  });

  it('needs no write for a steady OK and one for any change', () => {
    const ok = nextAlertState(undefined, { rule, scope, firing: false }, T0, POLICY).state;
    expect(alertStateChanged(undefined, ok)).toBe(false);
    const alarm = nextAlertState(ok, { rule, scope, firing: true }, T0 + MIN, POLICY).state;
    expect(alertStateChanged(ok, alarm)).toBe(true);
    const again = nextAlertState(alarm, { rule, scope, firing: true }, T0 + 2 * MIN, POLICY).state;
    expect(alertStateChanged(alarm, again)).toBe(false);
  });
});
