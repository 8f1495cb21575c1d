/**
 * Terminal layout: the width to write for, text wrapped to it, and compact tables with aligned columns. Widths are
 * display columns (string-width: wide characters count 2, ANSI colour codes 0); wrapping keeps colour codes intact
 * (wrap-ansi), so the same functions serve coloured and plain output.
 */
import stringWidth from 'string-width';
import wrapAnsi from 'wrap-ansi';

/** Narrowest and widest layout: below 40 columns nothing lines up anyway; above 140 text is hard to read. */
const MIN_WIDTH = 40;
const MAX_WIDTH = 140;

/**
 * The width to lay out for: the terminal's columns when writing to one, else $COLUMNS, else 100; kept within
 * 40..140.
 * @param {{ isTTY?: boolean, columns?: number }} stream
 * @param {Record<string, string | undefined>} env
 * @returns {number}
 */
export function layoutWidth(stream, env) {
  const fromEnv = Number.parseInt(env.COLUMNS ?? '', 10);
  const cols = stream.isTTY && stream.columns ? stream.columns : Number.isFinite(fromEnv) ? fromEnv : 100;
  return Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, cols));
}

/** Display width of `text` (its widest line). */
export function width(text) {
  return Math.max(
    0,
    ...String(text)
      .split('\n')
      .map((l) => stringWidth(l)),
  );
}

/** `text` padded with spaces to `cols` display columns. */
export function pad(text, cols) {
  return text + ' '.repeat(Math.max(0, cols - stringWidth(text)));
}

/**
 * `text` wrapped within `cols` columns, its lines after the first indented by `indent` spaces (the caller writes a
 * label of that width before the first): every line holds at most `cols - indent` columns of text. Words are kept
 * whole where they fit; a longer one, such as a long resource address, is broken. Line breaks in `text` are kept.
 * @returns {string[]} the lines
 */
export function wrap(text, cols, indent = 0) {
  const room = Math.max(10, cols - indent);
  const lines = String(text)
    .split('\n')
    .flatMap((paragraph) => wrapAnsi(paragraph, room, { hard: true, trim: true }).split('\n'));
  return lines.map((l, i) => (i === 0 ? l : `${' '.repeat(indent)}${l}`));
}

const GAP = 2;

/** Display width of the longest word (space-separated) of `text`. */
function longestWord(text) {
  return Math.max(
    0,
    ...String(text)
      .split(/\s+/)
      .map((w) => stringWidth(w)),
  );
}

/**
 * Column widths for a table within `total` columns: every column as wide as its widest cell, then the widest
 * columns narrowed one column at a time (never below `min`, nor below their header) until the table fits.
 * @param {number[]} natural  each column's widest cell
 * @param {number[]} floor  each column's narrowest acceptable width
 */
function fitColumns(natural, floor, total) {
  const widths = [...natural];
  const room = total - GAP * (widths.length - 1);
  let sum = widths.reduce((a, b) => a + b, 0);
  while (sum > room) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++)
      if (widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
    if (widest < 0) break; // every column at its floor: the table is wider than the terminal, lines wrap
    widths[widest]--;
    sum--;
  }
  return widths;
}

/**
 * A compact table: a header line, then each row with its cells wrapped within their column and aligned; no
 * borders. Cells may hold colour codes and line breaks.
 * @param {string[]} headers
 * @param {string[][]} rows
 * @param {{ width: number, header?: (text: string) => string, min?: number }} options  `header` styles the header
 *   line (bold on a colour terminal); `min` is the narrowest a column is squeezed to (default 8)
 * @returns {string[]} the lines
 */
export function table(headers, rows, options) {
  const min = options.min ?? 8;
  const cols = headers.length;
  const natural = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const floor = natural.map((n, i) => Math.min(n, Math.max(min, width(headers[i]))));
  // Words kept whole (a resource address, an id) when the longest word of each column still fits the width.
  const words = natural.map((n, i) => Math.min(n, Math.max(floor[i], ...rows.map((r) => longestWord(r[i] ?? '')))));
  const fits = words.reduce((a, b) => a + b, 0) + GAP * (cols - 1) <= options.width;
  const widths = fitColumns(natural, fits ? words : floor, options.width);
  const style = options.header ?? ((t) => t);
  const line = (cells, last) =>
    cells
      .map((c, i) => (i === last ? c : pad(c, widths[i])))
      .join(' '.repeat(GAP))
      .replace(/\s+$/, '');
  // A table whose header cells are all empty (a key/value table in a summary) is written without its header line.
  const out = headers.some((h) => width(h) > 0)
    ? [
        style(
          line(
            headers.map((h, i) => pad(h, widths[i])),
            cols,
          ),
        ),
      ]
    : [];
  for (const row of rows) {
    const wrapped = widths.map((w, i) =>
      String(row[i] ?? '')
        .split('\n')
        .flatMap((l) => wrapAnsi(l, Math.max(1, w), { hard: true, trim: true }).split('\n')),
    );
    const height = Math.max(...wrapped.map((c) => c.length));
    for (let k = 0; k < height; k++)
      out.push(
        line(
          wrapped.map((c) => c[k] ?? ''),
          cols - 1,
        ),
      );
  }
  return out;
}
