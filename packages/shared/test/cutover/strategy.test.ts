/**
 * strategy.ts (which strategy runs, decided before any change) on real terraform's example plans
 * (examples/plans, terraform 1.11.4 + hashicorp/aws 5.100.0) against the in-memory EC2 (support/switch-world.ts),
 * and health.ts (a bridged AZ's new NAT must pass verify-egress's NAT checks before its route moves home) on a
 * VirtualClock.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideStrategy } from '../../src/cutover/strategy';
import { waitHealthy } from '../../src/cutover/health';
import type { Reviewed } from '../../src/cutover/preflight';
import type { ResourceChange } from '../../src/plan/types';
import { SwitchWorld } from '../support/switch-world';
import { alloc, bridgePlanOf, gw, ip, rt, switchOf, switchRun, worldOf } from '../support/switch-run';
import { VirtualClock } from '../../src/runtime/index';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const example = (name: string) =>
  (
    JSON.parse(readFileSync(join(REPO, 'examples', 'plans', `${name}.json`), 'utf8')) as {
      resource_changes: ResourceChange[];
    }
  ).resource_changes;
const reviewedOf = (natChanges: ResourceChange[]) =>
  ({
    plan: { sha: '', refs: [], natChanges, warnings: [] },
    expectedApplies: 2,
    contested: [],
    planPath: '',
  }) as Reviewed;

/** The EC2 behind examples/plans/gateway-to-instance.json: both AZs on their gateways. */
function g2iWorld(): SwitchWorld {
  const w = new SwitchWorld(new VirtualClock());
  w.gateway('nat-ae71c82637c856be5', 'eipalloc-b82e1e2bde144d209', '203.0.113.10');
  w.gateway('nat-e605e11ffcc61b3aa', 'eipalloc-65be95ebcd340d437', '203.0.113.11');
  w.route('rtb-a697673387276a3e4', 'nat-ae71c82637c856be5');
  w.route('rtb-8017aeb83d21a67a1', 'nat-e605e11ffcc61b3aa');
  return w;
}

const oneAz = () => example('gateway-to-instance').filter((rc) => !rc.address.includes('[1]'));

describe('the strategy, decided before any change', () => {
  it('auto, 2 AZs and a serving NAT of the other AZ: bridge, with the expected outage said; EC2 only read', async () => {
    const world = g2iWorld();
    const { run, text } = switchRun(world);
    const d = await decideStrategy(run, reviewedOf(example('gateway-to-instance')));
    expect(d?.strategy).toBe('bridge');
    expect(run.result.strategy).toBe('bridge');
    expect(run.result.strategyReason).toBe('strategy: auto: 2 AZs');
    expect(text()).toMatch(/^Strategy: bridge — AZ 0, AZ 1 one at a time\. Expected outage: none/);
    expect(world.mutating()).toEqual([]);
  });

  it('auto, one AZ: in place, the reason and the expected outage said first, before any call', async () => {
    const world = g2iWorld();
    const { run, lines } = switchRun(world);
    expect(await decideStrategy(run, reviewedOf(oneAz()))).toEqual({ strategy: 'in-place' });
    expect(run.result.strategy).toBe('in-place');
    expect(run.result.strategyReason).toMatch(/^bridging cannot apply: .*/);
    expect(run.result.expectedOutage).toBeTruthy();
    expect(lines[0]?.text).toBe(
      `Strategy: in-place (${run.result.strategyReason}). Expected outage: ${run.result.expectedOutage}.`,
    );
    expect(world.calls).toEqual([]);
  });

  it.each([
    ['one AZ', () => oneAz(), () => undefined, /strategy: bridge cannot apply: /],
    [
      'a regional NAT gateway',
      () =>
        example('gateway-to-instance').map((rc) =>
          rc.address === 'module.vpc.aws_nat_gateway.nat[0]'
            ? {
                ...rc,
                change: { ...rc.change, before: { ...(rc.change.before as object), availability_mode: 'regional' } },
              }
            : rc,
        ),
      () => undefined,
      /regional NAT gateway: one gateway serves every AZ/,
    ],
    [
      'no serving bridge target',
      () => example('gateway-to-instance'),
      (w: SwitchWorld) => void (w.gateways.get('nat-e605e11ffcc61b3aa')!.state = 'deleting'),
      /no healthy bridge target: no NAT of another AZ serves from one of the Elastic IPs now \(AZ 1 → nat-e605e11ffcc61b3aa \(not serving\)\)/,
    ],
    [
      'EC2 unreadable',
      () => example('gateway-to-instance'),
      (w: SwitchWorld) =>
        void (w.unreadable = Object.assign(new Error('UnauthorizedOperation: ec2:DescribeRouteTables'), {
          name: 'UnauthorizedOperation',
        })),
      /EC2 could not be read \(.*DescribeRouteTables.*\); bridging needs ec2:DescribeRouteTables/,
    ],
  ])(
    'strategy: bridge with %s: refused, "Nothing was applied", no mutating EC2 call',
    async (_n, changes, setup, why) => {
      const world = g2iWorld();
      setup(world);
      const { run } = switchRun(world, { strategy: 'bridge' });
      expect(await decideStrategy(run, reviewedOf(changes()))).toBeUndefined();
      expect(run.result.result).toBe('failed');
      expect(run.result.failure).toMatch(why);
      expect(run.result.failure).toMatch(/refusing to apply$/);
      expect(run.result.nextSteps[0]).toBe('Nothing was applied; egress is as it was.');
      expect(run.steps.at(-1)).toMatchObject({ step: 'strategy', outcome: 'refused' });
      expect(world.mutating()).toEqual([]);
    },
  );

  it('strategy: in-place never reads EC2 for bridging', async () => {
    const world = g2iWorld();
    const { run, text } = switchRun(world, { strategy: 'in-place' });
    expect(await decideStrategy(run, reviewedOf(example('gateway-to-instance')))).toEqual({ strategy: 'in-place' });
    expect(text()).toMatch(/^Strategy: in-place \(strategy: in-place\)\. Expected outage: /);
    expect(world.calls).toEqual([]);
  });
});

const NEW_GW = 'nat-0new0gw000000000';

/** AZ 0 bridged to AZ 1's gateway; its new gateway (AZ 0's Elastic IP) `pending`; the old one deleted. */
async function healthCase(extra: Parameters<typeof switchRun>[1] = {}, signal?: AbortSignal) {
  const world = worldOf(2);
  world.route(rt(0), gw(1));
  world.gateways.get(gw(0))!.state = 'deleted';
  world.gateway(NEW_GW, alloc(0), ip(0), 'pending');
  const plan = bridgePlanOf(2);
  plan.allAzs[0]!.afterMode = 'gateway';
  const r = switchRun(world, { healthTimeoutMs: 60_000, ...extra }, signal ? { signal } : {});
  return { ...(await switchOf(world, plan, r)), plan, world };
}

describe('health.waitHealthy: the new NAT passes verify-egress checks before the route moves home', () => {
  it('passes once the NAT passes (re-checked every 2 s); its ids become the AZ own', async () => {
    const { run, sw, plan, world, clock, text } = await healthCase();
    const started = clock.now();
    clock.setTimer(7_000, () => void (world.gateways.get(NEW_GW)!.state = 'available'));
    expect(await waitHealthy(run, sw, plan.allAzs[0]!, NEW_GW)).toBe(true);
    expect(clock.now() - started).toBeGreaterThanOrEqual(7_000);
    expect(clock.now() - started).toBeLessThan(12_000);
    expect(sw.state('0').own.has(NEW_GW)).toBe(true);
    expect(run.steps.at(-1)).toMatchObject({ step: 'health', outcome: 'healthy' });
    expect(text()).toContain(`AZ 0: waiting for its new NAT: `);
    expect(text()).toContain(`AZ 0: ${NEW_GW} passes verify-egress's NAT checks (${ip(0)}).`);
    expect(world.mutating()).toEqual([]);
  });

  it('times out at health-timeout: the AZ stays on its bridge, the message names what failed', async () => {
    const { run, sw, plan, world, clock } = await healthCase();
    const started = clock.now();
    expect(await waitHealthy(run, sw, plan.allAzs[0]!, NEW_GW)).toBe(false);
    expect(clock.now() - started).toBeGreaterThanOrEqual(58_000);
    expect(clock.now() - started).toBeLessThanOrEqual(61_000);
    expect(run.result.failure).toMatch(
      new RegExp(
        `^AZ 0: its new NAT \\(${NEW_GW}\\) did not pass verify-egress's checks within 1m: NAT gateway ${NEW_GW} is pending$`,
      ),
    );
    expect(run.result.nextSteps[0]).toMatch(/^AZ 0 stays on its bridge\. Fix the new NAT/);
    expect(run.steps.at(-1)).toMatchObject({ step: 'health', outcome: 'timeout' });
    expect(world.routes.get(rt(0))).toBe(gw(1));
    expect(world.mutating()).toEqual([]);
  });

  it('cancellation ends the wait: cancelled, the AZ on its bridge', async () => {
    const ac = new AbortController();
    const { run, sw, plan, world, clock } = await healthCase({}, ac.signal);
    const started = clock.now();
    clock.setTimer(5_000, () => ac.abort(new Error('The runner cancelled the job')));
    expect(await waitHealthy(run, sw, plan.allAzs[0]!, NEW_GW)).toBe(false);
    expect(clock.now() - started).toBeLessThan(10_000);
    expect(run.result.result).toBe('cancelled');
    expect(run.result.failure).toBe("cancelled while checking AZ 0's new NAT");
    expect(run.result.nextSteps[0]).toBe('AZ 0 stays on its bridge.');
    expect(world.routes.get(rt(0))).toBe(gw(1));
  });
});
