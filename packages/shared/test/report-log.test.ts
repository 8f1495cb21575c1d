/**
 * report/'s log rule on the real @actions/core: what info() and StepAnnotations' overflow lines write to stdout
 * carries no workflow command, whatever the text (an AWS message, a tag, a terraform diagnostic).
 */
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { StepAnnotations } from '../src/limits/index';
import { info, inertText } from '../src/report/index';

const HOSTILE = 'NAT gateway nat-1 (::add-mask::203.0.113.10)\n::error title=x::forged\r##[warning]legacy';

let written: string[] = [];
const original = process.stdout.write.bind(process.stdout);
beforeEach(() => {
  written = [];
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
});
afterEach(() => {
  process.stdout.write = original;
});

/** Lines as the runner splits them, and whether any would be a command (::… after whitespace, or ##[ anywhere). */
const commandLines = (text: string) =>
  text.split(/\r\n|\r|\n/).filter((l) => /^[\s\u0085\u00a0]*::[A-Za-z-]+( [^:]*)?::/.test(l) || l.includes('##['));

test('info() writes the text inert, line for line', () => {
  info(HOSTILE);
  const out = written.join('');
  expect(commandLines(out)).toEqual([]);
  expect(out.replaceAll('\u200b', '')).toBe(`${HOSTILE}\n`);
  expect(commandLines(HOSTILE).length).toBe(2); // the ::error line, and the ##[warning] after the CR
});

test("StepAnnotations' overflow lines (past GitHub's 10 per step) go to the log inert", () => {
  const a = new StepAnnotations();
  for (let i = 0; i < 12; i++) a.warning(`${i}: ${HOSTILE}`);
  const logged = written.filter((w) => !w.startsWith('::warning'));
  expect(logged.length).toBeGreaterThan(0);
  expect(commandLines(logged.join(''))).toEqual([]);
  // the annotations themselves go through @actions/core's escaping: one line each
  for (const w of written.filter((x) => x.startsWith('::warning'))) expect(w.trimEnd().split('\n')).toHaveLength(1);
  expect(inertText(inertText(HOSTILE))).toBe(inertText(HOSTILE));
});

test('a table cell cannot be split by a value others control, however the caller rendered it', async () => {
  const { code, escapeText, table } = await import('../src/report/index');
  const evil = 'a | b \\| c || d\ne';
  const md = table(
    ['one', 'two', 'three'],
    [
      [evil, code(evil), code(evil, true)],
      [escapeText(evil), '`x|y`', 'z'],
    ],
  );
  for (const row of md.split('\n')) expect(row.split(/(?<!\\)\|/).length - 2).toBe(3);
});
