import { describe, expect, it } from 'vitest';
import { formatDuration, formatLabels, formatRatio, formatTime, truncate } from '../../../cli/format/values';

describe('formatDuration', () => {
  it.each([
    [null, '-'],
    [undefined, '-'],
    [0, '0 ms'],
    [850.4, '850 ms'],
    [1_000, '1.0s'],
    [1_960.2, '2.0s'],
    [1_500, '1.5s'],
    [59_940, '59.9s'],
    [59_960, '59s'],
    [65_000, '1m5s'],
    [5_400_000, '1h30m'],
  ] as const)('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatRatio', () => {
  it('shows one decimal, and - when nothing finished', () => {
    expect([formatRatio(3 / 11), formatRatio(0), formatRatio(1), formatRatio(null)]).toEqual([
      '27.3%',
      '0.0%',
      '100.0%',
      '-',
    ]);
  });
});

describe('formatTime / truncate / formatLabels', () => {
  it('formats UTC times to the second', () => {
    expect(formatTime('2026-03-02T10:00:03.250Z')).toBe('2026-03-02 10:00:03');
    expect(formatTime('2026-03-02T12:00:03+02:00')).toBe('2026-03-02 10:00:03');
    expect(formatTime(null)).toBe('-');
  });

  it('cuts long texts to one line with an ellipsis', () => {
    expect(truncate('a  b\nc', 10)).toBe('a b c');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate(null, 5)).toBe('-');
  });

  it('joins labels', () => {
    expect(formatLabels({ marketplace: 'DE', tokens: 12 })).toBe('marketplace=DE,tokens=12');
    expect(formatLabels({})).toBe('-');
  });
});
