/**
 * Untrusted values inside Markdown tables cannot split cells (issue 20). The row splitter modelled here is
 * cmark-gfm's (GitHub's renderer): extensions/ext_scanners.re `table_cell = (escaped_char | [^|\r\n])+`, where
 * `escaped_char` is a backslash and any ASCII punctuation, matched longest; so a `|` ends a cell exactly when no
 * backslash is right before it, and a line break ends the row.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { code, escapeText, table, tableCell } from '../../src/report/index';

/** The cells of one table row as cmark-gfm splits it (leading and trailing pipe present). */
function cells(row: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < row.length; i++) {
    const ch = row[i] as string;
    if (ch === '|' && row[i - 1] !== '\\') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.slice(1, -1).map((c) => c.trim());
}

const hostile = fc.oneof(
  fc.string(),
  fc.stringMatching(/^[|\\`\r\n a-z]{0,24}$/),
  fc.constantFrom('a|b', 'a\\|b', 'a\\\\|b', '|', '\\', 'x\\', '||', 'new\nrow | x', '`|`', 'a\r\n| --- |'),
);

describe('table(): no value adds a column or a row', () => {
  it('keeps every row at its column count whatever the cells hold (raw, code(x, true), escapeText)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(hostile, hostile, hostile), { minLength: 1, maxLength: 5 }), (raw) => {
        const rows = raw.map(([a, b, c]) => [a, code(b, true), escapeText(c)]);
        const lines = table(['raw', 'code', 'text'], rows).split('\n');
        expect(lines).toHaveLength(rows.length + 2);
        for (const line of lines) expect(cells(line)).toHaveLength(3);
      }),
      { numRuns: 500 },
    );
  });

  it('changes nothing in cells that are already safe', () => {
    fc.assert(
      fc.property(hostile, (v) => {
        expect(tableCell(code(v, true))).toBe(code(v, true));
        expect(tableCell(escapeText(v))).toBe(escapeText(v));
      }),
    );
  });

  it('escapes a raw pipe and joins lines (a tag value, an AWS message)', () => {
    expect(tableCell('Name | admin')).toBe('Name \\| admin');
    expect(tableCell('one\ntwo\r\nthree')).toBe('one two three');
    expect(table(['k', 'v'], [['Name', 'evil | ok\n| --- |']])).toBe(
      '| k | v |\n| --- | --- |\n| Name | evil \\| ok \\| --- \\| |',
    );
  });
});
