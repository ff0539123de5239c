import { describe, expect, it } from 'vitest';
import {
  admitNames,
  foldNames,
  MAX_ERROR_TYPES_PER_BUCKET,
  NAME_FAMILIES,
  OTHER_NAME,
} from '../../../lambdas/domain/aggregate';
import {
  chunksOfAdmittingPart,
  MAX_EXPRESSION_BYTES,
  planAdmittingUpdate,
} from '../../../lambdas/shared/store/aggregate-store';
import { longErrorTypes } from '../../support/names';

/** The pure planning of the per-bucket cap on producer-chosen names. */

const sum = (counters: Record<string, number>, prefix: string) =>
  Object.entries(counters)
    .filter(([f]) => f.startsWith(prefix))
    .reduce((s, [, v]) => s + v, 0);

describe('admitNames', () => {
  it('keeps names that have an entry, admits new ones while there is room, folds the rest', () => {
    const admission = admitNames({
      cap: 50,
      has: (name) => name === 'B',
      count: 48,
      netByName: new Map([
        ['A', 1],
        ['B', 3],
        ['C', 2],
        ['D', 1],
        ['E', 5],
        ['F', -1],
      ]),
    });
    expect(admission).toEqual({ named: ['B'], admitted: ['A', 'C'], folded: ['D', 'E', 'F'] });
  });

  it('folds a retraction of a name without an entry, even with room (its count went to other)', () => {
    const admission = admitNames({ cap: 50, has: () => false, count: 0, netByName: new Map([['X', -1]]) });
    expect(admission.folded).toEqual(['X']);
  });
});

describe('foldNames', () => {
  it('moves folded names to the other entry, keeps every total and drops their samples', () => {
    const counters = { n: 4, e_A: 1, e_B: 2, e_C: 1, mn_m: 1, ms_m: 2.5, mh_m_p3: 1, mh_k_p3: 1 };
    const samples = { es_B: 'b', es_C: 'c' };
    const folded = foldNames(counters, samples, new Set(['B', 'C', 'm']));
    expect(folded.counters).toEqual({
      n: 4,
      e_A: 1,
      [`e_${OTHER_NAME}`]: 3,
      [`mn_${OTHER_NAME}`]: 1,
      [`ms_${OTHER_NAME}`]: 2.5,
      [`mh_${OTHER_NAME}_p3`]: 1,
      mh_k_p3: 1,
    });
    expect(folded.samples).toEqual({});
    for (const prefix of ['e_', 'mn_', 'ms_', 'mh_'])
      expect(sum(folded.counters, prefix)).toBe(sum(counters, prefix));
  });
});

/** A bucket applied the way the store does: admit, fold, add. */
const applyAll = (deltas: readonly Record<string, number>[]) => {
  const item: Record<string, number> = {};
  const spec = NAME_FAMILIES.error;
  for (const counters of deltas) {
    const net = new Map(Object.entries(counters).map(([f, v]) => [f.slice(2), v]));
    const a = admitNames({
      cap: spec.cap,
      has: (name) => item[spec.countField(name)] !== undefined,
      count: item[spec.namesField] ?? 0,
      netByName: net,
    });
    item[spec.namesField] = (item[spec.namesField] ?? 0) + a.admitted.length;
    const folded = foldNames(counters, {}, new Set(a.folded)).counters;
    for (const [f, v] of Object.entries(folded)) item[f] = (item[f] ?? 0) + v;
  }
  return item;
};

describe('the cap over a stream of changes', () => {
  // 300 executions fail with their own type; every third later fails with another new type instead.
  const deltas: Record<string, number>[] = [];
  for (let i = 0; i < 300; i++) deltas.push({ [`e_T${i}`]: 1 });
  for (let i = 0; i < 300; i += 3) deltas.push({ [`e_T${i}`]: -1, [`e_U${i}`]: 1 });
  const reversed = [...deltas.slice(0, 300).reverse(), ...deltas.slice(300).reverse()];

  it('keeps the total exact and at most the cap of named entries, in either order', () => {
    for (const order of [deltas, reversed]) {
      const item = applyAll(order);
      expect(sum(item, 'e_')).toBe(300);
      const named = Object.keys(item).filter((f) => f.startsWith('e_') && f !== `e_${OTHER_NAME}`);
      expect(named.length).toBeLessThanOrEqual(MAX_ERROR_TYPES_PER_BUCKET);
      expect(item.ne).toBe(named.length);
      for (const f of named) expect(item[f]).toBeGreaterThanOrEqual(0);
      expect(item[`e_${OTHER_NAME}`]).toBeGreaterThan(0);
    }
  });
});

describe('planAdmittingUpdate', () => {
  const target = { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' };

  it('chunks 600 long error types so every update and condition stays under 4 KB', () => {
    const { counters, samples } = longErrorTypes(600);
    const chunks = chunksOfAdmittingPart({ part: 'err', counters, samples });
    expect(chunks.length).toBeGreaterThan(1);
    chunks.forEach((chunk, i) => {
      const names = Object.keys(chunk.counters).map((f) => f.slice(2));
      const half = Math.floor(names.length / 2);
      const update = planAdmittingUpdate('0001', target, i, chunk, 0, {
        named: [],
        admitted: names.slice(0, half),
        folded: names.slice(half),
      });
      expect(Buffer.byteLength(update.updateExpression)).toBeLessThanOrEqual(MAX_EXPRESSION_BYTES);
      expect(Buffer.byteLength(update.conditionExpression)).toBeLessThanOrEqual(MAX_EXPRESSION_BYTES);
      // Admission and counting in one update: the counter grows by the admitted names.
      expect(update.values[':cnt']).toBe(half);
      expect(update.conditionExpression).toContain('#cnt <= :room');
      expect(Object.keys(chunk.samples).every((f) => chunk.counters[`e_${f.slice(3)}`] === 1)).toBe(true);
    });
  });
});
