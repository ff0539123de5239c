import { describe, expect, it } from 'vitest';
import { formatFields, formatTable } from '../../../cli/format/table';

describe('formatTable', () => {
  it('pads columns to their widest cell, right-aligns numbers and trims line ends', () => {
    const text = formatTable(
      [{ header: 'TYPE' }, { header: 'TOTAL', align: 'right' }, { header: 'NOTE' }],
      [
        ['send_invoice', '1,204', ''],
        ['resize', '7', 'slow'],
      ],
    );

    expect(text.split('\n')).toEqual([
      'TYPE          TOTAL  NOTE',
      'send_invoice  1,204',
      'resize            7  slow',
    ]);
  });

  it('keeps every row on one line', () => {
    expect(formatTable([{ header: 'A' }], [['two\n  lines']])).toBe('A\ntwo lines');
  });

  it('prints only the header for no rows', () => {
    expect(formatTable([{ header: 'A' }, { header: 'B' }], [])).toBe('A  B');
  });
});

describe('formatFields', () => {
  it('aligns values and leaves out missing ones', () => {
    expect(
      formatFields([
        ['Task', 't-1'],
        ['Job', undefined],
        ['Dimensions', 'a=b'],
      ]),
    ).toBe('Task        t-1\nDimensions  a=b');
  });
});
