/**
 * Plain-text tables for the CLI's human output: columns padded to their widest cell, two spaces
 * between columns, no trailing spaces, no colours (output is often piped or pasted into tickets).
 */

/** How a column is laid out. */
interface Column {
  readonly header: string;
  /** Numbers read best right-aligned. @default 'left' */
  readonly align?: 'left' | 'right';
}

const GAP = '  ';

/** Display width of a string (code points; the CLI prints no wide characters of its own). */
const widthOf = (text: string): number => [...text].length;

const pad = (text: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - widthOf(text)));
  return align === 'right' ? fill + text : text + fill;
};

/** Render rows under a header line. Cells with line breaks are flattened to one line. Pure. */
export const formatTable = (columns: readonly Column[], rows: readonly (readonly string[])[]): string => {
  const clean = rows.map((row) => columns.map((_, i) => (row[i] ?? '').replace(/\s*\n\s*/g, ' ')));
  const widths = columns.map((c, i) => Math.max(widthOf(c.header), ...clean.map((r) => widthOf(r[i]!))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'left'))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...clean.map(line)].join('\n');
};

/** `label  value` lines with the labels padded to one width (for `show`). Pure. */
export const formatFields = (fields: readonly (readonly [string, string | undefined])[]): string => {
  const present = fields.filter((f): f is readonly [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...present.map(([label]) => widthOf(label)));
  return present.map(([label, value]) => `${pad(label, width, 'left')}  ${value}`.trimEnd()).join('\n');
};
