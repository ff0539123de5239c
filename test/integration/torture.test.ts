import { describe, expect, inject, it } from 'vitest';
import { runR6 } from '../../bench/torture/alerts';
import { runR3 } from '../../bench/torture/hostile';
import { runR4 } from '../../bench/torture/redrive';
import { runR1, runR2, type ScenarioOptions, type ScenarioResult } from '../../bench/torture/scenarios';

/**
 * The fault suite of issue 12 at small sizes (`npm run torture` runs the same scenarios at full size):
 * the real handlers against moto_server, faults injected at the SDK clients, delivery shuffled,
 * duplicated and re-split. Each scenario must lose nothing and count nothing twice.
 */

const options = (events: number, seed = 11): ScenarioOptions => ({
  endpoint: inject('motoEndpoint'),
  events,
  seed,
});

/** The row with its notes, so a failure shows what went wrong. */
const expectClean = (result: ScenarioResult) => {
  expect({ ...result, seconds: 0, faults: undefined }).toMatchObject({
    lost: 0,
    doubleCounted: 0,
    differences: 0,
    dlq: 0,
    crashes: 0,
    notes: expect.any(Array),
    pass: true,
  });
};

// One scenario at a time: they all wait on the one moto_server, so running them together saved no
// time on 2 cores, and under CPU load each test's timeout measured all five scenarios instead of its own.
describe('torture (small)', () => {
  it('R1: three shuffled, re-split deliveries of every message give the in-order result and the oracle', async () => {
    const result = await runR1(options(30));
    expect(result.notes).toEqual([]);
    expectClean(result);
  }, 120_000);

  it('R2: with 10% of DynamoDB calls failing (SDK retries on, lost answers included) nothing is lost or counted twice', async () => {
    const result = await runR2(options(40));
    expectClean(result);
    expect(result.faults?.reduce((n, f) => n + f.count, 0)).toBeGreaterThan(0);
  }, 120_000);

  it('R4: a message that always fails reaches the DLQ after maxReceiveCount receives and is processed after a redrive', async () => {
    const result = await runR4(options(1));
    expect(result.notes).toEqual(['poison receives before the DLQ: 5; redrive moved 1']);
    expect(result).toMatchObject({ lost: 0, differences: 0, dlq: 1, pass: true });
  }, 120_000);

  it('R6: a failure burst with duplicated monitor runs sends exactly one ALARM, then one OK', async () => {
    const result = await runR6(options(20));
    expectClean(result);
  }, 120_000);

  it('R3: hostile input is quarantined with reasons, valid neighbours are stored, nothing reaches the DLQ', async () => {
    const result = await runR3(options(60));
    expectClean(result);
  }, 120_000);
});
