import { describe, expect, it } from 'vitest';
import { LocalModeError } from '../../local/errors';
import { matchesAnyFilter, matchesFilter } from '../../local/event-filter';

/** The pattern the template puts on the aggregator's stream mapping. */
const EXECUTION_CHANGES = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { Keys: { pk: { S: [{ prefix: 'EX#' }] } } },
};

const streamRecord = (eventName: string, pk: string) => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: { Keys: { pk: { S: pk }, sk: { S: 'EX' } }, SequenceNumber: '1' },
});

describe('matchesFilter', () => {
  it('matches the execution-change pattern on event name and key prefix', () => {
    expect(matchesFilter(EXECUTION_CHANGES, streamRecord('INSERT', 'EX#task-1'))).toBe(true);
    expect(matchesFilter(EXECUTION_CHANGES, streamRecord('MODIFY', 'EX#task-1'))).toBe(true);
    expect(matchesFilter(EXECUTION_CHANGES, streamRecord('REMOVE', 'EX#task-1'))).toBe(false);
    expect(matchesFilter(EXECUTION_CHANGES, streamRecord('INSERT', 'Q#2026-03-02#3'))).toBe(false);
  });

  it('does not match when a field the pattern names is missing', () => {
    expect(matchesFilter(EXECUTION_CHANGES, { eventName: 'INSERT' })).toBe(false);
    expect(matchesFilter(EXECUTION_CHANGES, { eventName: 'INSERT', dynamodb: { Keys: {} } })).toBe(false);
  });

  it('refuses an operator it does not play instead of guessing', () => {
    expect(() => matchesFilter({ a: [{ suffix: '.png' }] }, { a: 'x.png' })).toThrow(LocalModeError);
  });

  it('matches literals, including null, and lists in the record by any element', () => {
    expect(matchesFilter({ a: [null] }, { a: null })).toBe(true);
    expect(matchesFilter({ a: [1, 2] }, { a: 2 })).toBe(true);
    expect(matchesFilter({ tags: ['red'] }, { tags: ['blue', 'red'] })).toBe(true);
    expect(matchesFilter({ tags: ['red'] }, { tags: ['blue'] })).toBe(false);
  });
});

describe('matchesAnyFilter', () => {
  it('passes everything without filters and ORs several filters', () => {
    expect(matchesAnyFilter([], { anything: true })).toBe(true);
    expect(matchesAnyFilter([{ a: ['x'] }, { a: ['y'] }], { a: 'y' })).toBe(true);
    expect(matchesAnyFilter([{ a: ['x'] }, { a: ['y'] }], { a: 'z' })).toBe(false);
  });
});
