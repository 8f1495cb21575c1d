#!/usr/bin/env node
// Runs a TypeScript file once (benchmarks, local tools): bundles it with ncc into a temporary folder, then runs
// the bundle with this Node, passing the remaining arguments. Usage: node scripts/run-ts.mjs <file.ts> [args…]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args…]');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'nat-run-ts-'));
try {
  execFileSync(
    join(root, 'node_modules', '.bin', 'ncc'),
    ['build', resolve(file), '-o', out, '-q', '--target', 'es2022'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const result = spawnSync(process.execPath, [...process.execArgv, join(out, 'index.js'), ...args], {
    stdio: 'inherit',
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
