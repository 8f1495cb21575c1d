/**
 * The rehearsal: the runbook against real terraform and the real hashicorp/aws provider, with moto behind the
 * fault-injection proxy as AWS, driven through the bundled actions (dist/index.js under Node 24). One moto, one
 * proxy and one provider install serve every scenario; each scenario has its own region (moto keeps regions
 * apart), working directory and state, and the scenarios run concurrently.
 *
 * Without terraform, the provider or moto the rehearsal is skipped with one line, except under CI=true, where
 * that is a failure (.ci/run requires the rehearsal).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { internalError, throttle } from './support/proxy';
import { Rehearsal, egressGaps, type Environment } from './support/rehearsal';

const NAT_DELETE_MS = Number(process.env.REHEARSAL_NAT_DELETE_MS ?? 20_000);
const AUTH_LINGER_MS = 1_000;
const SCENARIO_MS = 10 * 60_000;

let rehearsal: Rehearsal | undefined;
let skip = '';

beforeAll(async () => {
  const started = await Rehearsal.start({ natDeleteMs: NAT_DELETE_MS, authLingerMs: AUTH_LINGER_MS, keep: process.env.REHEARSAL_KEEP === '1' });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true') throw new Error(`rehearsal required under CI=true but cannot run: ${skip}`);
    console.log(`rehearsal skipped: ${skip}`);
  } else rehearsal = started;
}, 120_000);

afterAll(async () => {
  await rehearsal?.stop();
});

/** A scenario: skipped (as a passing no-op with the one-line reason already printed) without the rehearsal. */
function scenario(name: string, fn: (r: Rehearsal) => Promise<void>): void {
  test.concurrent(name, async () => {
    if (!rehearsal) {
      expect(skip).not.toBe('');
      return;
    }
    await fn(rehearsal);
  }, SCENARIO_MS);
}

/** Bootstraps an environment in gateway mode through plan → cutover; returns it. */
async function bootstrap(r: Rehearsal, name: string, region: string, vars: Record<string, string | number | boolean> = {}): Promise<Environment> {
  const env = r.environment(name, region);
  const { planfile } = await env.plan({ use_nat_instance: false, ...vars });
  const run = await env.cutover(planfile);
  expect({ code: run.code, result: run.outputs.result, stderr: run.stderr.slice(-800) }).toEqual({ code: 0, result: 'applied', stderr: '' });
  return env;
}

/** `terraform plan -detailed-exitcode` with the environment's variables: 0 = no changes. */
async function planExitCode(env: Environment): Promise<number | null> {
  return (await env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'])).code;
}

function timeline(run: { outputs: Record<string, string> }): { steps: Array<{ step: string; n?: number; seconds: number; outcome: string; started: string; ended: string }>; egressGap?: { seconds?: number } } {
  return JSON.parse(run.outputs.timeline ?? '{"steps":[]}');
}

/** Figures for `pnpm bench` (written when REHEARSAL_REPORT names a file). */
const report: Record<string, unknown> = {};
afterAll(() => {
  if (process.env.REHEARSAL_REPORT && Object.keys(report).length > 0) writeFileSync(process.env.REHEARSAL_REPORT, JSON.stringify({ natDeleteMs: NAT_DELETE_MS, authLingerMs: AUTH_LINGER_MS, ...report }, null, 2));
});

describe('rehearsal: real terraform and AWS provider against moto behind the fault proxy', () => {
  scenario('bootstrap in gateway mode, then verify-egress is healthy', async (r) => {
    const env = await bootstrap(r, 'boot', 'us-east-2');
    const out = await env.outputs();
    expect(out.relayIps).toHaveLength(2);
    const verify = await env.verifyEgress();
    expect({ code: verify.code, healthy: verify.outputs.healthy }).toEqual({ code: 0, healthy: 'true' });
    expect(await planExitCode(env)).toBe(0);
    // The reverse DNS the stand-in models is what terraform wrote.
    const attrs = await r.proxy.motoEc2(env.region, 'DescribeAddresses', {});
    expect(attrs).toContain(out.relayIps[0]);
  });

  for (const restore of ['associate', 'reapply'] as const) {
    const region = restore === 'associate' ? 'us-west-1' : 'us-west-2';
    scenario(`gateway → instance (restore: ${restore}): plan-guard, cutover through the real AuthFailure, converged, no drift, egress healthy`, async (r) => {
      const env = await bootstrap(r, `flip-${restore}`, region);
      const before = await env.outputs();
      await env.registerNatAmi('2026-11-01');
      const { planfile } = await env.plan({ use_nat_instance: true });

      const guard = await env.planGuard(planfile);
      expect(guard.code).toBe(0);
      expect(guard.outputs['mode-switch']).toBe('gateway-to-instance');
      expect(guard.outputs['expected-applies']).toBe('2');
      expect(guard.outputs['plan-sha']).toMatch(/^[0-9a-f]{64}$/);

      const since = Date.now();
      const run = await env.cutover(planfile, { 'expected-plan-sha': guard.outputs['plan-sha'] ?? '', restore });
      expect({ code: run.code, result: run.outputs.result, stderr: run.stderr.slice(-800) }).toEqual({ code: 0, result: 'converged', stderr: '' });
      expect(run.outputs['retried-because']).toMatch(/AuthFailure|race/i);
      // The real provider's diagnostic came from the proxy's 400 AuthFailure.
      expect(run.stdout).toMatch(/creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: [0-9a-f-]+, api error AuthFailure/);
      const refused = env.calls('AssociateAddress').filter((c) => c.error === 'AuthFailure');
      expect(refused.length).toBeGreaterThanOrEqual(2);
      const steps = timeline(run).steps;
      expect(steps.map((s) => s.step)).toEqual(expect.arrayContaining(['check', 'apply', 'wait']));

      expect(await planExitCode(env)).toBe(0);
      const after = await env.outputs();
      expect(after.relayIps).toEqual(before.relayIps);
      const verify = await env.verifyEgress({ mode: 'instance' });
      expect({ code: verify.code, healthy: verify.outputs.healthy }).toEqual({ code: 0, healthy: 'true' });
      const egressIps = JSON.parse(verify.outputs['egress-ips'] ?? '{}') as Record<string, string | null>;
      expect(Object.values(egressIps).sort()).toEqual([...before.relayIps].sort());

      const gaps = egressGaps(r.proxy.log, env.region, before.routeTableIds, before.allocationIds, since);
      for (const g of gaps) {
        expect(g.gapSeconds).toBeGreaterThan(0);
        expect(g.releaseToAssociationSeconds).toBeGreaterThanOrEqual(AUTH_LINGER_MS / 1000 - 0.1);
      }
      report[restore] = { applies: Number(run.outputs.applies), steps, egressGapSeconds: Number(run.outputs['egress-gap-seconds']), perAz: gaps, restoreInputHonoured: /restore/.test(readAction('cutover')) };
    });
  }
});

function readAction(name: string): string {
  const file = join(import.meta.dirname, '..', '..', 'actions', name, 'action.yml');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export { internalError, throttle };
