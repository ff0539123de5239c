import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors';
import { keyValue, parseDay, parseDurationMs, parseInstantMs, positiveInt } from '../../cli/parse';

const NOW = Date.parse('2026-03-02T12:00:00.000Z');

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1.5h', 5_400_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'h', '1', '1x', '-1h', '0s', '1h 30m'])('refuses %j', (text) => {
    expect(() => parseDurationMs(text)).toThrow(UsageError);
  });
});

describe('parseInstantMs', () => {
  it('reads ISO times, days (start or end), now and durations ago', () => {
    expect(parseInstantMs('2026-03-01T10:00:00+01:00', NOW, 'x', 'start')).toBe(
      Date.parse('2026-03-01T09:00:00Z'),
    );
    expect(parseInstantMs('2026-03-01', NOW, 'x', 'start')).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseInstantMs('2026-03-01', NOW, 'x', 'end')).toBe(Date.parse('2026-03-02T00:00:00Z'));
    expect(parseInstantMs('now', NOW, 'x', 'end')).toBe(NOW);
    expect(parseInstantMs('2h', NOW, 'x', 'start')).toBe(NOW - 7_200_000);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseInstantMs('2026-02-30', NOW, '--from', 'start')).toThrow(
      '--from "2026-02-30" is not a time',
    );
    expect(() => parseInstantMs('tomorrow', NOW, '--to', 'end')).toThrow(UsageError);
  });
});

describe('parseDay', () => {
  it('reads days, today, yesterday and durations ago', () => {
    expect(['2026-02-27', 'today', 'yesterday', '7d'].map((d) => parseDay(d, NOW, 'x'))).toEqual([
      '2026-02-27',
      '2026-03-02',
      '2026-03-01',
      '2026-02-23',
    ]);
    expect(() => parseDay('2026-13-01', NOW, '--from')).toThrow('--from "2026-13-01" is not a day');
  });
});

describe('option parsers', () => {
  it('positiveInt accepts whole numbers in range only', () => {
    expect(positiveInt(10)('7')).toBe(7);
    for (const bad of ['0', '11', '2.5', 'x'])
      expect(() => positiveInt(10)(bad)).toThrow(InvalidArgumentError);
  });

  it('keyValue collects repeated key=value options', () => {
    expect(keyValue('b=2=3', keyValue('a=1'))).toEqual({ a: '1', b: '2=3' });
    expect(() => keyValue('=x')).toThrow(InvalidArgumentError);
  });
});
