/**
 * The bridged switch against real terraform and the real hashicorp/aws provider (moto behind the fault proxy, with
 * the EC2 behaviours moto lacks modelled: route states, ReplaceRoute's checks, a security group in use, a NAT
 * gateway that fails on an associated address), measured by the proxy's data-plane model (support/dataplane.ts):
 * per private AZ, the longest and total time without egress and any egress from an IP outside the NAT Elastic IPs.
 * Its own file (own moto and proxy) so jest's second worker runs it beside rehearsal.test.ts.
 *
 * Scenarios (concurrent, one region each): 2 AZs gateway → instance, AMI adoption, instance → gateway; 3 AZs
 * gateway → instance, then an AMI adoption whose bridge target is stopped mid-switch; one AZ (in place, the fast
 * restore, said up front). Targets per private AZ: longest outage ≤ 1 s, total ≤ 2 s, 0 s from a non-allow-listed IP,
 * converged, `terraform plan -detailed-exitcode` 0. With REHEARSAL_INPLACE=1 (`pnpm bench rehearsal`) the 2- and
 * 3-AZ chains also run with strategy: in-place, for the figures side by side.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import type { AzEgress } from './support/dataplane';
import { Rehearsal, type Environment, type Vars } from './support/rehearsal';

const NAT_DELETE_MS = Number(process.env.REHEARSAL_BRIDGE_NAT_DELETE_MS ?? 10_000);
const SCENARIO_MS = 14 * 60_000;
const IN_PLACE = process.env.REHEARSAL_INPLACE === '1';

let rehearsal: Rehearsal | undefined;
let skip = '';
const report: Record<string, unknown> = {};

beforeAll(async () => {
  const started = await Rehearsal.start({ natDeleteMs: NAT_DELETE_MS, keep: process.env.REHEARSAL_KEEP === '1' });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1')
      throw new Error(`the rehearsal is required here (CI=true or .ci/run) but cannot run: ${skip}`);
    console.log(`bridge rehearsal skipped: ${skip}`);
  } else rehearsal = started;
}, 120_000);

afterAll(async () => {
  const m = rehearsal?.models.dataplane;
  if (m) report.dataplane = { reads: m.reads, readMs: m.readMs, maxLagMs: m.maxLagMs, lazyChanges: m.lazyChanges };
  await rehearsal?.stop();
  if (process.env.REHEARSAL_BRIDGE_REPORT && Object.keys(report).length > 0)
    writeFileSync(process.env.REHEARSAL_BRIDGE_REPORT, JSON.stringify({ natDeleteMs: NAT_DELETE_MS, ...report }, null, 2));
});

function scenario(name: string, fn: (r: Rehearsal) => Promise<void>): void {
  test.concurrent(
    name,
    async () => {
      if (!rehearsal) {
        expect(skip).not.toBe('');
        return;
      }
      await fn(rehearsal);
    },
    SCENARIO_MS,
  );
}

type Strategy = 'bridge' | 'in-place';

async function planExitCode(env: Environment): Promise<number | null> {
  return (await env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'])).code;
}

const errors = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.slice(0, 400));

/** Bootstraps in gateway mode and starts the data-plane model on the VPC. */
async function bootstrap(r: Rehearsal, name: string, region: string, azs: number): Promise<Environment> {
  const env = r.environment(name, region);
  const { planfile } = await env.plan({ use_nat_instance: false, az_count: azs });
  const run = await env.cutover(planfile);
  expect({ code: run.code, result: run.outputs.result, stderr: run.stderr.slice(-600) }).toEqual({
    code: 0,
    result: 'applied',
    stderr: '',
  });
  await r.models.dataplane.watch(region, (await env.outputs()).vpcId);
  return env;
}

interface Switched {
  strategy: string;
  applies: number;
  cutoverSeconds: number;
  egressGapSeconds: number | null;
  egressGaps: unknown;
  perAz: AzEgress[];
  planGuard: { strategy: string; said: boolean };
}

/**
 * One switch: plan → plan-guard (with the strategy) → cutover → the data plane's per-AZ egress, the final plan and
 * verify-egress. With `during`, a hook on the cutover's output (the mid-switch fault).
 */
async function switchTo(
  env: Environment,
  vars: Vars,
  strategy: Strategy,
  mode: 'instance' | 'gateway',
  during?: (stdout: string) => void,
): Promise<Switched> {
  const r = env.rehearsal;
  const { relayIps } = await env.outputs();
  const { planfile } = await env.plan(vars);
  const guard = await env.planGuard(planfile, { strategy: strategy === 'bridge' ? 'auto' : 'in-place' });
  expect(guard.code).toBe(0);
  expect(guard.outputs.strategy).toBe(strategy);
  const summary = guard.stdout + (guard.outputs['report-file'] ?? '');
  const since = Date.now();
  const run = await env.cutover(
    planfile,
    { 'expected-plan-sha': guard.outputs['plan-sha'] ?? '', ...(strategy === 'in-place' ? { strategy } : {}) },
    during ? { onStdout: (s) => during(s) } : {},
  );
  const ended = Date.now();
  expect({ code: run.code, result: run.outputs.result, errors: errors(run.stdout), stderr: run.stderr.slice(-600) }).toEqual({
    code: 0,
    result: expect.stringMatching(/^(applied|converged)$/),
    errors: [],
    stderr: '',
  });
  expect(run.outputs.strategy).toBe(strategy);
  expect(run.stdout).toMatch(new RegExp(`Strategy: ${strategy === 'bridge' ? 'bridge' : 'in-place'}`));
  expect(await planExitCode(env)).toBe(0);
  await r.models.dataplane.settled(env.region);
  const perAz = r.models.dataplane.egress(env.region, relayIps, since, ended);
  const verify = await env.verifyEgress({ mode });
  expect({ code: verify.code, healthy: verify.outputs.healthy }).toEqual({ code: 0, healthy: 'true' });
  expect(verify.outputs.report ?? '').not.toMatch(/cross-AZ egress/);
  return {
    strategy,
    applies: Number(run.outputs.applies),
    cutoverSeconds: (ended - since) / 1000,
    egressGapSeconds: run.outputs['egress-gap-seconds'] === '' ? null : Number(run.outputs['egress-gap-seconds']),
    egressGaps: JSON.parse(run.outputs['egress-gaps'] ?? '[]'),
    perAz,
    planGuard: { strategy: guard.outputs.strategy ?? '', said: /Strategy/.test(summary) },
  };
}

/** The targets for a bridged switch, per private AZ. */
function expectTargets(s: Switched, azs: number): void {
  expect(s.perAz).toHaveLength(azs);
  for (const az of s.perAz)
    expect({ az: az.az, longest: az.longestOutageSeconds <= 1, total: az.totalOutageSeconds <= 2, bad: az.disallowedSeconds }).toEqual({
      az: az.az,
      longest: true,
      total: true,
      bad: 0,
    });
  expect(s.egressGapSeconds ?? 99).toBeLessThanOrEqual(1);
}

function chain2(strategy: Strategy, region: string): void {
  scenario(`2 AZs, strategy ${strategy}: gateway → instance, AMI adoption, instance → gateway`, async (r) => {
    const env = await bootstrap(r, `two-${strategy}`, region, 2);
    await env.registerNatAmi('2026-11-01');
    const g2i = await switchTo(env, { use_nat_instance: true, az_count: 2 }, strategy, 'instance');
    await env.registerNatAmi('2026-11-15');
    const ami = await switchTo(env, { use_nat_instance: true, az_count: 2 }, strategy, 'instance');
    const i2g = await switchTo(env, { use_nat_instance: false, az_count: 2 }, strategy, 'gateway');
    report[`two-${strategy}`] = { g2i, ami, i2g };
    if (strategy === 'bridge') for (const s of [g2i, ami, i2g]) expectTargets(s, 2);
    // The shared security group was deleted only once nothing used it (EC2's DependencyViolation modelled).
    expect(r.models.securityGroups.refused).toBe(0);
  });
}

function chain3(strategy: Strategy, region: string): void {
  scenario(`3 AZs, strategy ${strategy}: gateway → instance, then an AMI adoption${strategy === 'bridge' ? ' whose bridge target stops mid-switch' : ''}`, async (r) => {
    const env = await bootstrap(r, `three-${strategy}`, region, 3);
    await env.registerNatAmi('2026-11-01');
    const g2i = await switchTo(env, { use_nat_instance: true, az_count: 3 }, strategy, 'instance');
    await env.registerNatAmi('2026-11-15');
    let stopped = '';
    const stopTarget = (stdout: string) => {
      // AZ 0 is on its bridge and its NAT step has begun: stop the bridge target's instance (a NAT failing).
      const m = /Bridged AZ 0: \S+ \S+ → (i-[0-9a-f]+)/.exec(stdout);
      if (stopped || !m || !/AZ 0 NAT: terraform apply/.test(stdout)) return;
      stopped = m[1] as string;
      void r.proxy.mutateEc2(env.region, 'StopInstances', { 'InstanceId.1': stopped });
    };
    const ami = await switchTo(env, { use_nat_instance: true, az_count: 3 }, strategy, 'instance', strategy === 'bridge' ? stopTarget : undefined);
    report[`three-${strategy}`] = { g2i, ami, stopped };
    if (strategy === 'bridge') {
      expect(stopped).toMatch(/^i-/);
      for (const s of [g2i, ami]) expectTargets(s, 3);
    }
  });
}

describe('the bridged switch: real terraform and AWS provider against moto behind the fault proxy', () => {
  chain2('bridge', 'ap-south-1');
  chain3('bridge', 'ap-northeast-1');
  if (IN_PLACE) {
    chain2('in-place', 'ap-southeast-1');
    chain3('in-place', 'ap-southeast-2');
  }

  scenario('one AZ: bridging cannot apply, the fast restore runs in place and both reports say so up front', async (r) => {
    const env = await bootstrap(r, 'one', 'ca-central-1', 1);
    await env.registerNatAmi('2026-11-01');
    const { relayIps } = await env.outputs();
    const { planfile } = await env.plan({ use_nat_instance: true, az_count: 1 });
    const guard = await env.planGuard(planfile);
    expect(guard.outputs.strategy).toBe('in-place');
    const since = Date.now();
    const run = await env.cutover(planfile, { 'expected-plan-sha': guard.outputs['plan-sha'] ?? '' });
    const ended = Date.now();
    expect({ code: run.code, result: run.outputs.result, strategy: run.outputs.strategy }).toEqual({
      code: 0,
      result: 'converged',
      strategy: 'in-place',
    });
    // Said before anything else happens: the strategy line comes before the first apply.
    const said = run.stdout.indexOf('Strategy: in-place (bridging cannot apply: one AZ');
    expect(said).toBeGreaterThanOrEqual(0);
    expect(said).toBeLessThan(run.stdout.indexOf('terraform apply'));
    expect(await planExitCode(env)).toBe(0);
    await r.models.dataplane.settled(env.region);
    const perAz = r.models.dataplane.egress(env.region, relayIps, since, ended);
    const gaps = JSON.parse(run.outputs['egress-gaps'] ?? '[]') as { seconds?: number }[];
    expect(perAz).toHaveLength(1);
    expect(perAz[0]?.disallowedSeconds).toBe(0);
    // The cutover's own view (terraform's timestamps) and the data plane agree on the outage within 2 s.
    expect(Math.abs((gaps[0]?.seconds ?? 0) - (perAz[0]?.longestOutageSeconds ?? 0))).toBeLessThanOrEqual(2);
    report.one = { perAz, egressGaps: gaps, cutoverSeconds: (ended - since) / 1000 };
  });
});
