#!/usr/bin/env node
// `pnpm bench`: runs every action's benchmark (actions/<name>/bench/bench.ts, then any <topic>.bench.ts beside
// it), each printing its figures and targets, then the rehearsal's real timings (scripts/bench-rehearsal.mjs:
// real terraform against moto) and the recovery rehearsal's (scripts/bench-recovery.mjs: every kill point, both
// ways). Usage: pnpm bench [action … | rehearsal | recovery]   (BENCH_QUICK=1 skips plan-guard's > 512 MB plan)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const benches = readdirSync(join(root, 'actions'))
  .filter((name) => existsSync(join(root, 'actions', name, 'bench', 'bench.ts')))
  .filter((name) => only.length === 0 || only.includes(name));
const rehearsal = only.length === 0 || only.includes('rehearsal');
const recovery = only.length === 0 || only.includes('recovery');
if (benches.length === 0 && !rehearsal && !recovery) {
  console.error(`bench: nothing to run${only.length ? ` for ${only.join(', ')}` : ''}`);
  process.exit(2);
}
let failed = [];
for (const name of benches) {
  const extra = readdirSync(join(root, 'actions', name, 'bench'))
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  for (const file of ['bench.ts', ...extra]) {
    const label = file === 'bench.ts' ? name : `${name} ${file.replace(/\.bench\.ts$/, '')}`;
    console.log(`\n=== ${label} ===`);
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'run-ts.mjs'), join('actions', name, 'bench', file)], {
      cwd: root,
      stdio: 'inherit',
    });
    if (r.status !== 0) failed.push(label);
  }
}
if (rehearsal) {
  console.log('\n=== rehearsal (real terraform) ===');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bench-rehearsal.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) failed.push('rehearsal');
}
if (recovery) {
  console.log('\n=== recovery rehearsal (cancelled or killed, real terraform) ===');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'bench-recovery.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) failed.push('recovery');
}
if (failed.length > 0) {
  console.error(`\nbench: ${failed.join(', ')} exited non-zero (a target missed or an error)`);
  process.exit(1);
}
