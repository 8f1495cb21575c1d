/**
 * nat-egress is terminal-first: plan-guard's view is drawn from the action's outputs (findings, report) as a
 * compact table with aligned columns and wrapped text, colour only on a terminal, each finding said once; the
 * other commands' job summaries are read with a markdown parser and written as terminal text (tables aligned,
 * character references decoded, so an error reads `<x>`, never `&lt;x&gt;`); `--format markdown` prints the
 * summary as the action wrote it and `--json` the outputs; no run leaves a folder in the temporary directory unless
 * `--report-dir` keeps the report; `--help` gives every default. The real bin runs each action's real dist.
 */
import { afterAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { cabal, planJson, scenarios } from '../../shared/test/support/plans';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as flagsModule from '../src/flags.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as layoutModule from '../src/layout.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as markdownModule from '../src/markdown.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as mainModule from '../src/main.mjs';

type Obj = Record<string, any>;
const { COMMANDS, readAction, commandHelp } = flagsModule as Obj;
const { table, wrap, width } = layoutModule as Obj;
const { markdownForTerminal, decodeEntities } = markdownModule as Obj;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const BIN = join(root, 'packages', 'cli', 'bin', 'nat-egress.mjs');
const PLAN = 'examples/plans/gateway-to-instance.json';
const ANSI = /\x1b\[/;
const SUITE = mkdtempSync(join(tmpdir(), 'cli-terminal-'));
afterAll(() => rmSync(SUITE, { recursive: true, force: true }));

/** Each test's own TMPDIR, to see what a run leaves there. */
let TMP = '';
let n = 0;
beforeEach(() => {
  TMP = join(SUITE, `tmp-${++n}`);
  mkdirSync(TMP);
});

const cleanEnv = (): Record<string, string | undefined> => {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(base))
    if (/^(GITHUB_|INPUT_|AWS_|RUNNER_TEMP$|COLUMNS$|NO_COLOR$)/.test(k)) delete base[k];
  return { ...base, AWS_EC2_METADATA_DISABLED: 'true', NODE_NO_WARNINGS: '1', TMPDIR: TMP };
};

/** The bin, piped (no terminal), COLUMNS=80 unless given. */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...cleanEnv(), COLUMNS: '80', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** main() with a pretend terminal of `columns` on stdout. */
async function onTerminal(args: string[], columns: number): Promise<{ code: number; text: string }> {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns });
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  stderr.resume();
  const code = await mainModule.main(args, { stdout, stderr, env: cleanEnv(), cwd: root });
  return { code, text };
}

/** Display columns where each header word starts, in a table's header line. */
const columnStarts = (line: string, headers: string[]): number[] => headers.map((h) => line.indexOf(h));

describe('plan-guard: the terminal view, from the outputs', () => {
  test('one verdict line, an aligned findings table, each finding once, within the width, nothing left in TMPDIR', async () => {
    const run = await cli(['plan-guard', '--plan-json', PLAN]);
    expect([run.code, run.err]).toEqual([0, '']);
    const lines = run.out.trimEnd().split('\n');
    // bridged (strategy auto, two AZs): the address race is met per AZ NAT step, not in one apply
    expect(lines[0]).toBe('NAT egress risk: HIGH · mode switch gateway → instance · up to 2 applies per AZ');
    expect(run.out).not.toMatch(ANSI);
    for (const l of lines) expect(width(l)).toBeLessThanOrEqual(80);
    // The findings table: header and rows aligned on the same columns.
    const head = lines.findIndex((l) => l.startsWith('SEVERITY'));
    const starts = columnStarts(lines[head]!, ['SEVERITY', 'FINDING', 'AZ / KEY', 'RESOURCES']);
    expect(starts.every((s) => s >= 0)).toBe(true);
    const row = lines[head + 1]!;
    expect(row.slice(starts[0], starts[1]).trim()).toBe('HIGH');
    // The AZ keys with the AZs of their NATs' subnets, wrapped in the cell's own column.
    expect(row.slice(starts[2], starts[3]).trim()).toBe('0, 1 (us-east-1a,');
    expect(lines[head + 2]!.slice(starts[2], starts[3]).trim()).toBe('us-east-1b)');
    expect(row.slice(starts[3])).toBe('module.vpc.aws_nat_gateway.nat[0]');
    expect(lines[head + 2]!.slice(starts[3])).toBe('and 12 more');
    // Said once: no `warning:` line repeating the finding, no log line repeating the verdict.
    expect(run.out).not.toMatch(/^warning:/m);
    expect(run.out).not.toContain('NAT egress risk: high;');
    expect(run.out.split('The NAT gateways are deleted and NAT instances take over').length).toBe(2);
    // The why, wrapped under its label; the per-AZ-key table from the report output.
    expect(run.out).toMatch(/^ {3}Why {8}The NAT gateways are deleted/m);
    // (at 80 columns each cell wraps: the address under its kind, in the cell's own column)
    const az0 = lines.findIndex((l) => /^0 {7}NAT gateway +NAT instance$/.test(l));
    expect(az0).toBeGreaterThan(head);
    expect(lines[az0 + 1]).toMatch(/^ {8}module\.vpc\.aws_nat_gateway\.nat\[0\] +module\.vpc\.aws_instance\.nat\[0\]$/);
    // Bridged (strategy auto, two AZs): the keys are switched behind a bridge, and the strategy line says so.
    expect(lines[1]).toBe('AZ keys switched behind a bridge: 0, 1');
    expect(lines[2]).toMatch(/^Strategy \(cutover\): bridge, one AZ at a time \(0, 1\); expected outage:/);
    const failing = lines.findIndex((l) => l.startsWith("May fail in its AZ's NAT step:"));
    expect(failing).toBeGreaterThan(2);
    expect(lines[failing]).toBe("May fail in its AZ's NAT step: module.vpc.aws_eip_association.nat[0],");
    expect(lines[failing + 1]).toBe('                               module.vpc.aws_eip_association.nat[1]');
    expect(run.out).not.toContain('Expected to fail in apply 1:');
    expect(run.out).toMatch(/^report {3}not kept \(--report-dir DIR keeps the markdown report\)$/m);
    expect(readdirSync(TMP)).toEqual([]);
  });

  test('strategy in-place: two applies of the whole plan, the first expected to fail', async () => {
    const run = await cli(['plan-guard', '--plan-json', PLAN, '--strategy', 'in-place']);
    expect([run.code, run.err]).toEqual([0, '']);
    const lines = run.out.trimEnd().split('\n');
    expect(lines[0]).toBe('NAT egress risk: HIGH · mode switch gateway → instance · expected applies 2');
    expect(lines[1]).toBe('AZ keys losing egress: 0, 1');
    expect(run.out).toContain('Expected to fail in apply 1: module.vpc.aws_eip_association.nat[0],');
    expect(run.out).toContain('(expect two applies)');
  });

  test('colour only on a terminal: the same text, coloured, where stdout is a TTY', async () => {
    const tty = await onTerminal(['plan-guard', '--plan-json', PLAN], 100);
    const piped = await cli(['plan-guard', '--plan-json', PLAN], { COLUMNS: '100' });
    expect(tty.code).toBe(0);
    expect(tty.text).toMatch(ANSI);
    expect(stripVTControlCharacters(tty.text)).toBe(piped.out);
    expect(readdirSync(TMP)).toEqual([]);
  });

  test('--report-dir keeps the markdown report there, and report-file names it', async () => {
    const dir = join(TMP, 'reports');
    const run = await cli(['plan-guard', '--plan-json', PLAN, '--report-dir', dir, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out);
    expect(out['report-file']).toBe(join(dir, 'nat-plan-guard-default.md'));
    expect(readFileSync(out['report-file'], 'utf8')).toContain('### 🛑 NAT egress risk: HIGH');
    expect(readdirSync(TMP)).toEqual(['reports']);
    expect(JSON.parse(out.report)).toMatchObject({ version: 1, source: PLAN, documentsOmitted: 0 });
  });

  test('--json without --report-dir: report-file is empty (the file is not kept), TMPDIR stays empty', async () => {
    const run = await cli(['plan-guard', '--plan-json', PLAN, '--json']);
    expect(JSON.parse(run.out)['report-file']).toBe('');
    expect(readdirSync(TMP)).toEqual([]);
  });

  test('--format markdown: the job summary as the action wrote it on stdout, the log on stderr', async () => {
    const dir = join(TMP, 'reports');
    const run = await cli(['plan-guard', '--plan-json', PLAN, '--format', 'markdown', '--report-dir', dir]);
    expect(run.code).toBe(0);
    // The summary is the report (it fits), as the job summary holds it (one newline after it).
    expect(run.out.trimEnd()).toBe(readFileSync(join(dir, 'nat-plan-guard-default.md'), 'utf8').trimEnd());
    expect(run.out).toContain('| Severity | Finding | AZ / key | Resources |');
    expect(run.err).toContain('NAT egress risk: high; mode switch: gateway-to-instance');
  });

  test('several plan documents and input notes: labels in the table, the notes once', async () => {
    const file = join(TMP, 'two.json');
    const doc = (changes: object[]) => {
      const plan = planJson(changes as never);
      delete plan.format_version; // read as 1.x, with a note
      return JSON.stringify(plan);
    };
    writeFileSync(file, `${doc(scenarios.gatewayToInstance())}\n${doc([cabal.eip(1, ['delete'])])}\n`);
    const run = await cli(['plan-guard', '--plan-json', file, '--fail-on', 'none']);
    expect(run.code).toBe(0);
    expect(run.out).toContain('(plan 1 of 2)');
    expect(run.out).toContain('(plan 2 of 2)');
    const note = 'plan 1 of 2: the plan has no format_version: read as format 1.x';
    expect(run.out).toMatch(/^Notes$/m);
    expect(run.out.split(note).length).toBe(2);
    expect(run.out).not.toMatch(/^warning:/m);
  });

  test('a plan with no NAT change: NONE and why, no table', async () => {
    const run = await cli(['plan-guard', '--plan-json', 'examples/plans/unrelated-only.json']);
    expect(run.out.split('\n')[0]).toBe('NAT egress risk: NONE · mode switch none · expected applies 1');
    expect(run.out).toContain('No change in this plan touches NAT egress');
    expect(run.out).not.toContain('SEVERITY');
  });
});

describe('errors are plain text, said once', () => {
  test('plan-guard input error: one line, `<` as typed, exit 1', async () => {
    const run = await cli(['plan-guard', '--plan-json', '<plan>.json']);
    expect(run.code).toBe(1);
    expect(run.out).toBe('nat-egress plan-guard failed: plan-json: <plan>.json: does not exist\n');
    expect(readdirSync(TMP)).toEqual([]);
  });

  test('fail-on reached: the view, then the failure line once, last', async () => {
    const run = await cli(['plan-guard', '--plan-json', PLAN, '--fail-on', 'high']);
    expect(run.code).toBe(1);
    const failure = 'NAT egress risk is high, at or above fail-on (high): 1 finding(s), see the report';
    expect(run.out.trimEnd().split('\n').at(-1)).toBe(`nat-egress plan-guard failed: ${failure}`);
    expect(run.out.split(failure).length).toBe(2);
  });

  test("another command's failure summary: no character references, its key/value table aligned", async () => {
    const run = await cli(['build-nat-ami', '--region', 'us-east-1', '--timeout', '<x>']);
    expect(run.code).toBe(1);
    expect(run.out).not.toMatch(/&lt;|&gt;|&#\d+;/);
    expect(run.out).toContain('Failure: timeout: "<x>" is not a duration');
    expect(run.out).not.toContain('| --- |');
    expect(run.out).toMatch(/^Region$/m); // its value is empty
    expect(run.out).toMatch(/^Duration of this step {2}\d+ ms$/m);
    expect(readdirSync(TMP)).toEqual([]);
  });

  test('--format: one line naming the bad value; --json and --format together refused', async () => {
    expect((await cli(['plan-guard', '--format', 'html'])).err).toBe(
      'nat-egress plan-guard: --format: "html" is not terminal or markdown (see --help)\n',
    );
    const both = await cli(['plan-guard', '--plan-json', PLAN, '--json', '--format', 'markdown']);
    expect([both.code, both.err]).toEqual([
      2,
      'nat-egress plan-guard: --json and --format: give one of them (--json prints the outputs, --format the report) (see --help)\n',
    ]);
  });
});

describe('--help gives every default', () => {
  test.each(COMMANDS as string[])('%s', (command) => {
    const action = readAction(command);
    const help: string = commandHelp(command, action).replace(/\n {10,}/g, ' ');
    for (const [name, spec] of Object.entries(action.inputs as Record<string, Obj>)) {
      const line = help.split('\n').find((l) => l.startsWith(`  --${name} `)) ?? '';
      expect(line).not.toBe('');
      const value = spec.default === undefined ? '' : String(spec.default);
      // Either the description says its default, or the help adds it (an empty default = no default to give).
      if (value !== '' && !/\bdefault\b/i.test(String(spec.description))) expect(line).toMatch(/\(default/);
    }
    expect(help).toMatch(/--format\s.*\(default: terminal\)/);
    expect(help).toMatch(/--color\s.*\(default: auto\)/);
  });

  test('plan-guard: comment is never from a terminal; the token is the workflow default', () => {
    const help: string = commandHelp('plan-guard', readAction('plan-guard')).replace(/\n {10,}/g, ' ');
    expect(help).toContain('(default: never from a terminal; auto in a workflow)');
    expect(help).toContain('(default in a workflow: ${{ github.token }}; from a terminal, give it)');
  });
});

describe('layout and markdown pieces', () => {
  test('table: columns aligned, long cells wrapped within their column, the width kept', () => {
    const lines: string[] = table(
      ['A', 'LONG', 'LAST'],
      [
        ['x', 'one two three four five six seven eight nine ten', 'end'],
        ['yy', 'short', 'a much longer last cell that wraps too'],
      ],
      { width: 40 },
    );
    const starts = columnStarts(lines[0]!, ['A', 'LONG', 'LAST']);
    for (const l of lines) expect(width(l)).toBeLessThanOrEqual(40);
    expect(lines[1]!.slice(0, starts[1]).trim()).toBe('x');
    expect(lines[2]!.slice(0, starts[1]).trim()).toBe(''); // the wrapped part of row 1 stays in its column
    expect(lines.join('\n')).toContain('five');
    expect(table(['', ''], [['k', 'v']], { width: 40 })).toEqual(['k  v']);
  });

  test('wrap: continuation lines indented under the text', () => {
    expect(wrap('aaa bbb ccc ddd', 12, 4)).toEqual(['aaa bbb', '    ccc ddd']);
  });

  test('markdown: headings, tables, lists, escapes, entities, <br>, <details>, comments', () => {
    const md = [
      '<!-- marker -->',
      '### ✅ Done &amp; dusted',
      '',
      '| Key | Value |',
      '| --- | --- |',
      '| `a\\|b` | x &lt;y&gt;<br>second |',
      '',
      '<details><summary>More (2)</summary>',
      '',
      '- Why: \\*not bold\\* &#64;team http&#58;//example',
      '- Do: **this**',
      '',
      '</details>',
    ].join('\n');
    const text = markdownForTerminal(md, { color: false, width: 60 });
    expect(text.split('\n')).toEqual([
      '✅ Done & dusted',
      '',
      'Key  Value',
      'a|b  x <y>',
      '     second',
      '',
      'More (2)',
      '',
      '- Why: *not bold* @team http://example',
      '- Do: this',
    ]);
    expect(markdownForTerminal('**b**', { color: true, width: 60 })).toBe('\x1b[1mb\x1b[22m');
    expect(decodeEntities('&#x3C;&#60;&lt;&unknown;www&#8203;.x')).toBe('<<<&unknown;www.x');
  });
});
