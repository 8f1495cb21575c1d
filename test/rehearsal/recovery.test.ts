/**
 * The recovery rehearsal (issue 19): a gateway → instance cutover on an S3 backend with `use_lockfile` (and once a
 * DynamoDB lock table), served by moto behind the fault proxy, with real terraform and the real hashicorp/aws
 * provider, ended at each kill point the two ways a job ends early — cancelled as actions/runner cancels (SIGINT
 * to node, SIGTERM 7.5 s later, SIGKILL of the tree 2.5 s after that) and killed outright (every process SIGKILLed
 * at once). Then the next run of the same workflow for the same environment, as an operator starts it: the plan
 * job (cutover `operation: recover`, then `terraform plan -lock-timeout=0s`), plan-guard, and the apply job
 * (cutover with the reviewed plan). Asserted from EC2 and the state: no NAT instance, gateway or group outside the
 * state, no address released or moved, the routes on their AZ's NAT, the final plan clean, the lock released; and
 * a live holder's lock never released.
 *
 * The issue-19 kill points run the cutover in place; the bridged ones (issue 18) a bridged switch (strategy auto, 2
 * AZs, every moto-gap model on, 3 s deletions) under the data-plane watch from before the kill to the end of the
 * re-run: while no cutover runs every AZ forwards from an allow-listed IP, the re-run keeps the AZ on its bridge,
 * per AZ longest ≤ 1 s / total ≤ 2 s outage and 0 s foreign egress over both runs.
 *
 * Each kill point has its own region, bucket and IAM names in one moto; they run concurrently. Short emulated
 * NAT deletions (5 s; 25 s where the Elastic IP race is the point). REHEARSAL_KILL_POINTS=point:way,… picks some
 * (`all`: every kill point both ways, as `pnpm bench recovery` runs them).
 * Figures (recovered / all per way, signal → exit) are printed and, with RECOVERY_REPORT=<file>, written for
 * `pnpm bench`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import type { EgressSample } from './support/dataplane';
import type { EgressWatch, EgressWatchReport } from './support/dataplane-watch';
import { Rehearsal } from './support/rehearsal';
import type { LockKind } from './support/backend';
import type { WayToEnd } from './support/kill';
import {
  KILL_POINTS,
  NEEDS_RACE,
  RecoveryEnv,
  egressFacts,
  holdLock,
  interruptAt,
  isBridged,
  type KillPoint,
} from './support/recovery';

const RACE_DELETE_MS = Number(process.env.REHEARSAL_RACE_DELETE_MS ?? 25_000);
const SHORT_DELETE_MS = 5_000;
/** A bridged switch's NAT gateway deletions (every moto-gap model on in its region). */
const BRIDGED_DELETE_MS = 3_000;
const SCENARIO_MS = 12 * 60_000;

interface Case {
  point: KillPoint;
  way: WayToEnd;
  region: string;
  lock: LockKind;
}

const ALL: Case[] = [
  { point: 'instances', way: 'kill', region: 'us-east-1', lock: 'lockfile' },
  { point: 'instances', way: 'cancel', region: 'us-east-2', lock: 'lockfile' },
  { point: 'gateways', way: 'kill', region: 'us-west-1', lock: 'lockfile' },
  { point: 'gateways', way: 'cancel', region: 'us-west-2', lock: 'lockfile' },
  { point: 'import', way: 'kill', region: 'eu-west-1', lock: 'dynamodb' },
  { point: 'import', way: 'cancel', region: 'eu-west-2', lock: 'lockfile' },
  { point: 'replan', way: 'kill', region: 'eu-central-1', lock: 'lockfile' },
  { point: 'replan', way: 'cancel', region: 'ap-southeast-1', lock: 'lockfile' },
  { point: 'bridged', way: 'kill', region: 'ca-central-1', lock: 'lockfile' },
  { point: 'bridged-nat', way: 'kill', region: 'ap-northeast-1', lock: 'lockfile' },
  { point: 'bridged-nat', way: 'cancel', region: 'ap-northeast-2', lock: 'lockfile' },
  { point: 'bridged-second', way: 'kill', region: 'ap-south-1', lock: 'lockfile' },
  { point: 'bridged-second', way: 'cancel', region: 'sa-east-1', lock: 'lockfile' },
];

/**
 * In `pnpm test` (the suite's time budget): a kill during the first apply (7 orphans imported, then a person's live
 * lock kept), a kill during the cutover's own import (DynamoDB), a runner cancel while the gateways delete, and the
 * bridged kill that proves the most (during AZ 0's NAT step: lock released, six imports, the rest still bridged, the
 * AZ kept on its bridge). `REHEARSAL_KILL_POINTS=all` (pnpm bench recovery) runs all thirteen.
 */
const SUITE = ['instances:kill', 'gateways:cancel', 'import:kill', 'bridged-nat:kill'];
const picked = (process.env.REHEARSAL_KILL_POINTS ?? '').split(',').filter((s) => s !== '');
const CASES =
  picked[0] === 'all' ? ALL : ALL.filter((c) => (picked.length > 0 ? picked : SUITE).includes(`${c.point}:${c.way}`));

let rehearsal: Rehearsal | undefined;
let skip = '';

beforeAll(async () => {
  const started = await Rehearsal.start({
    natDeleteMs: SHORT_DELETE_MS,
    authLingerMs: 1_000,
    keep: process.env.REHEARSAL_KEEP === '1',
  });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1')
      throw new Error(`the rehearsal is required here (CI=true or .ci/run) but cannot run: ${skip}`);
    console.log(`recovery rehearsal skipped: ${skip}`);
  } else rehearsal = started;
}, 120_000);

interface Figure {
  point: KillPoint;
  way: WayToEnd;
  lock: LockKind;
  reached: boolean;
  recovered: boolean;
  /** Signal → the cutover's exit, ms. */
  exitMs?: number;
  signals: string[];
  /** What the interrupted run said it was (its result output: empty when killed outright). */
  interrupted: string;
  /** What the recovery run did: the plan job's recover result, the apply job's result, imports, lock released. */
  recovery: {
    plan: string;
    apply: string;
    imported: string[];
    lockReleased: boolean;
    applies: string;
    /** The apply job's strategy output; what the plan job's recover found (journal + EC2). */
    strategy?: string;
    found?: string[];
    /** What the apply job said about routes an earlier run left on a bridge (strategy kept, each AZ kept). */
    said?: string[];
  };
  seconds: number;
  /** Bridged kill points: each AZ's outage across the kill and the re-run (the data plane), seconds. */
  azs?: Array<{ az: string; longestSeconds: number; totalSeconds: number; foreignSeconds: number }>;
}
const figures: Figure[] = [];

afterAll(async () => {
  await rehearsal?.stop();
  if (figures.length === 0) return;
  const ways: WayToEnd[] = ['cancel', 'kill'];
  const line = ways
    .map((w) => {
      const f = figures.filter((x) => x.way === w);
      const exits = f.map((x) => x.exitMs).filter((x): x is number => x !== undefined);
      return `${w}: ${f.filter((x) => x.recovered).length}/${f.length} recovered${exits.length ? `, signal → exit ${Math.min(...exits)}–${Math.max(...exits)} ms` : ''}`;
    })
    .join('; ');
  console.log(`recovery rehearsal: ${line}\n${figures.map((f) => JSON.stringify(f)).join('\n')}`);
  if (process.env.RECOVERY_REPORT) writeFileSync(process.env.RECOVERY_REPORT, JSON.stringify({ figures }, null, 2));
});

/** The action's error annotations (what a failed run says). */
function errorLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .map((l) => l.slice(0, 500));
}

async function planExitCode(e: RecoveryEnv): Promise<number | null> {
  return (await e.env.terraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'])).code;
}

/**
 * The issue-19 kill points run the in-place cutover (what they were built for, and what their figures are); the
 * bridged kill points the bridged switch (strategy auto bridges a 2-AZ gateway → instance switch).
 */
const strategyOf = (c: Case) => (isBridged(c.point) ? 'auto' : 'in-place');

/** The run that gets the environment going: gateway mode, then the tagged NAT AMI, then the reviewed switch plan. */
async function prepare(r: Rehearsal, c: Case): Promise<{ e: RecoveryEnv; planfile: string; sha: string }> {
  const e = await RecoveryEnv.create(r, `${c.point}-${c.way}`, c.region, c.lock);
  if (isBridged(c.point)) r.proxy.setGaps(c.region, 'all');
  r.proxy.setNatDeleteMs(c.region, 2_000);
  const boot = await e.env.plan({ use_nat_instance: false });
  const b = await e.cutover({ planfile: boot.planfile }, e.identity());
  expect({ code: b.code, result: b.outputs.result, errors: errorLines(b.stdout) }).toEqual({
    code: 0,
    result: 'applied',
    errors: [],
  });
  await e.env.registerNatAmi('2026-11-01');
  const deleteMs = isBridged(c.point) ? BRIDGED_DELETE_MS : NEEDS_RACE[c.point] ? RACE_DELETE_MS : SHORT_DELETE_MS;
  r.proxy.setNatDeleteMs(c.region, deleteMs);
  const { planfile } = await e.env.plan({ use_nat_instance: true });
  const guard = await e.env.planGuard(planfile, { strategy: strategyOf(c) });
  expect(guard.outputs['mode-switch']).toBe('gateway-to-instance');
  return { e, planfile, sha: guard.outputs['plan-sha'] ?? '' };
}

/**
 * The operator's re-run: plan job (recover, plan), plan-guard, apply job (cutover with the reviewed plan).
 * `onApply`: called as the apply job starts (the end of the time the cutover was not running).
 */
async function rerun(e: RecoveryEnv, c: Case, onApply: () => void = () => undefined): Promise<Figure['recovery']> {
  const run = e.identity();
  const rec = await e.cutover({ operation: 'recover' }, { ...run, GITHUB_JOB: 'plan' });
  expect({ code: rec.code, errors: errorLines(rec.stdout) }).toEqual({ code: 0, errors: [] });
  expect(['recovered', 'unchanged']).toContain(rec.outputs.result);
  expect(await e.lock()).toBeUndefined();
  const fresh = await e.env.plan({ use_nat_instance: true });
  const guard = await e.env.planGuard(fresh.planfile, { strategy: strategyOf(c) });
  onApply();
  const applied = await e.cutover(
    {
      planfile: fresh.planfile,
      'expected-plan-sha': guard.outputs['plan-sha'] ?? '',
      restore: 'associate',
      strategy: strategyOf(c),
    },
    run,
  );
  expect({ code: applied.code, errors: errorLines(applied.stdout), stderr: applied.stderr.slice(-600) }).toEqual({
    code: 0,
    errors: [],
    stderr: '',
  });
  expect(['applied', 'converged', 'unchanged']).toContain(applied.outputs.result);
  const recovery = JSON.parse(applied.outputs.recovery || '{}') as { imported?: string[] };
  const planRecovery = JSON.parse(rec.outputs.recovery || '{}') as {
    lock?: { released?: boolean };
    found?: string[];
  };
  return {
    plan: rec.outputs.result ?? '',
    apply: applied.outputs.result ?? '',
    imported: recovery.imported ?? [],
    lockReleased: planRecovery.lock?.released === true,
    applies: applied.outputs.applies ?? '',
    strategy: applied.outputs.strategy ?? '',
    found: planRecovery.found ?? [],
    said: applied.stdout
      .split('\n')
      .filter((l) => /on a bridge an earlier run left|is already on .*: kept|^Strategy: /.test(l))
      .map((l) => l.slice(0, 300)),
  };
}

/** The environment after the recovery, from EC2 and the state: converged, nothing outside the state. */
async function assertConverged(e: RecoveryEnv, before: { allocationIds: string[]; routeTableIds: string[] }) {
  expect(await planExitCode(e)).toBe(0);
  expect(await e.lock()).toBeUndefined();
  const state = await e.stateIndex();
  const out = await e.env.outputs();
  const facts = await egressFacts(e, out.vpcId, out.routeTableIds);
  const stateInstances = [0, 1].map((i) => String(state.get(`module.vpc.aws_instance.nat[${i}]`)?.id ?? ''));
  // no NAT instance, gateway or group outside the state; exactly one per AZ
  expect([...facts.instances.keys()].sort()).toEqual([...stateInstances].sort());
  expect(facts.gateways).toEqual([]);
  expect(facts.groups).toEqual([String(state.get('module.vpc.aws_security_group.nat[0]')?.id ?? '')]);
  // no address released or moved: the same allocations, each on its AZ's instance
  expect(out.allocationIds).toEqual(before.allocationIds);
  expect(e.calls(0, 'ReleaseAddress')).toEqual([]);
  before.allocationIds.forEach((a, i) => expect(facts.addresses.get(a)).toBe(stateInstances[i]));
  // routes home: each AZ's default route on its own instance's primary interface
  before.routeTableIds.forEach((rt, i) =>
    expect(facts.routes.get(rt)).toBe(
      String(state.get(`module.vpc.aws_instance.nat[${i}]`)?.primary_network_interface_id ?? 'missing'),
    ),
  );
}

/** A person's terraform holds the lock: the plan job's recover fails at once naming them; the lock is kept. */
async function liveLockKept(e: RecoveryEnv): Promise<void> {
  const holder = holdLock(e);
  try {
    let lock: Awaited<ReturnType<RecoveryEnv['lock']>>;
    for (let i = 0; i < 600 && !(lock = await e.lock()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(lock).toBeDefined();
    const started = Date.now();
    const rec = await e.cutover({ operation: 'recover' }, { ...e.identity(), GITHUB_JOB: 'plan' });
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(rec.code).not.toBe(0);
    expect(rec.outputs.result).toBe('failed');
    const errors = errorLines(rec.stdout).join('\n');
    expect(errors).toContain(`the state is locked by ${lock!.Who} since `);
    expect(rec.stdout).toContain(`terraform force-unlock -force ${lock!.ID}`);
    expect((await e.lock())?.ID).toBe(lock!.ID);
  } finally {
    await holder.stop();
  }
  expect(await e.lock()).toBeUndefined();
}

describe('recovery rehearsal: cancelled or killed at a kill point, the next run of the workflow finishes the job', () => {
  for (const c of CASES) {
    test.concurrent(
      `${c.way === 'kill' ? 'killed outright' : 'cancelled like the runner'} — ${KILL_POINTS[c.point]} (${c.lock === 'dynamodb' ? 'DynamoDB lock table' : 'S3 use_lockfile'})`,
      async () => {
        if (!rehearsal) {
          expect(skip).not.toBe('');
          return;
        }
        const started = Date.now();
        const figure: Figure = {
          point: c.point,
          way: c.way,
          lock: c.lock,
          reached: false,
          recovered: false,
          signals: [],
          interrupted: '',
          recovery: { plan: '', apply: '', imported: [], lockReleased: false, applies: '' },
          seconds: 0,
        };
        figures.push(figure);
        const { e, planfile, sha } = await prepare(rehearsal, c);
        const before = await e.env.outputs();
        const watch = isBridged(c.point) ? await e.env.watchEgress() : undefined;
        let egress: EgressWatchReport | undefined;
        try {
          await killAndRerun(e, c, figure, watch, { planfile, 'expected-plan-sha': sha, restore: 'associate' });
        } finally {
          egress = await watch?.stop();
        }
        await assertConverged(e, before);
        if (egress) await assertBridgedKill(e, c, figure, egress, before.relayIps);
        if (c.point === 'instances' && c.way === 'kill') await liveLockKept(e);
        figure.recovered = true;
        figure.seconds = Math.round((Date.now() - started) / 1000);
      },
      SCENARIO_MS,
    );
  }
});

/** Every subnet forwards from an allow-listed IP in every sample of [from, to] and in the one before it. */
function deadWindow(samples: readonly EgressSample[], allowed: readonly string[], from: number, to: number) {
  const before = samples.filter((x) => x.t < from).slice(-1);
  const during = samples.filter((x) => x.t >= from && x.t <= to);
  return [...before, ...during].flatMap((x) =>
    x.subnets
      .filter((sub) => !sub.forwards || !allowed.includes(sub.ip ?? ''))
      .map((sub) => ({ t: x.t - from, az: sub.az, via: sub.via ?? '', ip: sub.ip ?? '', why: sub.why ?? '' })),
  );
}

/** The kill (at the case's point, its way) and the operator's re-run; for a bridged point, the dead window's egress. */
async function killAndRerun(
  e: RecoveryEnv,
  c: Case,
  figure: Figure,
  watch: EgressWatch | undefined,
  inputs: Record<string, string>,
): Promise<void> {
  const cut = await interruptAt(e, c.point, c.way, { ...inputs, strategy: strategyOf(c) });
  figure.reached = cut.ending !== undefined;
  figure.signals = cut.ending?.sent ?? [];
  figure.interrupted = cut.run.outputs.result ?? '';
  if (cut.exitMs !== undefined) figure.exitMs = cut.exitMs;
  expect({ reached: figure.reached, stdout: figure.reached ? '' : cut.run.stdout.slice(-1500) }).toEqual({
    reached: true,
    stdout: '',
  });
  if (c.way === 'cancel') {
    // within the runner's 10 s: one SIGINT was enough, the outputs and the summary were written in ≤ 7 s
    expect({ signals: figure.signals, exitWithin7s: (cut.exitMs ?? 99_999) <= 7_000 }).toEqual({
      signals: ['SIGINT'],
      exitWithin7s: true,
    });
    expect(cut.run.outputs.result).toBe('cancelled');
    expect(cut.run.summary).toContain('CANCELLED');
    expect(cut.run.stdout).not.toMatch(/Two interrupts received/);
  }
  let applyAt = 0;
  figure.recovery = await rerun(e, c, () => (applyAt = Date.now()));
  if (watch) {
    // While no cutover ran (the kill → the apply job's start): every AZ forwarded from an allow-listed IP.
    const allowed = (await e.env.outputs()).relayIps;
    expect(deadWindow(watch.history(), allowed, cut.endedAt, applyAt)).toEqual([]);
  }
}

/** A bridged kill point: the bridge was reported by recover, re-run bridged, per-AZ outage within the targets. */
async function assertBridgedKill(
  e: RecoveryEnv,
  c: Case,
  figure: Figure,
  egress: EgressWatchReport,
  relayIps: string[],
): Promise<void> {
  figure.azs = egress.azs.map(({ az, longestSeconds, totalSeconds, foreignSeconds }) => ({
    az,
    longestSeconds,
    totalSeconds,
    foreignSeconds,
  }));
  expect(figure.recovery.strategy).toBe('bridge');
  // The AZ the killed run left on its bridge stayed there until its new NAT was healthy (no move before).
  expect(figure.recovery.said?.some((l) => /is already on \S+ \(serving\): kept$/.test(l))).toBe(true);
  if (c.point === 'bridged-nat' && c.way === 'kill') {
    // The instance the killed NAT step created is imported; what is left is bridged, not run in place.
    expect(figure.recovery.imported).toEqual(expect.arrayContaining([expect.stringMatching(/aws_instance\.nat\[0\]/)]));
    expect(figure.recovery.said?.some((l) => /on a bridge an earlier run left .*objects left outside/.test(l))).toBe(
      true,
    );
  }
  // The journal's open bridge entry, with EC2's view of it: the route is still on its bridge.
  expect(figure.recovery.found?.some((l) => / bridged \S+ \(rtb-[^)]+\) from .* it is still bridged$/.test(l))).toBe(
    true,
  );
  expect({ missed: egress.missed, azs: egress.azs.length }).toEqual({ missed: 0, azs: 2 });
  expect(
    egress.azs.map((a) => ({
      az: a.az,
      longest: a.longestSeconds <= 1,
      total: a.totalSeconds <= 2,
      foreign: a.foreignSeconds,
    })),
  ).toEqual(egress.azs.map((a) => ({ az: a.az, longest: true, total: true, foreign: 0 })));
  expect((await e.env.outputs()).relayIps).toEqual(relayIps);
  const v = await e.env.verifyEgress({ mode: 'instance' });
  expect(v.outputs.healthy === 'true' ? 'healthy' : (v.outputs.report ?? '').slice(0, 1200)).toBe('healthy');
  expect(c.point).toMatch(/^bridged/);
}
