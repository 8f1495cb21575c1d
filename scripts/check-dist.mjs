#!/usr/bin/env node
// Fails when any committed actions/*/dist differs from a fresh build: changed, new or deleted files.
// Builds into a temporary directory and compares it with the working tree (in CI: a fresh clone, so
// the working tree is exactly what was committed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'nat-dist-'));
try {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--out', tmp], { stdio: 'inherit' });
  const files = (dir) => {
    if (!existsSync(dir)) return [];
    const found = [];
    const walk = (d) => {
      for (const entry of readdirSync(d)) {
        const p = join(d, entry);
        if (statSync(p).isDirectory()) walk(p);
        else found.push(relative(dir, p));
      }
    };
    walk(dir);
    return found.sort();
  };
  const problems = [];
  const actions = readdirSync(join(root, 'actions')).filter((n) =>
    existsSync(join(root, 'actions', n, 'src', 'index.ts')),
  );
  for (const name of actions) {
    const fresh = join(tmp, name, 'dist');
    const committed = join(root, 'actions', name, 'dist');
    const a = new Set(files(fresh));
    const b = new Set(files(committed));
    for (const f of a) {
      if (!b.has(f)) problems.push(`actions/${name}/dist/${f}: missing (a fresh build creates it)`);
      else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(committed, f))))
        problems.push(`actions/${name}/dist/${f}: differs from a fresh build`);
    }
    for (const f of b)
      if (!a.has(f)) problems.push(`actions/${name}/dist/${f}: stale (a fresh build no longer creates it)`);
  }
  if (problems.length > 0) {
    console.error(
      `check-dist: committed dist/ is not what the sources build:\n  ${problems.join('\n  ')}\nRun \`pnpm build\` and commit actions/*/dist.`,
    );
    process.exit(1);
  }
  console.log(`check-dist: ${actions.length} action bundle(s) match a fresh build`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
