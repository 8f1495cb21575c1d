/** The GitHub limits module: units, shortening with a note, output budget, annotation caps. */
import { describe, expect, it } from '@jest/globals';
import {
  codePoints,
  fitComment,
  fitItems,
  fitJsonArray,
  fitSummary,
  fitText,
  GITHUB_LIMITS,
  OUTPUT_BUDGET_UTF16_BYTES,
  StepAnnotations,
  StepOutputs,
  utf16Bytes,
  utf8Bytes,
  type AnnotationLevel,
} from '../src/limits/index';

describe('units', () => {
  it('counts code points for comments, UTF-8 bytes for summaries, UTF-16 bytes for outputs', () => {
    const s = 'aé東🚀';
    expect(s.length).toBe(5);
    expect(codePoints(s)).toBe(4);
    expect(utf8Bytes(s)).toBe(1 + 2 + 3 + 4);
    expect(utf16Bytes(s)).toBe(10);
    expect(GITHUB_LIMITS.commentBody).toMatchObject({ max: 65_536, unit: 'code points' });
    expect(GITHUB_LIMITS.stepSummary).toMatchObject({ max: 1_048_576, unit: 'UTF-8 bytes' });
    expect(GITHUB_LIMITS.outputsPerJob).toMatchObject({ max: 1_000_000, unit: 'UTF-16 bytes' });
    expect(GITHUB_LIMITS.annotationsPerStep.max).toBe(10);
    for (const l of Object.values(GITHUB_LIMITS)) expect(l.source.length).toBeGreaterThan(20);
  });
});

describe('fitText', () => {
  it('the reported failure: 1,044,412 characters but more than 1 MiB in bytes is shortened in bytes, with a note', () => {
    const line = '| `module.network.aws_route.private_default["tenant-ü-東"]` | ✅ moved |\n';
    const text = line.repeat(Math.ceil(1_044_412 / line.length));
    expect(text.length).toBeLessThan(1_100_000);
    expect(utf8Bytes(text)).toBeGreaterThan(GITHUB_LIMITS.stepSummary.max);
    const fitted = fitSummary(text, { reportFile: '/tmp/r.md' });
    expect(fitted.shortened).toBe(true);
    expect(utf8Bytes(fitted.text)).toBeLessThanOrEqual(GITHUB_LIMITS.stepSummary.max - 8192);
    expect(fitted.text).toContain(
      "> **Shortened** to fit GitHub's 1 MiB step summary limit. The full report is in the `report-file` output (/tmp/r.md on the runner",
    );
    expect(
      fitted.text
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .every((l) => l === line.trimEnd()),
    ).toBe(true);
  });

  it('never splits a surrogate pair, and closes a <details> block the cut left open', () => {
    const text = `<details><summary>x</summary>\n\n${'🚀'.repeat(70_000)}`;
    const fitted = fitComment(text);
    expect(codePoints(fitted.text)).toBeLessThanOrEqual(65_536);
    expect(fitted.text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(fitted.text.indexOf('</details>')).toBeLessThan(fitted.text.indexOf('**Shortened**'));
    expect(fitted.text).toContain('The full report is in the step log.');
  });

  it('leaves text that fits alone', () => {
    expect(fitText('short', GITHUB_LIMITS.commentBody, 'note')).toEqual({ text: 'short', shortened: false, size: 5 });
  });

  it('fitItems keeps the most whole items that fit', () => {
    const render = (n: number) => Array.from({ length: n }, (_, i) => `item ${i}`).join('\n');
    const fitted = fitItems(1000, render, { ...GITHUB_LIMITS.commentBody, max: 100 }, 'note');
    expect(fitted.kept).toBe(13);
    expect(fitted.text).toBe(render(13));
  });
});

describe('outputs', () => {
  it('keeps every output of the step within its share of the 1 MB per job, shrinking what does not fit', () => {
    const written: Record<string, string> = {};
    const out = new StepOutputs(OUTPUT_BUDGET_UTF16_BYTES, (n, v) => (written[n] = v));
    out.set('risk', 'high');
    const items = Array.from({ length: 20_000 }, (_, i) => ({
      address: `aws_route.r["東京-${i}"]`,
      why: 'x'.repeat(30),
    }));
    const fitted = out.set('findings', JSON.stringify(items), (max) => fitJsonArray(items, max).json);
    expect(out.shortened).toEqual(['findings']);
    const kept = JSON.parse(fitted) as unknown[];
    expect(kept.length).toBeGreaterThan(1000);
    expect(kept.length).toBeLessThan(items.length);
    expect(out.used).toBeLessThanOrEqual(OUTPUT_BUDGET_UTF16_BYTES);
    const total = Object.entries(written).reduce((n, [k, v]) => n + utf16Bytes(k) + utf16Bytes(v), 0);
    expect(total).toBe(out.used);
    // No shrink function: the value is replaced by '' rather than dropping the job's outputs.
    expect(out.set('report', 'y'.repeat(600_000))).toBe('');
    expect(out.shortened).toEqual(['findings', 'report']);
  });

  it('fitJsonArray: valid JSON of the first items, and how many were left out', () => {
    expect(fitJsonArray([1, 2, 3], 10)).toEqual({ json: '[1,2]', kept: 2, omitted: 1 });
    expect(fitJsonArray([], 10)).toEqual({ json: '[]', kept: 0, omitted: 0 });
  });
});

describe('annotations', () => {
  it('at most 10 per level: the last slot says how many more and where; one error slot is left for the failure line', () => {
    const shown: Array<[AnnotationLevel, string]> = [];
    const logged: string[] = [];
    const a = new StepAnnotations({ annotate: (l, m) => shown.push([l, m]), log: (l) => logged.push(l) });
    for (let i = 0; i < 25; i++) a.warning(`w${i}`);
    for (let i = 0; i < 12; i++) a.error(`e${i}`);
    a.notice('n');
    a.finish('the job summary');
    const count = (l: AnnotationLevel) => shown.filter(([lv]) => lv === l).length;
    expect(count('warning')).toBe(10);
    expect(count('error')).toBe(9);
    expect(count('notice')).toBe(1);
    expect(shown).toContainEqual([
      'warning',
      '16 more warnings not shown as annotations (GitHub shows 10 per step): see the job summary.',
    ]);
    expect(shown).toContainEqual([
      'error',
      '4 more errors not shown as annotations (GitHub shows 10 per step): see the job summary.',
    ]);
    expect(logged).toHaveLength(20);
    expect(logged[0]).toBe('warning: w9');
  });
});
