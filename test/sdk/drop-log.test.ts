import { describe, expect, it } from 'vitest';
import { createDropLogger } from '../../sdk/src/drop-log';

describe('createDropLogger', () => {
  it('writes at most one line per reason per interval, with the count since the last line', () => {
    // Prepare
    const lines: string[] = [];
    let nowMs = 0;
    const onDrop = createDropLogger({ warn: (line) => lines.push(line) }, 10_000, () => nowMs);
    const error = new Error('connect ECONNREFUSED');

    // Act
    onDrop({ reason: 'retries-exhausted', count: 10, messages: [], error });
    nowMs = 1_000;
    onDrop({ reason: 'retries-exhausted', count: 10, messages: [], error });
    onDrop({ reason: 'buffer-full', count: 1, messages: [] });
    nowMs = 11_000;
    onDrop({ reason: 'retries-exhausted', count: 5, messages: [], error });

    // Assess
    expect(lines).toEqual([
      'taskpulse: dropped 10 event(s) (retries-exhausted) — last error Error: connect ECONNREFUSED',
      'taskpulse: dropped 1 event(s) (buffer-full)',
      'taskpulse: dropped 15 event(s) (retries-exhausted) — last error Error: connect ECONNREFUSED',
    ]);
  });
});
