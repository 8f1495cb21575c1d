/**
 * Benchmark: the gateway→instance Elastic IP race, simulated on virtual time (no real waiting), through the whole
 * cutover flow (show, apply 1 fails with the race, EC2 confirmation and wait, re-plan, convergence check, apply 2).
 * The gateway finishes deleting 0–4 min after apply 1 failed; its address stays associated 0–8 s longer; EC2 keeps
 * answering AuthFailure for up to 1 s after that. A re-apply before then fails again: that is a premature re-apply.
 * Prints, next to the targets:
 *   - delay from the address release to the re-apply starting (the re-plan begins; simulated terraform is instant)
 *   - premature re-applies
 *   - EC2 calls during the wait, against wait / poll interval (5 s) + 5
 *
 * Run: node scripts/run-ts.mjs actions/cutover/bench/bench.ts
 */
import { mockClient } from 'aws-sdk-client-mock';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '@nat-egress/shared/runtime';
import {
  ADAPTIVE_MAX_MS,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  runCutover,
  type RunResult,
  type TerraformDriver,
} from '@nat-egress/shared/terraform';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';

const TRIALS = 400;
const AZS = 2;
const AUTH_LINGER_MS = 1_000;
const TARGET_MEDIAN_DELAY_MS = 5_000;
const M = 'module.vpc';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Trial {
  delayMs: number;
  premature: number;
  waitMs: number;
  ec2Calls: number;
  budget: number;
  converged: boolean;
}

const ui = (clock: VirtualClock, o: Record<string, unknown>) => JSON.stringify({ '@level': 'info', '@module': 'terraform.ui', '@timestamp': new Date(clock.now()).toISOString(), ...o });
const hook = (clock: VirtualClock, type: string, addr: string, action: string, extra: Record<string, unknown> = {}) =>
  ui(clock, { '@message': `${addr}: ${type}`, type, hook: { resource: { addr, resource_type: addr.split('.').at(-2)?.replace(/\[.*$/, '') }, action, ...extra } });
const AUTH = 'creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: 6f3add99-57a2-47ae-931f-261856ba01d4, api error AuthFailure: You do not have permission to access the specified resource.';

async function trial(dir: string, rnd: () => number): Promise<Trial> {
  const clock = new VirtualClock();
  const deletingMs = Math.round(rnd() * 240_000);
  const lingerMs = Math.round(rnd() * 8_000);
  let failedAt = 0;
  const releaseAt = () => failedAt + deletingMs + lingerMs;
  let premature = 0;
  let replanStart = 0;
  let applies = 0;

  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(ec2);
  mock.on(DescribeNatGatewaysCommand).callsFake(() => ({
    NatGateways: Array.from({ length: AZS }, (_, i) => ({
      NatGatewayId: `nat-0${i}0f1e2d3c4b5a6978`,
      State: clock.now() < failedAt + deletingMs ? 'deleting' : 'deleted',
      NatGatewayAddresses: [{ AllocationId: `eipalloc-0${i}a1b2c3d4e5f6a7b8` }],
    })),
  }));
  mock.on(DescribeAddressesCommand).callsFake((input: { AllocationIds?: string[] }) => ({
    Addresses: (input.AllocationIds ?? []).map((a) => ({ AllocationId: a, ...(clock.now() < releaseAt() ? { AssociationId: 'eipassoc-gw', NetworkInterfaceId: 'eni-gw' } : {}) })),
  }));

  const plans: Record<string, unknown> = {
    reviewed: planJson(scenarios.gatewayToInstance(AZS)),
    replan: planJson(Array.from({ length: AZS }, (_, i) => cabal.association(i, ['create']))),
  };
  const terraform: TerraformDriver = {
    async show(planfile, outFile) {
      writeFileSync(outFile, JSON.stringify(plans[planfile.endsWith('tfplan') && !planfile.includes('replan') ? 'reviewed' : 'replan']));
    },
    async run(args, onLine): Promise<RunResult> {
      const done = (exitCode: number): RunResult => ({ exitCode, signal: null, interrupted: false, escalated: [] });
      if (args[0] === 'plan') {
        replanStart = replanStart || clock.now();
        return done(0);
      }
      applies++;
      const raceLost = applies === 1 || clock.now() < releaseAt() + AUTH_LINGER_MS;
      if (applies > 1 && raceLost) premature++;
      for (let i = 0; i < AZS; i++) {
        if (applies === 1) {
          onLine(hook(clock, 'apply_start', `${M}.aws_route.private[${i}]`, 'update'), 'stdout');
          onLine(hook(clock, 'apply_complete', `${M}.aws_route.private[${i}]`, 'update'), 'stdout');
          onLine(hook(clock, 'apply_start', `${M}.aws_nat_gateway.nat[${i}]`, 'delete'), 'stdout');
        }
        onLine(hook(clock, 'apply_start', `${M}.aws_eip_association.nat[${i}]`, 'create'), 'stdout');
        if (raceLost) {
          onLine(hook(clock, 'apply_errored', `${M}.aws_eip_association.nat[${i}]`, 'create'), 'stdout');
          onLine(ui(clock, { '@level': 'error', type: 'diagnostic', diagnostic: { severity: 'error', summary: AUTH, detail: '', address: `${M}.aws_eip_association.nat[${i}]` } }), 'stdout');
        } else {
          onLine(hook(clock, 'apply_complete', `${M}.aws_eip_association.nat[${i}]`, 'create'), 'stdout');
        }
      }
      if (applies === 1) failedAt = clock.now();
      return done(raceLost ? 1 : 0);
    },
  };
  const out = { line: () => undefined, startGroup: () => undefined, endGroup: () => undefined, secret: () => undefined };
  writeFileSync(join(dir, 'tfplan'), 'saved plan');
  const r = await runCutover(
    { workingDirectory: dir, planfile: 'tfplan', applyArgs: [], maxApplies: 3, releaseTimeoutMs: 30 * 60_000, amiCheck: 'off', ami: { namePattern: 'cabal-nat-al2023-*', requiredTags: [] } },
    { terraform, ec2: () => ec2, clock, out, tempDir: dir },
  );
  const w = r.wait!;
  const waitMs = w.endedAt - w.startedAt;
  return {
    delayMs: replanStart - releaseAt(),
    premature,
    waitMs,
    ec2Calls: w.ec2Calls,
    budget: waitMs / ADAPTIVE_MAX_MS + 5,
    converged: r.result === 'converged',
  };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
const rnd = random(20260101);
const results: Trial[] = [];
try {
  for (let i = 0; i < TRIALS; i++) results.push(await trial(dir, rnd));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const delays = results.map((r) => r.delayMs).sort((a, b) => a - b);
const premature = results.reduce((n, r) => n + r.premature, 0);
const overBudget = results.filter((r) => r.ec2Calls > r.budget).length;
const worstSlack = Math.min(...results.map((r) => r.budget - r.ec2Calls));
const converged = results.filter((r) => r.converged).length;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

console.log(`cutover bench: ${TRIALS} simulated gateway→instance races (${AZS} AZs; gateway deletes 0–4 min after apply 1, address lingers 0–8 s, AuthFailure 1 s more)`);
console.log(`  converged                                   ${converged}/${TRIALS}`);
console.log(`  release → re-apply start, median            ${s(pct(delays, 50))}   (target ≤ ${s(TARGET_MEDIAN_DELAY_MS)})   p90 ${s(pct(delays, 90))}, max ${s(delays.at(-1) ?? 0)}`);
console.log(`  premature re-applies                        ${premature}   (target 0)`);
console.log(`  EC2 calls during the wait vs wait/5 s + 5   ${overBudget} trial(s) over budget   (target 0); tightest slack ${worstSlack.toFixed(1)} call(s)`);
const longest = results.reduce((a, b) => (b.waitMs > a.waitMs ? b : a));
console.log(`  longest wait ${s(longest.waitMs)}: ${longest.ec2Calls} EC2 calls (budget ${longest.budget.toFixed(1)})`);
const ok = pct(delays, 50) <= TARGET_MEDIAN_DELAY_MS && premature === 0 && overBudget === 0 && converged === TRIALS;
console.log(ok ? '  all targets met' : '  TARGET MISSED');
if (!ok) process.exitCode = 1;
