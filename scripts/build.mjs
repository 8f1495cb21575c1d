#!/usr/bin/env node
// Bundles every action (actions/<name>/src/index.ts -> <out>/<name>/dist) with @vercel/ncc.
// Usage: node scripts/build.mjs [--out DIR] [action ...]
//   --out DIR  write bundles to DIR/<name>/dist instead of actions/<name>/dist (used by check-dist).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
let out = null;
const only = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--out') out = resolve(args[++i] ?? '');
  else only.push(args[i]);
}

const actions = readdirSync(join(root, 'actions')).filter(
  (name) => existsSync(join(root, 'actions', name, 'src', 'index.ts')) && (only.length === 0 || only.includes(name)),
);
const unknown = only.filter((name) => !actions.includes(name));
if (unknown.length > 0) {
  console.error(`build: no action named ${unknown.join(', ')} (actions/<name>/src/index.ts)`);
  process.exit(2);
}
const ncc = join(root, 'node_modules', '.bin', 'ncc');

async function bundle(name) {
  const dist = out ? join(out, name, 'dist') : join(root, 'actions', name, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const started = Date.now();
  await run(ncc, ['build', 'src/index.ts', '-o', dist, '--license', 'licenses.txt', '--target', 'es2022', '-q'], {
    cwd: join(root, 'actions', name),
    maxBuffer: 64 * 1024 * 1024,
  });
  console.log(`built actions/${name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// Two at a time: the machines this runs on have two cores.
const queue = [...actions];
let failed = false;
await Promise.all(
  [0, 1].map(async () => {
    while (queue.length > 0) {
      const name = queue.shift();
      try {
        await bundle(name);
      } catch (err) {
        failed = true;
        console.error(`build: actions/${name} failed:\n${err.stderr || err.stdout || err.message}`);
      }
    }
  }),
);
process.exit(failed ? 1 : 0);
