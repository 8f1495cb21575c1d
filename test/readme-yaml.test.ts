/**
 * README examples are copy-pasteable: every ```yaml block in every README parses, and every block that is a
 * workflow, a job, or steps is linted with actionlint once wrapped into the smallest workflow that holds it
 * (steps → one job on ubuntu-latest; a job → `jobs.example`; `jobs:` without `on:` → `on: workflow_dispatch`).
 *
 * actionlint: the native one of the workflow lint (test/workflows/lib/linters.ts); when it is not installed the lint
 * part says so and is skipped (REQUIRE_ACTIONLINT=1 makes that a failure).
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { findActionlint, findShellcheck } from './workflows/lib/linters';

const ROOT = join(import.meta.dirname, '..');

function readmes(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) readmes(path, out);
    else if (/^README.*\.md$/i.test(name)) out.push(path);
  }
  return out;
}

interface Block {
  file: string;
  line: number;
  text: string;
}

/** Fenced ```yaml / ```yml blocks with the line they start on. */
export function yamlBlocks(file: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*ya?ml\b/i.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[2] as string;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] as string).trimStart().startsWith(fence); j++) body.push(lines[j] as string);
    blocks.push({ file, line: i + 1, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const isStep = (v: unknown) => isObj(v) && ('uses' in v || 'run' in v);

/** The workflow that holds a block, or undefined when the block is not workflow YAML (then it only has to parse). */
export function asWorkflow(value: unknown): Obj | undefined {
  if (Array.isArray(value) && value.length > 0 && value.every(isStep)) return asWorkflow({ steps: value });
  if (isStep(value)) return asWorkflow({ steps: [value] });
  if (!isObj(value)) return undefined;
  if ('jobs' in value) return { on: 'workflow_dispatch', ...value };
  if ('steps' in value) return { on: 'workflow_dispatch', jobs: { example: { 'runs-on': 'ubuntu-latest', ...value } } };
  return undefined;
}

interface Lint {
  name: string;
  run(files: string[]): Array<{ file: string; line: number; message: string }>;
}

/** The native actionlint the workflow lint uses (test/workflows/lib/linters.ts: .venv/bin/actionlint, $ACTIONLINT or PATH). */
function actionlint(): Lint | string {
  const found = findActionlint(findShellcheck());
  if ('kind' in found) return found.reason;
  return { name: found.describe, run: (files) => found.lint(files) };
}

const blocks = readmes(ROOT).flatMap((f) => yamlBlocks(relative(ROOT, f), readFileSync(f, 'utf8')));

describe('README YAML examples', () => {
  it('there are examples to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s parses as YAML', (_where, block) => {
    const doc = parseDocument(block.text, { uniqueKeys: true });
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(doc.toJS()).not.toBeNull();
  });

  it('every workflow, job or steps example passes actionlint', () => {
    const lint = actionlint();
    if (typeof lint === 'string') {
      if (process.env.REQUIRE_ACTIONLINT === '1') throw new Error(lint);
      console.log(`skipped: ${lint}`);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'readme-yaml-'));
    try {
      const where = new Map<string, Block>();
      blocks.forEach((b, i) => {
        const wf = asWorkflow(parseDocument(b.text).toJS());
        if (!wf) return;
        const file = join(dir, `example-${i}.yml`);
        writeFileSync(file, stringify(wf));
        where.set(file, b);
      });
      expect(where.size).toBeGreaterThanOrEqual(5);
      const problems = lint
        .run([...where.keys()])
        .map((m) => `${where.get(m.file)?.file}:${where.get(m.file)?.line} (wrapped line ${m.line}): ${m.message}`);
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the wrapping', () => {
  it('wraps steps, a single step, a job and a jobs map; leaves other YAML alone', () => {
    expect(asWorkflow([{ run: 'echo' }])).toEqual({
      on: 'workflow_dispatch',
      jobs: { example: { 'runs-on': 'ubuntu-latest', steps: [{ run: 'echo' }] } },
    });
    expect(asWorkflow({ uses: 'a/b@v1' })).toMatchObject({ jobs: { example: { steps: [{ uses: 'a/b@v1' }] } } });
    expect(asWorkflow({ permissions: {}, steps: [{ run: 'x' }] })).toMatchObject({
      jobs: { example: { permissions: {}, 'runs-on': 'ubuntu-latest' } },
    });
    expect(asWorkflow({ on: 'push', jobs: {} })).toEqual({ on: 'push', jobs: {} });
    expect(asWorkflow({ name: 'x', inputs: {} })).toBeUndefined();
  });

  it('finds fenced yaml blocks with their line', () => {
    expect(yamlBlocks('R.md', 'a\n```yaml\nk: v\n```\n```yml\n- run: x\n```\n```json\n{}\n```')).toEqual([
      { file: 'R.md', line: 2, text: 'k: v' },
      { file: 'R.md', line: 5, text: '- run: x' },
    ]);
  });
});
