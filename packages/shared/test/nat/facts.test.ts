import { describe, expect, it } from '@jest/globals';
import {
  amiChanges,
  amiOf,
  eipAllocationIds,
  eipHeldByNat,
  eipTargetIds,
  hasNatRoute,
  isPrivateGateway,
  modelFromPlan,
  natEgressEvidence,
  natRoles,
  natRouteRetargeted,
  routeTargetText,
  shownAmi,
  shownAvailabilityZone,
  shownImageId,
  shownPublicIp,
  sourceDestCheckOn,
} from '@nat-egress/shared/nat';
import { changedAttributes } from '@nat-egress/shared/plan';
import { cabal, change } from '../support/plans';
import { asgEniNat, topologies } from '../support/topology-plans';

type Obj = Record<string, unknown>;

describe('nat/facts.ts: the NAT attributes the plan rules read', () => {
  it('AMI: raw for matching, shown for display, and whether it changes', () => {
    const replaced = cabal.instance(0, ['delete', 'create'], { amiAfter: 'ami-0new' });
    expect([amiOf(replaced, 'before'), amiOf(replaced, 'after')]).toEqual(['ami-0aaa1111bbbb22223', 'ami-0new']);
    expect(shownAmi(replaced, 'after')).toBe('ami-0new');
    expect(amiChanges(replaced)).toBe(true);
    const forced = cabal.instance(0, ['delete', 'create']); // same ami, but replace_paths names it
    expect(amiChanges(forced)).toBe(true);
    const other = change('aws_instance.nat', ['update'], { ami: 'ami-1' }, { ami: 'ami-1' });
    expect(amiChanges(other)).toBe(false);
    const unknown = change(
      'aws_instance.nat',
      ['update'],
      { ami: 'ami-1' },
      { ami: null },
      { after_unknown: { ami: true } },
    );
    expect(amiChanges(unknown)).toBe(true);
  });

  it('display readers hide what terraform marks sensitive', () => {
    const rc = cabal.instance(0, ['update']);
    rc.change.after = rc.change.before;
    rc.change.after_sensitive = { ami: true, availability_zone: true };
    expect(shownAmi(rc, 'after')).toBe('(sensitive)');
    expect(shownAmi(rc, 'before')).toBe('ami-0aaa1111bbbb22223');
    expect(shownAvailabilityZone(rc)).toBe('(sensitive)');
    const eip = cabal.eip(0, ['delete']);
    eip.change.before_sensitive = { public_ip: true };
    expect(shownPublicIp(eip, 'before')).toBe('(sensitive)');
  });

  it('availability zone: after side first, else before', () => {
    expect(shownAvailabilityZone(cabal.instance(1, ['delete']))).toBe('us-east-1b');
    expect(shownAvailabilityZone(change('aws_instance.x', ['create'], null, {}))).toBeUndefined();
  });

  it('private gateways, source/dest check and launch template images', () => {
    const [priv] = topologies.privateGateways();
    expect(isPrivateGateway(priv!, 'after')).toBe(true);
    expect(isPrivateGateway(cabal.gateway(0, ['delete']), 'before')).toBe(false);
    const sdc = change(
      'aws_network_interface.n',
      ['update'],
      { source_dest_check: false },
      { source_dest_check: true },
    );
    expect([sourceDestCheckOn(sdc, 'before'), sourceDestCheckOn(sdc, 'after')]).toEqual([false, true]);
    const lt = topologies.asgImageChange(1).find((c) => c.type === 'aws_launch_template')!;
    expect([shownImageId(lt, 'before'), shownImageId(lt, 'after')]).toEqual(['ami-0fck1', 'ami-0fck2']);
  });

  it('Elastic IPs: allocation ids, targets, and NAT egress evidence from both topologies', () => {
    const eip = change(
      'aws_eip.x',
      ['delete'],
      { id: 'eipalloc-9', allocation_id: 'eipalloc-9', instance: 'i-7' },
      null,
    );
    expect(eipAllocationIds(eip, 'before')).toEqual(['eipalloc-9', 'eipalloc-9']);
    expect(eipTargetIds(eip, 'before')).toEqual(['i-7']);
    const plan = [cabal.gateway(0, ['delete']), cabal.instance(1, ['delete'])];
    const roles = natRoles(plan);
    const evidence = natEgressEvidence([modelFromPlan(plan, roles, 'before'), modelFromPlan(plan, roles, 'after')]);
    expect([...evidence.allocations]).toEqual(['eipalloc-00a1b2c3d4e5f6a7b8']);
    expect(eipHeldByNat(cabal.eip(0, ['delete']), evidence)).toBe(true);
    expect(eipHeldByNat(eip, evidence)).toBe(false);
    const onInstance = change('aws_eip.y', ['delete'], { id: 'eipalloc-8', instance: 'i-011234567890abcde' }, null);
    expect(eipHeldByNat(onInstance, evidence)).toBe(true);
  });

  it('routes: the NAT target as text, whether the route is there, whether it is retargeted', () => {
    const route = cabal.route(0, ['update'], 'gateway', 'instance');
    expect(routeTargetText(route, 'before')).toBe('nat_gateway_id=nat-000f1e2d3c4b5a6978');
    expect(routeTargetText(route, 'after')).toBe('');
    expect(natRouteRetargeted(route, changedAttributes(route))).toBe(true);
    expect(natRouteRetargeted(route, ['tags'])).toBe(false);
    const deleted = cabal.route(0, ['delete'], 'gateway', null);
    expect([hasNatRoute(deleted, 'before'), hasNatRoute(deleted, 'after')]).toEqual([true, false]);
    const table = change(
      'aws_route_table.p',
      ['update'],
      {
        route: [
          { cidr_block: '10.0.0.0/8', gateway_id: 'tgw' },
          { cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-a' },
        ],
      },
      { route: [{ cidr_block: '0.0.0.0/0', gateway_id: 'igw-1' }] },
    );
    expect(routeTargetText(table, 'before')).toBe('nat_gateway_id=nat-a');
    expect([hasNatRoute(table, 'before'), hasNatRoute(table, 'after')]).toEqual([true, false]);
    expect(natRouteRetargeted(table, [])).toBe(true);
    const sensitive = cabal.route(0, ['update'], 'gateway', 'gateway');
    sensitive.change.before_sensitive = { nat_gateway_id: true };
    expect(routeTargetText(sensitive, 'before')).toBe('nat_gateway_id=(sensitive)');
  });

  it('an interface NAT module has no AMI and no launch-template image on the interface', () => {
    const eni = asgEniNat(0, ['create'])[0]!;
    expect(amiOf(eni, 'after')).toBeUndefined();
    expect(shownImageId(eni, 'after')).toBeUndefined();
    expect((eni.change.after as Obj).source_dest_check).toBe(false);
  });
});
