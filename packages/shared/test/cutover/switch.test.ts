/**
 * switch.ts against the in-memory EC2 (support/switch-world.ts) on a VirtualClock: which NATs a route may move to
 * and in which order, and a route move — journal first, EC2 ReplaceRoute, EC2's confirmation — with each way it
 * can end.
 */
import { describe, expect, it } from '@jest/globals';
import { Switch } from '../../src/cutover/switch';
import { alloc, bridgePlanOf, eni, gw, inst, ip, rt, switchOf, worldOf, type Event } from '../support/switch-run';

const targets = (sw: Switch, key: string, opts?: Parameters<Switch['candidates']>[1]) =>
  sw.candidates(key, opts).map((t) => t.target);

describe('Switch.candidates: where a route may go, best first', () => {
  it('gateways of the next AZs in key order; never the AZ own NAT unless asked; never an avoided NAT', async () => {
    const { sw } = await switchOf(worldOf(3), bridgePlanOf(3));
    expect(targets(sw, '0')).toEqual([gw(1), gw(2)]);
    expect(targets(sw, '1')).toEqual([gw(2), gw(0)]);
    expect(targets(sw, '2')).toEqual([gw(0), gw(1)]);
    expect(targets(sw, '1', { own: true })).toEqual([gw(2), gw(0), gw(1)]);
    expect(targets(sw, '0', { avoid: new Set([gw(1)]) })).toEqual([gw(2)]);
    expect(targets(sw, '0', { own: true, avoid: new Set([gw(0), gw(1), gw(2)]) })).toEqual([]);
  });

  it('a gateway before a nearer NAT instance; never a NAT without one of the plan Elastic IPs or not serving', async () => {
    const world = worldOf(3);
    // AZ 1 already runs on its new NAT instance (its interface is the route target); AZ 2's gateway is deleting.
    world.instance(inst(1), eni(1), 'eipalloc-0new1', '198.51.100.7');
    world.gateways.get(gw(1))!.state = 'deleted';
    world.route(rt(1), eni(1));
    world.gateway('nat-0foreign00000000', 'eipalloc-0notinplan', '198.51.100.9');
    const plan = bridgePlanOf(3);
    plan.eipAllocationIds.push('eipalloc-0new1');
    plan.allAzs[1]!.beforeInstanceIds = [inst(1)];
    const { sw } = await switchOf(world, plan);
    // nat-0foreign… egresses from an address outside the plan's: never a candidate.
    expect(targets(sw, '0')).toEqual([gw(2), eni(1)]);
    world.gateways.get(gw(2))!.state = 'deleting';
    await sw.read();
    expect(targets(sw, '0')).toEqual([eni(1)]);
    world.instances.get(inst(1))!.sourceDestCheck = true;
    await sw.read();
    expect(targets(sw, '0')).toEqual([]);
  });
});

/** Index of the first event matching `p`. */
const at = (events: Event[], p: (e: Event) => boolean) => events.findIndex(p);
const isOp = (op: string) => (e: Event) => 'op' in e && e.op === op;

describe('Switch.moveRoute: journal, ReplaceRoute, confirmation', () => {
  it('records the intent before ReplaceRoute, then done once EC2 shows the route active at a serving NAT', async () => {
    const world = worldOf(2);
    const { sw, events } = await switchOf(world, bridgePlanOf(2));
    const to = sw.candidates('0')[0]!;
    expect(await sw.moveRoute('0', to, 'bridge')).toBe(true);
    const intend = at(events, (e) => 'kind' in e && e.kind === 'intend');
    const replace = at(events, isOp('ReplaceRoute'));
    const done = at(events, (e) => 'kind' in e && e.kind === 'done');
    expect(intend).toBeGreaterThanOrEqual(0);
    expect(intend).toBeLessThan(replace);
    expect(replace).toBeLessThan(done);
    expect(events[intend]).toMatchObject({
      intent: { kind: 'bridge', az: '0', routeTableId: rt(0), from: gw(0), to: gw(1), toNat: gw(1) },
    });
    expect(events[replace]).toMatchObject({
      input: { RouteTableId: rt(0), DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: gw(1) },
    });
    expect(events[done]).toMatchObject({ facts: { routeTableId: rt(0), target: gw(1), state: 'active' } });
    expect(world.routes.get(rt(0))).toBe(gw(1));
    expect(sw.state('0').routeChanges).toBe(1);
  });

  it('a route confirmed at a target that stopped serving is false at once (no 10 s wait), recorded unconfirmed', async () => {
    const world = worldOf(2);
    const { sw, events, clock } = await switchOf(world, bridgePlanOf(2));
    const to = sw.candidates('0')[0]!;
    world.refuseRoute = () => {
      world.gateways.get(gw(1))!.state = 'deleting';
      return undefined;
    };
    const started = clock.now();
    expect(await sw.moveRoute('0', to, 'bridge')).toBe(false);
    // one ReplaceRoute and one read: far from CONFIRM_MS (10 s)
    expect(clock.now() - started).toBeLessThan(1_000);
    expect(events.filter((e) => 'kind' in e && e.kind === 'done')).toEqual([
      { kind: 'done', facts: { routeTableId: rt(0), target: gw(1), state: 'unconfirmed' } },
    ]);
  });

  it('EC2 not showing the change is false after the 10 s confirmation, read every 500 ms', async () => {
    const world = worldOf(2);
    const { sw, clock } = await switchOf(world, bridgePlanOf(2));
    const to = sw.candidates('0')[0]!;
    // EC2 accepts the call; its reads keep showing the old route (eventual consistency, for the whole wait)
    world.refuseRoute = () => {
      queueMicrotask(() => world.routes.set(rt(0), gw(0)));
      return undefined;
    };
    const started = clock.now();
    expect(await sw.moveRoute('0', to, 'bridge')).toBe(false);
    expect(clock.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(clock.now() - started).toBeLessThan(12_000);
  });

  it('a journal that cannot record throws before any ReplaceRoute', async () => {
    const world = worldOf(2);
    const { sw, journal } = await switchOf(world, bridgePlanOf(2));
    journal.failing = 'cutover journal: s3:PutObject AccessDenied';
    await expect(sw.moveRoute('0', sw.candidates('0')[0]!, 'bridge')).rejects.toThrow(/AccessDenied/);
    expect(world.of('ReplaceRoute')).toEqual([]);
    expect(world.routes.get(rt(0))).toBe(gw(0));
  });

  it('EC2 refusing the change throws its error; the route stays', async () => {
    const world = worldOf(2);
    const { sw } = await switchOf(world, bridgePlanOf(2));
    world.refuseRoute = () =>
      Object.assign(new Error('UnauthorizedOperation: not authorized to perform ec2:ReplaceRoute'), {
        name: 'UnauthorizedOperation',
      });
    await expect(sw.moveRoute('0', sw.candidates('0')[0]!, 'bridge')).rejects.toThrow(/ec2:ReplaceRoute/);
    expect(world.routes.get(rt(0))).toBe(gw(0));
  });

  it('an instance target goes by its primary interface (NetworkInterfaceId)', async () => {
    const world = worldOf(2);
    world.instance(inst(1), eni(1), alloc(1), ip(1));
    world.gateways.get(gw(1))!.state = 'deleted';
    world.route(rt(1), eni(1));
    const plan = bridgePlanOf(2);
    plan.allAzs[1]!.beforeInstanceIds = [inst(1)];
    const { sw } = await switchOf(world, plan);
    expect(await sw.moveRoute('0', sw.candidates('0')[0]!, 'bridge')).toBe(true);
    expect(world.of('ReplaceRoute')[0]?.input).toMatchObject({ RouteTableId: rt(0), NetworkInterfaceId: eni(1) });
  });
});
