/**
 * The bridge watch (bridge-watch.ts) and a bridged switch stopping (bridged.ts finish) against the in-memory EC2
 * (support/switch-world.ts, every call 40 ms of virtual time): a route whose target stops serving is moved within
 * one poll — every such AZ's ReplaceRoute sent before any confirmation — to another serving NAT or back to its
 * own, a route table terraform is changing is left alone, and a switch that stops leaves every AZ on a serving
 * NAT with the summary saying where each route points.
 */
import { describe, expect, it } from '@jest/globals';
import { BridgeWatch } from '../../src/cutover/bridge-watch';
import { bridgedSwitch } from '../../src/cutover/bridged';
import type { Reviewed } from '../../src/cutover/preflight';
import { VPC } from '../support/switch-world';
import {
  bridgePlanOf,
  failingTerraform,
  gw,
  rt,
  switchOf,
  switchRun,
  worldOf,
  type Event,
} from '../support/switch-run';

const POLL_MS = 500;
const kinds = (events: Event[]) =>
  events
    .map((e) => ('kind' in e ? e.kind : e.op))
    .filter((k) => ['intend', 'done', 'ReplaceRoute', 'DescribeRouteTables'].includes(k));

describe('the bridge watch', () => {
  it('a bridge target that stops serving: the AZ is moved to another serving NAT; a frozen route table is left alone', async () => {
    const world = worldOf(3);
    world.route(rt(1), gw(2)); // AZ 1 is bridged to AZ 2's gateway while its own is replaced
    const { sw, text } = await switchOf(world, bridgePlanOf(3));
    sw.avoid.add(gw(1));
    sw.frozen.add(rt(2)); // terraform is changing AZ 2's route right now
    world.gateways.get(gw(2))!.state = 'failed';
    const watch = new BridgeWatch(sw, POLL_MS);
    await watch.check();
    expect(world.of('ReplaceRoute').map((c) => c.input)).toEqual([
      { RouteTableId: rt(1), DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: gw(0) },
    ]);
    expect(world.routes.get(rt(2))).toBe(gw(2));
    expect(sw.state('1').record).toMatchObject({ state: 'bridged', moves: 1, target: gw(0), serving: true });
    expect(watch.moves).toBe(1);
    expect(text()).toContain(`AZ 1: its route target ${gw(2)} stopped serving: moving ${rt(1)} to ${gw(0)} (AZ 0)`);
  });

  it('moves an AZ back to its own NAT when only that one serves', async () => {
    const world = worldOf(2);
    world.route(rt(0), gw(1));
    const { sw, text } = await switchOf(world, bridgePlanOf(2));
    world.gateways.get(gw(1))!.state = 'deleting';
    await new BridgeWatch(sw, POLL_MS).check();
    expect([world.routes.get(rt(0)), world.routes.get(rt(1))]).toEqual([gw(0), gw(0)]);
    expect(text()).toContain(`moving ${rt(0)} to ${gw(0)} (the AZ's own NAT)`);
    expect(sw.state('0').record.state).toBe('pending');
    expect(sw.state('1').record.state).toBe('bridged');
  });

  it('two AZs failing in one poll: both ReplaceRoutes before either confirmation; each gap ≤ one poll + the round trip', async () => {
    const world = worldOf(3);
    world.route(rt(0), gw(1)); // AZ 0 is bridged to AZ 1's gateway
    const { sw, events, clock } = await switchOf(world, bridgePlanOf(3));
    sw.avoid.add(gw(0));
    await sw.read(); // the watch's last read: every AZ up
    const start = events.length;
    // the worst case: the target fails right after a read, and is seen at the next poll
    world.gateways.get(gw(1))!.state = 'failed';
    clock.advance(POLL_MS);
    await new BridgeWatch(sw, POLL_MS).check();
    const seq = kinds(events.slice(start));
    // read, both intents and ReplaceRoutes, then one confirming read, then both done
    expect(seq).toEqual([
      'DescribeRouteTables',
      'intend',
      'intend',
      'ReplaceRoute',
      'ReplaceRoute',
      'DescribeRouteTables',
      'done',
      'done',
    ]);
    expect([world.routes.get(rt(0)), world.routes.get(rt(1))]).toEqual([gw(2), gw(2)]);
    const gaps = sw.gaps();
    // one read = DescribeRouteTables, DescribeNatGateways, DescribeAddresses; the two ReplaceRoutes; one read
    const boundS = (POLL_MS + 3 * world.rttMs + 2 * world.rttMs + 3 * world.rttMs) / 1000;
    for (const key of ['0', '1']) {
      const g = gaps.find((x) => x.az === key)!;
      expect(g.seconds).toBeGreaterThan(0);
      expect(g.seconds).toBeLessThanOrEqual(boundS);
      expect(g.routeChanges).toBe(1);
    }
    expect(gaps[0]!.seconds).toBe(gaps[1]!.seconds);
    expect(gaps.find((x) => x.az === '2')!.seconds).toBe(0);
  });

  it('a confirmation that fails: the AZ tries its next candidate (again all AZs before any confirmation)', async () => {
    const world = worldOf(3);
    world.route(rt(0), gw(1));
    const { sw, events } = await switchOf(world, bridgePlanOf(3));
    world.gateways.get(gw(1))!.state = 'failed';
    // AZ 2's gateway starts deleting the moment a route is put on it
    world.refuseRoute = (input) => {
      if (input.NatGatewayId === gw(2)) world.gateways.get(gw(2))!.state = 'deleting';
      return undefined;
    };
    await new BridgeWatch(sw, POLL_MS).check();
    expect(
      world.of('ReplaceRoute').map((c) => `${c.input.RouteTableId as string}→${c.input.NatGatewayId as string}`),
    ).toEqual([`${rt(0)}→${gw(2)}`, `${rt(1)}→${gw(2)}`, `${rt(0)}→${gw(0)}`, `${rt(1)}→${gw(0)}`]);
    const done = events.filter((e): e is Extract<Event, { kind: 'done' }> => 'kind' in e && e.kind === 'done');
    expect(done.map((d) => d.facts.state)).toEqual(['unconfirmed', 'unconfirmed', 'active', 'active']);
    expect([world.routes.get(rt(0)), world.routes.get(rt(1))]).toEqual([gw(0), gw(0)]);
  });

  it('no serving NAT left: a warning per AZ, no route change', async () => {
    const world = worldOf(2);
    const { sw, lines } = await switchOf(world, bridgePlanOf(2));
    world.gateways.get(gw(0))!.state = 'failed';
    world.gateways.get(gw(1))!.state = 'deleted';
    const watch = new BridgeWatch(sw, POLL_MS);
    await watch.check();
    expect(world.of('ReplaceRoute')).toEqual([]);
    expect(watch.moves).toBe(0);
    const warnings = lines.filter((l) => l.level === 'warning').map((l) => l.text);
    for (const key of ['0', '1'])
      expect(warnings).toContainEqual(
        expect.stringMatching(new RegExp(`^AZ ${key}: .*no serving NAT with one of the Elastic IPs is left`)),
      );
  });
});

describe('a bridged switch that stops', () => {
  it('leaves every AZ on a serving NAT; the summary says where each route points and what to run next', async () => {
    const world = worldOf(2);
    world.macrotasks = true; // the watch polls while the step runs
    const terraform = failingTerraform('Error acquiring the state lock');
    const inner = terraform.run;
    // AZ 0's bridge target (AZ 1's gateway) fails while AZ 0's NAT step plans
    terraform.run = (args, onLine) => {
      world.gateways.get(gw(1))!.state = 'failed';
      return inner(args, onLine);
    };
    const r0 = switchRun(world, { strategy: 'bridge' }, { terraform });
    const plan = bridgePlanOf(2);
    const { sw } = await switchOf(world, plan, r0);
    const reviewed = {
      plan: { sha: '', refs: [], natChanges: [], warnings: [] },
      expectedApplies: 2,
      contested: [],
      planPath: '',
    } as Reviewed;
    r0.run.result.strategy = 'bridge';
    const r = await bridgedSwitch(r0.run, reviewed, { strategy: 'bridge', plan, vpcId: VPC, view: sw.view });
    expect(r.result).toBe('failed');
    expect(r.failure).toMatch(/AZ 0 NAT plan failed.*state lock/);
    expect([world.routes.get(rt(0)), world.routes.get(rt(1))]).toEqual([gw(0), gw(0)]);
    expect(r.bridges.map((b) => [b.az, b.serving, b.target])).toEqual([
      ['0', true, gw(0)],
      ['1', true, gw(0)],
    ]);
    expect(r.nextSteps[0]).toMatch(new RegExp(`^AZ 0 \\(${rt(0)}\\) is not switched yet: its route is on ${gw(0)}`));
    expect(r.nextSteps[1]).toMatch(new RegExp(`^AZ 1 \\(${rt(1)}\\) is bridged to ${gw(0)} \\(AZ 0\\)`));
    expect(r.nextSteps[2]).toMatch(
      /^Re-run all jobs of the workflow \(plan, review, apply with cutover\): it finds the bridged AZs/,
    );
    expect(r.egressGaps.map((g) => g.az)).toEqual(['0', '1']);
    expect(r.egressGaps.every((g) => g.seconds !== undefined)).toBe(true);
  });
});
