/**
 * The module graph of docs/ARCHITECTURE.md is enforced by dependency-cruiser (`pnpm depcruise`, part of
 * `pnpm test`). This proves the rules bite: a scratch tree laid out like packages/shared/src, one import at a time,
 * is cruised with the repository's own `.dependency-cruiser.cjs`.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CRUISER = join(ROOT, 'node_modules', '.bin', 'depcruise');

/** Cruises a scratch tree of `files` (path → content); returns the rule names reported. */
function violations(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nat-egress-graph-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'ESNext' } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const roots = ['packages', 'actions'].filter((r) => existsSync(join(dir, r)));
    const config = join(ROOT, '.dependency-cruiser.cjs');
    const run = spawnSync(CRUISER, [...roots, '--config', config, '--output-type', 'json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (run.status !== 0 && !run.stdout) throw new Error(`depcruise failed: ${run.stderr}`);
    const report = JSON.parse(run.stdout) as { summary: { violations: { rule: { name: string } }[] } };
    return report.summary.violations.map((v) => v.rule.name).sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SRC = 'packages/shared/src';
const leaf = 'export const x = 1;\n';

describe('the module graph (dependency-cruiser rules)', () => {
  test('imports that point towards the platform pass', () => {
    expect(
      violations({
        [`${SRC}/runtime/index.ts`]: leaf,
        [`${SRC}/plan/index.ts`]: "import { x } from '../runtime/index';\nexport const y = x;\n",
        [`${SRC}/nat/index.ts`]: "import { y } from '../plan/index';\nexport const z = y;\n",
        [`${SRC}/review/index.ts`]: "import { z } from '../nat/index';\nexport const w = z;\n",
        [`${SRC}/cutover/index.ts`]: "import { w } from '../egress/index';\nexport const v = w;\n",
        [`${SRC}/egress/index.ts`]: "import { z } from '../nat/index';\nexport const w = z;\n",
      }),
    ).toEqual([]);
  });

  test('a back edge fails, in every layer', () => {
    expect(
      violations({
        [`${SRC}/runtime/index.ts`]: "import { z } from '../nat/index';\nexport const x = z;\n",
        [`${SRC}/nat/index.ts`]: leaf.replace('x', 'z'),
      }),
    ).toEqual(['platform-imports-only-platform']);
    expect(
      violations({
        [`${SRC}/plan/index.ts`]: "import { w } from '../review/index';\nexport const y = w;\n",
        [`${SRC}/review/index.ts`]: leaf.replace('x', 'w'),
      }),
    ).toEqual(['format-imports-no-model-or-users']);
    expect(
      violations({
        [`${SRC}/nat/index.ts`]: "import { w } from '../cutover/index';\nexport const z = w;\n",
        [`${SRC}/cutover/index.ts`]: leaf.replace('x', 'w'),
      }),
    ).toEqual(['model-imports-no-users']);
  });

  test('users import each other only along the listed edges', () => {
    expect(
      violations({
        [`${SRC}/cutover/index.ts`]: "import { w } from '../review/index';\nexport const v = w;\n",
        [`${SRC}/review/index.ts`]: leaf.replace('x', 'w'),
      }),
    ).toEqual(['cutover-imports-only-its-listed-users']);
  });

  test('a cycle fails, even inside one folder', () => {
    expect(
      violations({
        [`${SRC}/runtime/a.ts`]: "import { b } from './b';\nexport const a = () => b;\n",
        [`${SRC}/runtime/b.ts`]: "import { a } from './a';\nexport const b = () => a;\n",
      }),
    ).toEqual(['no-circular']);
  });

  test('an unknown folder, shared code importing an action, and one action importing another fail', () => {
    expect(violations({ [`${SRC}/topology/index.ts`]: leaf })).toEqual([]);
    expect(
      violations({
        [`${SRC}/topology/index.ts`]: "import { x } from '../runtime/index';\nexport const t = x;\n",
        [`${SRC}/runtime/index.ts`]: leaf,
      }),
    ).toEqual(['known-folders-only']);
    expect(
      violations({
        [`${SRC}/report/index.ts`]: "import { m } from '../../../../actions/cutover/src/main';\nexport const r = m;\n",
        'actions/cutover/src/main.ts': leaf.replace('x', 'm'),
        'actions/plan-guard/src/index.ts': "import { m } from '../../cutover/src/main';\nexport const p = m;\n",
      }),
    ).toEqual(['actions-import-no-other-action', 'shared-imports-no-action-or-cli']);
  });
});
