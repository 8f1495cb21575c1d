/**
 * The bridged switch (issue 18) against real terraform and hashicorp/aws, with moto behind the fault proxy with
 * every moto-gap model on (support/gaps/: route State blackhole, ReplaceRoute checks, DeleteSecurityGroup
 * DependencyViolation, CreateNatGateway → failed), measured by the data plane (support/dataplane.ts): for each
 * private subnet, after every change, does its default route reach a NAT that forwards, and from which IP.
 *
 * Targets per private AZ (strategy bridge): longest outage ≤ 1 s, total ≤ 2 s, 0 s of egress from an IP outside
 * the NAT Elastic IPs, converged, final `terraform plan -detailed-exitcode` 0. A one-AZ VPC cannot be bridged: the
 * cutover says so up front and runs in place (strategy auto), or refuses before any change (strategy bridge).
 *
 * Its own file, so jest's second worker runs it beside rehearsal.test.ts; its scenarios run concurrently. `pnpm test`
 * runs three (instance → gateway, the bridge target failing mid-switch over 3 AZs, one AZ); `pnpm bench rehearsal`
 * (REHEARSAL_BASELINE=1) all of them, each switch also in place (today's strategy) in the same run, for the figures
 * beside it. It runs once the cutover has the `strategy` input (skipped with one line before).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { DeleteNatGatewayCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { EgressSample } from './support/dataplane';
import type { EgressWatchReport } from './support/dataplane-watch';
import { Rehearsal, type Environment } from './support/rehearsal';
import {
  bootstrapFor,
  hasInput,
  runSwitch,
  switchFigures,
  type Strategy,
  type SwitchCase,
  type SwitchRun,
} from './support/switches';

const SCENARIO_MS = 16 * 60_000;
const BRIDGE = hasInput('cutover', 'strategy');
const BASELINE = process.env.REHEARSAL_BASELINE === '1';
/** The gateway deletion of the 2-AZ gateway → instance switch (the bench only): as in the issue. */
const G2I_DELETE_MS = 20_000;

let rehearsal: Rehearsal | undefined;
let skip = '';

beforeAll(async () => {
  if (!BRIDGE && !BASELINE) return;
  const started = await Rehearsal.start({ gaps: 'all', keep: process.env.REHEARSAL_KEEP === '1' });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1')
      throw new Error(`the rehearsal is required here (CI=true or .ci/run) but cannot run: ${skip}`);
    console.log(`bridged rehearsal skipped: ${skip}`);
  } else rehearsal = started;
}, 120_000);

afterAll(async () => {
  await rehearsal?.stop();
});

/** Figures for `pnpm bench rehearsal` (REHEARSAL_SWITCH_REPORT names the file): switches[name][strategy]. */
const figures: Record<string, Record<string, unknown>> = {};
afterAll(() => {
  if (process.env.REHEARSAL_SWITCH_REPORT && Object.keys(figures).length > 0)
    writeFileSync(process.env.REHEARSAL_SWITCH_REPORT, JSON.stringify({ switches: figures }, null, 2));
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

async function planExitCode(env: Environment): Promise<number | null> {
  return (await env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'])).code;
}

function errorLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.slice(0, 400));
}

/** Each AZ's figures against the targets (the diff shows every AZ that misses one). */
function targets(egress: EgressWatchReport, azs: readonly string[] = egress.azs.map((a) => a.az)) {
  return egress.azs
    .filter((a) => azs.includes(a.az))
    .map((a) => ({
      az: a.az,
      longestAtMost1s: a.longestSeconds <= 1 ? true : a.longestSeconds,
      totalAtMost2s: a.totalSeconds <= 2 ? true : a.totalSeconds,
      foreignSeconds: a.foreignSeconds,
      ...(a.longestSeconds > 1 || a.totalSeconds > 2 || a.foreignSeconds > 0
        ? { outages: a.outages, foreign: a.foreign }
        : {}),
    }));
}

const met = (egress: EgressWatchReport, azs?: readonly string[]) =>
  targets(egress, azs).map((t) => ({ az: t.az, longestAtMost1s: true, totalAtMost2s: true, foreignSeconds: 0 }));

/** The cutover ended converged (or applied), with no error line. */
function succeeded(s: SwitchRun) {
  const last = s.runs[s.runs.length - 1];
  return {
    code: last?.code,
    result: ['applied', 'converged'].includes(last?.outputs.result ?? '') ? 'ok' : last?.outputs.result,
    errors: errorLines(last?.stdout ?? ''),
  };
}

async function verified(env: Environment, mode: 'gateway' | 'instance') {
  const v = await env.verifyEgress({ mode });
  return v.outputs.healthy === 'true' ? 'healthy' : (v.outputs.report ?? '').slice(0, 1200);
}

interface Case extends SwitchCase {
  name: string;
  /** Region per strategy run (one moto region per environment). */
  regions: Partial<Record<Strategy, string>>;
  after: 'gateway' | 'instance';
  /**
   * Only in the bench (`pnpm bench rehearsal`), within the suite's time budget: the suite keeps the scenarios that
   * prove distinct behaviour — gateway → instance over 3 AZs with a bridge target failing mid-switch, instance →
   * gateway (the Resource.AlreadyAssociated path), the one-AZ refusal and up-front in-place message — and these
   * repeat their paths (bridge, targeted apply, fast restore behind the bridge, route home) with other NATs.
   */
  benchOnly?: boolean;
}

const CASES: Case[] = [
  {
    name: `gateway → instance, 2 AZs, ${G2I_DELETE_MS / 1000} s gateway deletions`,
    kind: 'gateway-to-instance',
    azCount: 2,
    natDeleteMs: G2I_DELETE_MS,
    benchOnly: true,
    after: 'instance',
    regions: { bridge: 'us-west-1', 'in-place': 'us-west-2' },
  },
  {
    name: 'instance → gateway, 2 AZs',
    kind: 'instance-to-gateway',
    azCount: 2,
    natDeleteMs: 2_000,
    after: 'gateway',
    regions: { bridge: 'eu-west-1', 'in-place': 'eu-west-2' },
  },
  {
    name: 'NAT AMI adoption, 2 AZs',
    kind: 'ami-adoption',
    azCount: 2,
    natDeleteMs: 2_000,
    benchOnly: true,
    after: 'instance',
    regions: { bridge: 'eu-central-1', 'in-place': 'eu-central-2' },
  },
  {
    name: 'gateway → instance, 3 AZs',
    kind: 'gateway-to-instance',
    azCount: 3,
    // Long enough that the instances meet the addresses still on the deleting gateways: the AuthFailure race,
    // waited out behind each AZ's bridge.
    natDeleteMs: 10_000,
    benchOnly: true,
    after: 'instance',
    regions: { bridge: 'ap-northeast-1', 'in-place': 'ap-northeast-2' },
  },
  {
    // `terraform plan -replace` of every gateway: each deleted (holding its Elastic IP until `deleted`), then
    // created again on the same address.
    name: 'NAT gateway replacement, 2 AZs',
    kind: 'gateway-replacement',
    azCount: 2,
    natDeleteMs: 10_000,
    benchOnly: true,
    after: 'gateway',
    regions: { bridge: 'eu-west-3', 'in-place': 'ap-southeast-2' },
  },
];

const STRATEGIES: Strategy[] = [...(BRIDGE ? (['bridge'] as const) : []), ...(BASELINE ? (['in-place'] as const) : [])];

describe('the bridged switch: every private subnet keeps egress, on its allow-listed IPs, through a NAT change', () => {
  if (STRATEGIES.length === 0) {
    test('skipped: the cutover has no strategy input yet', () => {
      console.log('bridged rehearsal skipped: actions/cutover/action.yml has no `strategy` input');
      expect(BRIDGE).toBe(false);
    });
    return;
  }

  for (const c of CASES.filter((x) => BASELINE || !x.benchOnly)) {
    for (const strategy of STRATEGIES) {
      const region = c.regions[strategy] as string;
      scenario(`${c.name} (strategy: ${strategy})`, async (r) => {
        const env = r.environment(`${c.kind}-${c.azCount}-${strategy}`, region);
        await bootstrapFor(env, c);
        const before = await env.outputs();
        const s = await runSwitch(env, c, strategy, { rerunOnAlreadyAssociated: strategy === 'in-place' });
        (figures[c.name] ??= {})[strategy] = switchFigures(s);
        expect(succeeded(s)).toEqual({ code: 0, result: 'ok', errors: [] });
        expect({ missed: s.egress.missed, unsettled: s.egress.unsettled }).toEqual({ missed: 0, unsettled: 0 });
        expect(s.egress.azs).toHaveLength(c.azCount);
        if (strategy === 'bridge') {
          expect(s.runs).toHaveLength(1);
          expect(s.runs[0]?.outputs.strategy).toBe('bridge');
          expect(targets(s.egress)).toEqual(met(s.egress));
          expect(JSON.parse(s.runs[0]?.outputs['egress-gaps'] || '[]')).toEqual(expect.any(Array));
        } else {
          // Today's strategy: an outage in every AZ, but never egress from outside the Elastic IPs.
          for (const a of s.egress.azs)
            expect({ az: a.az, down: a.longestSeconds > 0, foreign: a.foreignSeconds }).toEqual({
              az: a.az,
              down: true,
              foreign: 0,
            });
        }
        expect(await planExitCode(env)).toBe(0);
        expect((await env.outputs()).relayIps).toEqual(before.relayIps);
        expect(await verified(env, c.after)).toBe('healthy');
      });
    }
  }

  if (!BRIDGE) return;

  scenario('a bridge target that stops serving mid-switch: the AZ moves to another serving NAT (3 AZs)', async (r) => {
    const c: SwitchCase = { kind: 'gateway-to-instance', azCount: 3, natDeleteMs: 5_000 };
    const region = 'ap-southeast-1';
    const env = r.environment('bridge-target-fails', region);
    await bootstrapFor(env, c);
    const ec2 = new EC2Client({
      endpoint: r.proxy.url,
      region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    // The first time an AZ's route reaches another AZ's NAT (its bridge), that NAT stops serving.
    let injected: { az: string; target: string; ownAz: string } | undefined;
    let injecting: Promise<unknown> | undefined;
    const own = new Map<string, string>();
    const onSample = (sample: EgressSample) => {
      for (const x of sample.subnets) if (!own.has(x.az) && x.via) own.set(x.az, x.via);
      if (injected) return;
      // Bridged: forwarding through the NAT another AZ started with.
      const bridged = sample.subnets.find(
        (x) => x.forwards && x.via && own.get(x.az) !== x.via && [...own.values()].includes(x.via),
      );
      if (!bridged?.via) return;
      const ownAz = [...own].find(([, via]) => via === bridged.via)?.[0] ?? '?';
      injected = { az: bridged.az, target: bridged.via, ownAz };
      injecting = bridged.via.startsWith('nat-')
        ? ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: bridged.via }))
        : ec2.send(new StopInstancesCommand({ InstanceIds: [bridged.instanceId ?? bridged.via] }));
    };
    const s = await runSwitch(env, c, 'bridge', { onWatch: (w) => w.onSample(onSample) });
    await injecting;
    ec2.destroy();
    figures['a bridge target stops serving mid-switch, 3 AZs'] = { bridge: { ...switchFigures(s), injected } };
    expect(injected).toBeDefined();
    expect(succeeded(s)).toEqual({ code: 0, result: 'ok', errors: [] });
    // Every AZ but the one whose NAT was made to fail (an injected fault, not the switch) and the one bridged to it
    // keeps its targets.
    const others = s.egress.azs.map((a) => a.az).filter((az) => az !== injected?.ownAz && az !== injected?.az);
    expect(targets(s.egress, others)).toEqual(met(s.egress, others));
    // The moved AZ used a third AZ's NAT at some point: not only its own and the failed target's. Both AZs the failed
    // NAT carried (the bridged one and its own) are moved in the same watch read, so each outage is the detection
    // (the watch's 0.5 s poll, an EC2 read and both ReplaceRoutes: 0.62 s each measured at load 13–15, the issue's
    // target ≤ 1 s), never the failed NAT's whole deletion; the bound here leaves room for a slower machine.
    const moved = s.egress.azs.find((a) => a.az === injected?.az);
    expect(moved?.ips.length).toBeGreaterThanOrEqual(3);
    const hit = s.egress.azs.filter((a) => a.az === injected?.az || a.az === injected?.ownAz);
    expect(hit.map((a) => ({ az: a.az, longest: a.longestSeconds <= 3, foreign: a.foreignSeconds }))).toEqual(
      hit.map((a) => ({ az: a.az, longest: true, foreign: 0 })),
    );
    expect(await planExitCode(env)).toBe(0);
    expect(await verified(env, 'instance')).toBe('healthy');
  });

  scenario(
    'a one-AZ VPC: the cutover says up front it runs in place (fast restore); strategy bridge refuses',
    async (r) => {
      const c: SwitchCase = { kind: 'gateway-to-instance', azCount: 1, natDeleteMs: 5_000 };
      const region = 'sa-east-1';
      const env = r.environment('one-az', region);
      await bootstrapFor(env, c);
      // strategy bridge: refused before any change, naming why (runSwitch registers a newer AMI below).
      await env.registerNatAmi('2026-10-01');
      const { planfile } = await env.plan({ use_nat_instance: true, az_count: 1 });
      const since = Date.now();
      const refused = await env.cutover(planfile, { strategy: 'bridge' });
      expect({ code: refused.code === 0, strategy: refused.outputs.strategy ?? '' }).toEqual({
        code: false,
        strategy: '',
      });
      expect(errorLines(refused.stdout).join('\n')).toMatch(/one AZ|AZ/);
      const mutations = env.calls().filter((x) => x.start >= since && !/^(Describe|Get|List)/.test(x.action));
      expect(mutations.filter((x) => x.service === 'ec2')).toEqual([]);
      // strategy auto: in place, said before the first change.
      const s = await runSwitch(env, { ...c, kind: 'gateway-to-instance' }, 'auto');
      figures['one AZ (fast restore)'] = { auto: switchFigures(s) };
      const run = s.runs[0];
      expect(succeeded(s)).toEqual({ code: 0, result: 'ok', errors: [] });
      expect(run?.outputs.strategy).toBe('in-place');
      const said = run?.stdout.search(/in-place|in place/i) ?? -1;
      const changed = run?.stdout.search(/aws_nat_gateway\.nat\[0\]: destroying/i) ?? -1;
      expect({ said: said >= 0, before: said < changed || changed < 0 }).toEqual({ said: true, before: true });
      expect(s.egress.foreignSeconds).toBe(0);
      expect(await planExitCode(env)).toBe(0);
    },
  );
});
