/**
 * Safe markdown for comments, job summaries and report files. Everything that comes from a plan, a tag or
 * an AWS response is untrusted: it goes through `code()` (an inline code span, where markdown, HTML,
 * @mentions and autolinks are inert) or `escapeText()`. On its way into the Actions log, the same text goes through
 * `inertText()` / `info()` (commands.ts, log.ts): no line of it may become a workflow command.
 */
export { inertText } from './commands';
export { info } from './log';

/**
 * The runbook's rollback lever, worded as the runbook gives it (seeds/000, operations step 4 "Rollback lever"). Every
 * action, doc and workflow uses this wording; `ROLLBACK_LEVER_LINE` is the labelled form for advice lists.
 */
export const ROLLBACK_LEVER =
  'Flip the environment to gateway mode (TF_VAR_USE_NAT_INSTANCE = false) and apply: managed gateways restore egress ' +
  'on the same EIPs with no AMI in the path. Rebuild or fix the AMI, then flip back in a window.';
export const ROLLBACK_LEVER_LINE = `Rollback lever: ${ROLLBACK_LEVER}`;

/** Inline code span holding `value` verbatim, on one line. Set `inTable` inside a GFM table cell. */
export function code(value: string, inTable = false): string {
  let v = String(value)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '');
  if (inTable) v = v.replace(/\|/g, '\\|');
  if (v === '') return '` `';
  const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = v.startsWith('`') || v.endsWith('`') || v.startsWith(' ') ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '@': '&#64;' };

/**
 * Plain text for markdown: HTML and markdown punctuation neutralised, @mentions made inert, URLs and
 * `#123` references broken so nothing in the text can become a link or a ping. Newlines become spaces.
 */
export function escapeText(value: string): string {
  return String(value)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[&<>@]/g, (c) => ENTITIES[c] as string)
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/:\/\//g, '&#58;//')
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}&#8203;.`);
}

/**
 * One table cell that cannot split its row or end the table, whatever it holds: line breaks become spaces, and a
 * `|` that no backslash precedes gets one. GitHub's renderer (cmark-gfm's table extension, ext_scanners.re
 * `table_cell = (escaped_char | [^|\r\n])+`, a longest match) never ends a cell at a `|` that follows a backslash,
 * inside code spans too, and drops that backslash (`unescape_pipes`): so `code(x, true)` and `escapeText(x)` cells
 * are unchanged, and a raw value from a tag or an AWS message stays in its cell.
 */
export function tableCell(cell: string): string {
  return cell.replace(/[\r\n]+/g, ' ').replace(/(?<!\\)\|/g, '\\|');
}

/**
 * A GFM table. Cells should already be markdown-safe (`code(x, true)` / `escapeText`); every cell also goes through
 * `tableCell`, so no value can add a column or a row.
 */
export function table(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(tableCell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A collapsed section (`<details>`). `summary` must be markdown-safe already. */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** UTF-8 byte length, as GitHub measures step summaries; comment limits are characters (JS length). */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
