/**
 * The rehearsal: the runbook against real terraform and the real hashicorp/aws provider, with moto behind the
 * fault-injection proxy as AWS, driven through the bundled actions (dist/index.js under Node 24). One moto, one
 * proxy and one provider install serve every scenario; each scenario has its own region (moto keeps regions
 * apart), working directory and state, and the scenarios run concurrently.
 *
 * Without terraform, the provider or moto the rehearsal is skipped with one line, except under CI=true or
 * REHEARSAL_REQUIRED=1 (.ci/run sets it), where that is a failure.
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
  const started = await Rehearsal.start({
    natDeleteMs: NAT_DELETE_MS,
    authLingerMs: AUTH_LINGER_MS,
    keep: process.env.REHEARSAL_KEEP === '1',
  });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1')
      throw new Error(`the rehearsal is required here (CI=true or .ci/run) but cannot run: ${skip}`);
    console.log(`rehearsal skipped: ${skip}`);
  } else rehearsal = started;
}, 120_000);

afterAll(async () => {
  await rehearsal?.stop();
});

/** A scenario: skipped (as a passing no-op with the one-line reason already printed) without the rehearsal. */
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

/** Bootstraps an environment in gateway mode through plan → cutover; returns it. */
async function bootstrap(
  r: Rehearsal,
  name: string,
  region: string,
  vars: Record<string, string | number | boolean> = {},
): Promise<Environment> {
  const env = r.environment(name, region);
  const { planfile } = await env.plan({ use_nat_instance: false, ...vars });
  const run = await env.cutover(planfile);
  expect({ code: run.code, result: run.outputs.result, stderr: run.stderr.slice(-800) }).toEqual({
    code: 0,
    result: 'applied',
    stderr: '',
  });
  return env;
}

/** verify-egress's verdict, with its findings when it is not the expected one (the diff then says why). */
function verdict(run: { code: number | null; outputs: Record<string, string> }): {
  code: number | null;
  healthy: string | undefined;
  findings?: unknown;
} {
  const v: { code: number | null; healthy: string | undefined; findings?: unknown } = {
    code: run.code,
    healthy: run.outputs.healthy,
  };
  if (run.code !== 0 || run.outputs.healthy !== 'true') {
    try {
      const report = JSON.parse(run.outputs.report ?? '{}') as { findings?: unknown };
      v.findings = report.findings ?? run.outputs.report;
    } catch {
      v.findings = run.outputs.report;
    }
  }
  return v;
}

/** The action's error annotations (what a failed run says). */
function errorLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.slice(0, 400));
}

/** `terraform plan -detailed-exitcode` with the environment's variables: 0 = no changes. */
async function planExitCode(env: Environment): Promise<number | null> {
  return (await env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'])).code;
}

interface Timeline {
  steps: Array<{
    step: string;
    n?: number;
    seconds: number;
    outcome: string;
    started: string;
    ended: string;
    detail?: string;
  }>;
  egressGap?: { seconds?: number };
  restore?: Array<{ address: string; allocationId: string; releaseToSentMs?: number; releaseToAssociatedMs?: number }>;
}

function timeline(run: { outputs: Record<string, string> }): Timeline {
  return JSON.parse(run.outputs.timeline ?? '{"steps":[]}');
}

/** Figures for `pnpm bench` (written when REHEARSAL_REPORT names a file). */
const report: Record<string, unknown> = {};
afterAll(() => {
  if (process.env.REHEARSAL_REPORT && Object.keys(report).length > 0)
    writeFileSync(
      process.env.REHEARSAL_REPORT,
      JSON.stringify({ natDeleteMs: NAT_DELETE_MS, authLingerMs: AUTH_LINGER_MS, ...report }, null, 2),
    );
});

describe('rehearsal: real terraform and AWS provider against moto behind the fault proxy', () => {
  scenario(
    'bootstrap in gateway mode through throttling and 5xx bursts, then verify-egress is healthy; a real non-race provider error is not retried',
    async (r) => {
      const region = 'us-east-2';
      r.proxy.inject(throttle('DescribeVpcs', 3, { region }));
      r.proxy.inject(internalError('CreateRoute', 1, { region }));
      const env = await bootstrap(r, 'boot', region);
      expect(
        env
          .calls()
          .filter((c) => c.by === 'fault')
          .map((c) => c.error)
          .sort(),
      ).toEqual(['InternalError', 'RequestLimitExceeded', 'RequestLimitExceeded', 'RequestLimitExceeded']);
      const out = await env.outputs();
      expect(out.relayIps).toHaveLength(2);
      const verify = await env.verifyEgress();
      expect(verdict(verify)).toEqual({ code: 0, healthy: 'true' });
      expect(await planExitCode(env)).toBe(0);
      // Reverse DNS (modelled by the proxy) holds what terraform wrote.
      const ptr = await r.proxy.motoEc2(region, 'DescribeAddresses', {});
      expect(ptr).toContain(out.relayIps[0]);
      const attr = env.calls('ModifyAddressAttribute');
      expect(attr.map((c) => c.params.DomainName)).toEqual(['smtp.boot.example.com', 'smtp.boot.example.com']);

      // A provider error that is not the race: no retry, a clear failure naming it.
      r.proxy.setNatDeleteMs(region, 2_000);
      const { planfile } = await env.plan({ use_nat_instance: false, quiesced: true });
      r.proxy.inject({
        action: 'DeleteRoute',
        region,
        times: 1,
        status: 403,
        code: 'UnauthorizedOperation',
        message: 'You are not authorized to perform this operation.',
      });
      const failed = await env.cutover(planfile);
      expect(failed.code).not.toBe(0);
      expect(failed.outputs).toMatchObject({ result: 'failed', applies: '1', 'retried-because': '' });
      expect(failed.stdout).toMatch(/::error::.*not retried \(only the Elastic IP association race is\)/);
      expect(failed.stdout).toMatch(/UnauthorizedOperation/);
      expect(env.calls('DeleteRoute').filter((c) => c.error === 'UnauthorizedOperation')).toHaveLength(1);
    },
  );

  for (const restore of ['associate', 'reapply'] as const) {
    const region = restore === 'associate' ? 'us-west-1' : 'us-west-2';
    const then = restore === 'associate' ? 'then a newer AMI is adopted' : 'then back to gateways in one apply';
    scenario(
      `gateway → instance (restore: ${restore}): plan-guard, cutover through the real AuthFailure, converged, no drift, egress healthy; ${then}`,
      async (r) => {
        const env = await bootstrap(r, `flip-${restore}`, region);
        const before = await env.outputs();
        const ami = await env.registerNatAmi('2026-11-01');
        const { planfile } = await env.plan({ use_nat_instance: true });

        const guard = await env.planGuard(planfile);
        expect(guard.code).toBe(0);
        expect(guard.outputs['mode-switch']).toBe('gateway-to-instance');
        expect(guard.outputs['expected-applies']).toBe('2');
        expect(guard.outputs['plan-sha']).toMatch(/^[0-9a-f]{64}$/);

        const since = Date.now();
        // Today's strategy (one apply, fast restore); the bridged switch is bridged.test.ts's. No data-plane watch
        // here: its proxy holds each mutating answer until it has read, which under load delays terraform past the
        // AuthFailure race this scenario needs (the in-place data-plane figures are bridged.test.ts's baselines).
        const run = await env.cutover(planfile, {
          'expected-plan-sha': guard.outputs['plan-sha'] ?? '',
          restore,
          strategy: 'in-place',
        });
        const ended = Date.now();
        expect({
          code: run.code,
          result: run.outputs.result,
          stderr: run.stderr.slice(-800),
          errors: errorLines(run.stdout),
        }).toEqual({ code: 0, result: 'converged', stderr: '', errors: [] });
        expect(run.outputs['retried-because']).toMatch(/AuthFailure|race/i);
        expect(run.outputs.strategy).toBe('in-place');
        // The real provider's diagnostic, from the proxy's HTTP 400 AuthFailure.
        expect(run.stdout).toMatch(
          /creating EC2 EIP Association: operation error EC2: AssociateAddress, https response error StatusCode: 400, RequestID: [0-9a-f-]+, api error AuthFailure/,
        );
        expect(env.calls('AssociateAddress').filter((c) => c.error === 'AuthFailure').length).toBeGreaterThanOrEqual(2);
        const steps = timeline(run).steps;
        expect(steps.map((s) => s.step)).toEqual(expect.arrayContaining(['check', 'apply', 'wait']));

        expect(await planExitCode(env)).toBe(0);
        const after = await env.outputs();
        expect(after.relayIps).toEqual(before.relayIps);
        const verify = await env.verifyEgress({ mode: 'instance' });
        expect(verdict(verify)).toEqual({ code: 0, healthy: 'true' });
        const egressIps = JSON.parse(verify.outputs['egress-ips'] ?? '{}') as Record<string, string | null>;
        expect(Object.values(egressIps).sort()).toEqual([...before.relayIps].sort());
        const instances = await r.proxy.motoEc2(region, 'DescribeInstances', {
          'Filter.1.Name': 'image-id',
          'Filter.1.Value.1': ami,
          'Filter.2.Name': 'instance-state-name',
          'Filter.2.Value.1': 'running',
        });
        for (const ip of before.relayIps) expect(instances).toContain(`<publicIp>${ip}</publicIp>`);

        const gaps = egressGaps(r.proxy.log, region, before.routeTableIds, before.allocationIds, since);
        for (const g of gaps) {
          expect(g.gapSeconds).toBeGreaterThan(0);
          // Never associated before the address was released plus the lingering refusal.
          expect(g.associatedAt! - g.releasedAt!).toBeGreaterThanOrEqual(AUTH_LINGER_MS - 100);
        }
        report[restore] = {
          applies: Number(run.outputs.applies),
          cutoverSeconds: (ended - since) / 1000,
          steps,
          egressGapSeconds: run.outputs['egress-gap-seconds'] === '' ? null : Number(run.outputs['egress-gap-seconds']),
          perAz: gaps,
          restoreInput: /\n {2}restore:/.test(readAction('cutover'))
            ? 'supported'
            : 'not an input of this cutover (ignored; both runs re-apply)',
          restorePath: run.outputs['restore-path'] ?? '',
          restore: timeline(run).restore ?? [],
        };

        if (restore === 'associate') {
          // AMI adoption: a newer tagged AMI replaces every NAT instance; plan-guard says high; cutover applies it.
          await env.registerNatAmi('2026-11-15');
          const adopt = await env.plan({ use_nat_instance: true });
          const guardAmi = await env.planGuard(adopt.planfile);
          expect(guardAmi.outputs.risk).toBe('high');
          expect(guardAmi.outputs['mode-switch']).toBe('none');
          const applied = await env.cutover(adopt.planfile, {
            'expected-plan-sha': guardAmi.outputs['plan-sha'] ?? '',
            strategy: 'in-place',
          });
          expect({ code: applied.code, result: applied.outputs.result, stderr: applied.stderr.slice(-800) }).toEqual({
            code: 0,
            result: 'applied',
            stderr: '',
          });
          expect(await planExitCode(env)).toBe(0);
          const verified = await env.verifyEgress({ mode: 'instance' });
          expect(verdict(verified)).toEqual({ code: 0, healthy: 'true' });
        } else {
          // Instance → gateway: no race, one apply.
          r.proxy.setNatDeleteMs(region, 2_000);
          const back = await env.plan({ use_nat_instance: false });
          const guardBack = await env.planGuard(back.planfile);
          expect(guardBack.outputs['mode-switch']).toBe('instance-to-gateway');
          expect(guardBack.outputs['expected-applies']).toBe('1');
          const applied = await env.cutover(back.planfile, {
            'expected-plan-sha': guardBack.outputs['plan-sha'] ?? '',
            strategy: 'in-place',
          });
          // Found by this rehearsal: terraform deletes the associations and creates the gateways in parallel, so a
          // gateway can meet its Elastic IP still on the instance: EC2 takes it to `failed` (Resource.
          // AlreadyAssociated), moto (here, the gap models off) refuses CreateNatGateway at once. The cutover
          // confirms with EC2 that the association being deleted holds it, waits for the release and converges (a
          // second apply); or the race does not come.
          const raced = applied.outputs.applies === '2';
          expect({
            code: applied.code,
            result: applied.outputs.result,
            errors: errorLines(applied.stdout),
          }).toEqual({ code: 0, result: raced ? 'converged' : 'applied', errors: [] });
          if (raced)
            expect(applied.outputs['retried-because']).toMatch(/Resource\.AlreadyAssociated|already associated/);
          expect(await planExitCode(env)).toBe(0);
          const verified = await env.verifyEgress({ mode: 'gateway' });
          expect(verdict(verified)).toEqual({ code: 0, healthy: 'true' });
        }
      },
    );
  }

  scenario(
    'a plan changed after review is refused before any apply; quiesce down and up (expect-quiesced)',
    async (r) => {
      const region = 'eu-west-1';
      const env = await bootstrap(r, 'quiet', region);
      r.proxy.setNatDeleteMs(region, 2_000);
      const reviewed = await env.plan({ use_nat_instance: false, quiesced: true });
      const guard = await env.planGuard(reviewed.planfile);
      expect(guard.outputs['plan-sha']).toMatch(/^[0-9a-f]{64}$/);

      // The plan applied is not the one reviewed (planned again with other variables): refused, nothing applied.
      const other = await env.plan({
        use_nat_instance: false,
        quiesced: true,
        nat_instance_type: 't3.small',
        az_count: 1,
      });
      const since = Date.now();
      const refused = await env.cutover(other.planfile, { 'expected-plan-sha': guard.outputs['plan-sha'] ?? '' });
      expect(refused.code).not.toBe(0);
      expect(refused.outputs).toMatchObject({ result: 'failed', applies: '0' });
      expect(refused.stdout).toMatch(/differs from expected-plan-sha/);
      const mutations = env
        .calls()
        .filter((c) => c.start >= since && !/^(Describe|Get|List)/.test(c.action) && !c.action.startsWith('GET '));
      expect(mutations).toEqual([]);

      // Quiesce down: the reviewed plan (planned again with the reviewed variables: same digest).
      const down = await env.plan({ use_nat_instance: false, quiesced: true });
      const guardDown = await env.planGuard(down.planfile);
      expect(guardDown.outputs['plan-sha']).toBe(guard.outputs['plan-sha']);
      const applied = await env.cutover(down.planfile, { 'expected-plan-sha': guardDown.outputs['plan-sha'] ?? '' });
      expect({ code: applied.code, result: applied.outputs.result }).toEqual({ code: 0, result: 'applied' });
      const quiet = await env.verifyEgress({ 'expect-quiesced': 'true' });
      expect(verdict(quiet)).toEqual({ code: 0, healthy: 'true' });
      const notQuiet = await env.verifyEgress();
      expect(notQuiet.outputs.healthy).toBe('false');

      // And up again.
      const up = await env.plan({ use_nat_instance: false, quiesced: false });
      const upRun = await env.cutover(up.planfile);
      expect({ code: upRun.code, result: upRun.outputs.result }).toEqual({ code: 0, result: 'applied' });
      const verify = await env.verifyEgress();
      expect(verdict(verify)).toEqual({ code: 0, healthy: 'true' });
      expect(await planExitCode(env)).toBe(0);
    },
  );

  scenario(
    'SIGTERM to the cutover during a real apply: terraform gets one SIGINT, the state is written, the lock released',
    async (r) => {
      const region = 'eu-central-1';
      const env = await bootstrap(r, 'cancel', region);
      r.proxy.setNatDeleteMs(region, 8_000);
      const { planfile } = await env.plan({ use_nat_instance: false, quiesced: true });
      let signalledAt = 0;
      const run = await env.cutover(
        planfile,
        {},
        {
          onStdout: (stdout, kill) => {
            if (signalledAt === 0 && /aws_nat_gateway\.nat\[\d\]: destroying/i.test(stdout)) {
              signalledAt = Date.now();
              kill('SIGTERM');
            }
          },
        },
      );
      expect(signalledAt).toBeGreaterThan(0);
      expect(run.code).not.toBe(0);
      expect(run.outputs).toMatchObject({ result: 'cancelled', applies: '1' });
      const text = run.stdout + run.stderr;
      expect(text).toMatch(/Interrupting terraform \(SIGINT\)/);
      expect(text).not.toMatch(/Two interrupts received/);
      expect(text).not.toMatch(/terraform had to be stopped with|sending SIGTERM|sending SIGKILL/);
      expect(text.match(/Interrupt received/g) ?? []).toHaveLength(1);
      // What real terraform and the AWS provider do on SIGINT: the provider's context is cancelled, so the
      // DeleteNatGateway calls in flight end as "context canceled" and the gateways stay in the state; what had
      // completed (the private routes' deletion) is written; terraform exits and releases the lock. The cutover
      // waits 5 s for that (GitHub sends its second signal 7.5 s after the first); on a loaded machine terraform
      // can take longer, and then the cutover stops waiting, sends nothing more, and terraform finishes the same
      // way on its own: wait for its lock to go before reading the state.
      const abandoned = /terraform is still running 5 s after SIGINT: no longer waiting for it/.test(text);
      if (abandoned) await waitFor(() => !existsSync(join(env.dir, '.terraform.tfstate.lock.info')), 120_000);
      else expect(text).toMatch(/NAT Gateway \(nat-[0-9a-f]+\)[^\n]*context canceled/);
      const state = await env.terraform(['state', 'list']);
      expect(state.code).toBe(0);
      expect(state.stdout).not.toMatch(/aws_route\.private/);
      // A gateway whose deletion was cancelled stays in the state (which one depends on how far each deletion got).
      expect(state.stdout).toMatch(/aws_nat_gateway\.nat\[\d\]/);
      expect(existsSync(join(env.dir, '.terraform.tfstate.lock.info'))).toBe(false);
      // The lock is free: a plan that will not wait for a lock runs (0 or 2: the gateways may still be deleting).
      const plan = await env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s']);
      expect({ code: [0, 2].includes(plan.code ?? -1), lock: /lock/i.test(plan.stderr) }).toEqual({
        code: true,
        lock: false,
      });
    },
  );
});

/** Polls `done` every 250 ms until it holds; throws (naming what) after `ms`. */
async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error(`still not done after ${ms / 1000} s: the state lock`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function readAction(name: string): string {
  const file = join(import.meta.dirname, '..', '..', 'actions', name, 'action.yml');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
