import { describe, expect, it } from 'vitest';
import { createProgress, renderProgress } from '../../../cli/format/progress';
import { collector } from '../support/run';

describe('renderProgress', () => {
  it('draws a bar with percentage and count', () => {
    expect(renderProgress({ label: 'redrive', done: 6, total: 10 }, 10)).toBe(
      'redrive [██████░░░░]  60% 6/10',
    );
    expect(renderProgress({ label: 'x', done: 12, total: 10, detail: '2 failed' }, 4)).toBe(
      'x [████] 100% 12/10 · 2 failed',
    );
  });

  it('shows only the count when the total is unknown', () => {
    expect(renderProgress({ label: 'redrive', done: 3 })).toBe('redrive 3');
  });
});

describe('createProgress', () => {
  it('draws only on a terminal', () => {
    const tty = collector(true);
    const pipe = collector(false);

    for (const stream of [tty, pipe]) {
      const bar = createProgress(stream, 'p');
      bar.update({ done: 1, total: 1 });
      bar.done();
    }

    expect(tty.text()).toContain('p [████████████████████████] 100% 1/1');
    expect(pipe.text()).toBe('');
  });
});
