import { describe, expect, it } from 'vitest';
import { toExecutionChanges } from '../../../lambdas/aggregate/stream-records';
import {
  encodeWindowState,
  foldIntoWindow,
  stateBytesOf,
  windowStateOf,
} from '../../../lambdas/aggregate/window-state';
import { makeExecutions, streamEventOf } from './stream-event';

/** Folding stream changes into a tumbling window's state, without AWS. */

const changes = toExecutionChanges(streamEventOf(makeExecutions(3, 8)).Records);

describe('foldIntoWindow', () => {
  it('gives the same deltas whether a window comes in one batch or several', () => {
    // Act
    const whole = foldIntoWindow(undefined, changes, []);
    const split = [changes.slice(0, 5), changes.slice(5, 17), changes.slice(17)].reduce(
      (state, batch) => foldIntoWindow(state, batch, []),
      undefined as ReturnType<typeof foldIntoWindow>,
    );

    // Assess
    expect(split?.deltas).toEqual(whole?.deltas);
    expect(split).toMatchObject({
      first: changes[0]!.sequenceNumber,
      through: changes.at(-1)!.sequenceNumber,
    });
    expect(split?.changes).toBe(changes.length);
  });

  it('adds nothing for changes the state already holds (a batch delivered again)', () => {
    // Prepare
    const state = foldIntoWindow(undefined, changes.slice(0, 10), []);

    // Act
    const again = foldIntoWindow(state, changes.slice(5, 12), []);

    // Assess
    expect(again).toEqual(foldIntoWindow(undefined, changes.slice(0, 12), []));
  });
});

describe('encodeWindowState', () => {
  it('round-trips, compressed well below the plain JSON', () => {
    // Prepare
    const state = foldIntoWindow(undefined, changes, []);

    // Act
    const decoded = windowStateOf(JSON.parse(JSON.stringify(encodeWindowState(state))));

    // Assess
    expect(decoded).toEqual(state);
    expect(stateBytesOf(state)).toBeLessThan(Buffer.byteLength(JSON.stringify(state)) / 2);
    expect(windowStateOf({})).toBeUndefined();
  });
});
