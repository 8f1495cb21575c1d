// The rehearsal's real timings for `pnpm bench`: runs the gateway→instance scenarios of test/rehearsal (real
// terraform and provider, moto behind the fault proxy; restore: associate and reapply in the same run) and
// prints each cutover phase, the egress gap per AZ from the proxy log, and the time the proxy took to release
// each address; then the NAT switches of test/rehearsal/bridged.test.ts, each with today's strategy (in place)
// and, when the cutover has its `strategy` input, bridged, in the same run (REHEARSAL_BASELINE=1), and prints
// each private AZ's outage from the data plane (test/rehearsal/support/dataplane.ts) side by side.
// Exit 0 with a note when the rehearsal cannot run here (no terraform/provider/moto).
// Usage: node scripts/bench-rehearsal.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'nat-bench-rehearsal-'));
const reportFile = join(dir, 'report.json');
const switchFile = join(dir, 'switches.json');
try {
  const r = spawnSync(
    join(root, 'node_modules', '.bin', 'jest'),
    [
      'test/rehearsal/rehearsal.test.ts',
      'test/rehearsal/bridged.test.ts',
      '-t',
      'gateway → instance \\(restore|strategy: |bridge target|one-AZ',
      '--silent',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        NODE_OPTIONS: '--experimental-vm-modules',
        REHEARSAL_REPORT: reportFile,
        REHEARSAL_SWITCH_REPORT: switchFile,
        REHEARSAL_BASELINE: '1',
      },
    },
  );
  if (!existsSync(reportFile)) {
    if (r.status === 0) {
      console.log('rehearsal: skipped (terraform, the provider or moto not found; see the line above)');
      process.exit(0);
    }
    console.error('rehearsal: the scenarios failed before reporting figures');
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  const s = (ms) => (ms === undefined || ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
  const sec = (v) => (v === undefined || v === null ? '—' : `${Number(v).toFixed(1)} s`);
  console.log(
    `\nRehearsal, gateway → instance, 2 AZs: real terraform + hashicorp/aws against moto behind the fault proxy`,
  );
  console.log(
    `  NAT gateway deletion (proxy): ${s(report.natDeleteMs)}; AuthFailure lingers ${s(report.authLingerMs)} after the release`,
  );
  for (const mode of ['associate', 'reapply']) {
    const m = report[mode];
    if (!m) continue;
    console.log(`\n  restore: ${mode}  (${m.restoreInput}; restore-path output: ${m.restorePath || '(empty)'})`);
    console.log(
      `    cutover: ${m.applies} apply(s), ${sec(m.cutoverSeconds)} in all; egress-gap-seconds output (terraform timestamps): ${sec(m.egressGapSeconds)}`,
    );
    console.log('    phases:');
    for (const st of m.steps)
      console.log(
        `      ${`${st.step}${st.n ? ` ${st.n}` : ''}`.padEnd(10)} ${sec(st.seconds).padStart(8)}  ${st.outcome}`,
      );
    for (const x of m.restore ?? []) {
      console.log(
        `    cutover's own record, ${x.address}: release → AssociateAddress sent ${s(x.releaseToSentMs)}, → associated ${s(x.releaseToAssociatedMs)}`,
      );
    }
    console.log(
      '    per AZ (proxy log):  route re-pointed → associated | gateway deleting → associated | gateway deleting → address released | released → associated | AuthFailures',
    );
    for (const g of m.perAz) {
      const held = g.deletingAt && g.releasedAt ? g.releasedAt - g.deletingAt : undefined;
      console.log(
        `      AZ ${g.az}: ${sec(g.gapSeconds).padStart(8)} | ${sec(g.gapFromDeletionSeconds).padStart(8)} | ${s(held).padStart(8)} | ${sec(g.releaseToAssociationSeconds).padStart(8)} | ${g.authFailures}`,
      );
    }
  }
  const a = report.associate?.perAz ?? [];
  const b = report.reapply?.perAz ?? [];
  const median = (xs) => {
    const v = xs.filter((x) => typeof x === 'number').sort((p, q) => p - q);
    return v.length === 0
      ? undefined
      : v.length % 2
        ? v[(v.length - 1) / 2]
        : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  console.log(
    `\n  release → association, median over AZs: associate ${sec(median(a.map((g) => g.releaseToAssociationSeconds)))}, reapply ${sec(median(b.map((g) => g.releaseToAssociationSeconds)))} (issue 12 target ≤ 2 s)`,
  );
  console.log(
    `  egress gap (route re-pointed → associated), median: associate ${sec(median(a.map((g) => g.gapSeconds)))}, reapply ${sec(median(b.map((g) => g.gapSeconds)))}`,
  );
  printSwitches(existsSync(switchFile) ? JSON.parse(readFileSync(switchFile, 'utf8')).switches : undefined);
  process.exitCode = r.status === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Each switch's per-AZ outage (data plane), in place beside bridged; then what the watch cost. */
function printSwitches(switches) {
  if (!switches) {
    console.log('\nSwitches (test/rehearsal/bridged.test.ts): no figures (the scenarios failed before reporting)');
    return;
  }
  const sec = (v) => (typeof v === 'number' ? `${v.toFixed(1)} s` : '—');
  const cell = (a) => (a ? `${sec(a.longestSeconds)} / ${sec(a.totalSeconds)} / ${sec(a.foreignSeconds)}` : '—');
  console.log(
    '\nSwitches, per private AZ (data plane): longest outage / total outage / egress from outside the NAT Elastic IPs',
  );
  console.log('  targets bridged: ≤ 1 s / ≤ 2 s / 0 s; the strategy column is what the cutover reported');
  const strategies = ['in-place', 'bridge', 'auto'];
  for (const [name, runs] of Object.entries(switches)) {
    const present = strategies.filter((st) => runs[st]);
    console.log(`\n  ${name}`);
    console.log(
      `    ${'AZ'.padEnd(6)}${present.map((st) => `${st} (${runs[st].strategyOutput || 'no output'})`.padEnd(36)).join('')}`,
    );
    const n = Math.max(...present.map((st) => runs[st].azs.length));
    for (let i = 0; i < n; i++)
      console.log(`    ${String(i).padEnd(6)}${present.map((st) => cell(runs[st].azs[i]).padEnd(36)).join('')}`);
    for (const st of present) {
      const x = runs[st];
      const w = x.watch;
      console.log(
        `    ${st}: cutover ${sec(x.cutoverSeconds)} (${x.cutoverRuns} run${x.cutoverRuns > 1 ? 's' : ''}, ${x.result}); ` +
          `egress-gap-seconds ${x.egressGapSeconds || '—'}; data-plane reads ${w.reads} (${w.torn} torn, ${w.missed} missed), ` +
          `read ${w.readMs.median}/${w.readMs.max} ms, answers held ${w.holdMs.median}/${w.holdMs.max} ms median/max over ${w.holdMs.count} calls`,
      );
      if (x.injected)
        console.log(
          `    injected: ${x.injected.target} (AZ ${x.injected.ownAz}'s NAT) stopped serving while AZ ${x.injected.az} was bridged to it`,
        );
    }
  }
}
