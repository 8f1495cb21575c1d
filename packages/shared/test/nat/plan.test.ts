/** nat/plan.ts: the readers of NAT attributes in plan JSON (either side) and the model of one side of a plan. */
import { describe, expect, it } from '@jest/globals';
import {
  claimOf,
  gatewayAllocationIds,
  gatewayAllocations,
  modelFromPlan,
  natGatewayOf,
  natInstanceOf,
  natRoles,
  natRouteOf,
  sensitiveClaimAttributes,
} from '@nat-egress/shared/nat';
import { SENSITIVE_TEXT, shownValue } from '@nat-egress/shared/plan';
import { change } from '../support/plans';
import { alloc, regionalGateway, zonalGateway } from '../support/topology-plans';

describe('natGatewayOf / gatewayAllocationIds', () => {
  it('reads a zonal gateway with secondary allocations on the before side and nothing for an absent side', () => {
    const rc = zonalGateway(0, ['delete'], undefined, { secondary_allocation_ids: [alloc(7), alloc(8)] });
    expect(natGatewayOf(rc, 'before')).toMatchObject({
      id: 'nat-00aaaaaaaaaaaaaaa',
      connectivityType: 'public',
      availabilityMode: 'zonal',
      subnetId: 'subnet-0pub0',
      allocationId: alloc(0),
      secondaryAllocationIds: [alloc(7), alloc(8)],
    });
    expect(gatewayAllocationIds(rc, 'before')).toEqual([alloc(0), alloc(7), alloc(8)]);
    expect(natGatewayOf(rc, 'after')).toBeUndefined();
    expect(gatewayAllocationIds(rc, 'after')).toEqual([]);
  });

  it('reads a regional gateway: per-AZ addresses given and the addresses it has, unique', () => {
    const rc = regionalGateway(['update'], [0, 2]);
    const g = natGatewayOf(rc, 'after');
    expect(g?.availabilityMode).toBe('regional');
    expect(g?.zones).toEqual([
      { az: 'us-east-1a', allocationIds: [alloc(0)] },
      { az: 'us-east-1c', allocationIds: [alloc(2)] },
    ]);
    expect(g?.regionalAllocationIds).toEqual([alloc(0), alloc(2)]);
    expect(gatewayAllocationIds(rc, 'after')).toEqual([alloc(0), alloc(2)]);
    // An empty allocation_id ('' in the provider's schema for a regional gateway) is no allocation.
    expect(g?.allocationId).toBeUndefined();
    // Created: the computed addresses are unknown until apply, the configured ones are known.
    const created = regionalGateway(['create'], [1]);
    expect(natGatewayOf(created, 'after')?.regionalAllocationIds).toEqual([]);
    expect(gatewayAllocationIds(created, 'after')).toEqual([alloc(1)]);
  });

  it('a computed regional address alone (automatic mode) is an allocation the gateway holds', () => {
    const rc = change('aws_nat_gateway.r', ['no-op'], null, null);
    rc.change.before = {
      availability_mode: 'regional',
      regional_nat_gateway_address: [{ allocation_id: 'eipalloc-auto1' }, { allocation_id: 'eipalloc-auto1' }],
    };
    expect(gatewayAllocationIds(rc, 'before')).toEqual(['eipalloc-auto1']);
    expect(gatewayAllocations([rc])).toEqual(new Set(['eipalloc-auto1']));
  });

  it('is undefined for other resource types', () => {
    expect(natGatewayOf(change('aws_eip.a', ['create'], null, { id: 'x' }), 'after')).toBeUndefined();
  });
});

describe('natInstanceOf', () => {
  it('reads the ids, AMI, AZ, subnet and source/dest check; the interface has no primary interface id', () => {
    const inst = change('module.vpc.aws_instance.nat[0]', ['update'], null, null);
    inst.change.before = {
      id: 'i-1',
      primary_network_interface_id: 'eni-1',
      ami: 'ami-old',
      availability_zone: 'us-east-1a',
      subnet_id: 'subnet-1',
      source_dest_check: false,
    };
    inst.change.after = { ...(inst.change.before as object), ami: 'ami-new' };
    expect(natInstanceOf(inst, 'before')).toEqual({
      id: 'i-1',
      primaryNetworkInterfaceId: 'eni-1',
      ids: ['i-1', 'eni-1'],
      ami: 'ami-old',
      availabilityZone: 'us-east-1a',
      subnetId: 'subnet-1',
      sourceDestCheck: false,
    });
    expect(natInstanceOf(inst, 'after')?.ami).toBe('ami-new');
    const eni = change('aws_network_interface.main', ['create'], null, {
      subnet_id: 'subnet-2',
      source_dest_check: false,
    });
    expect(natInstanceOf(eni, 'after')).toEqual({ ids: [], subnetId: 'subnet-2', sourceDestCheck: false });
  });
});

describe('claimOf', () => {
  it('an association: allocation, a known instance target and the private IP', () => {
    const rc = change('aws_eip_association.nat[0]', ['create'], null, {
      allocation_id: 'eipalloc-1',
      instance_id: 'i-1',
      private_ip_address: '10.0.0.5',
    });
    expect(claimOf(rc, 'after')).toEqual({
      allocationId: 'eipalloc-1',
      targets: [{ kind: 'instance', attribute: 'instance_id', id: 'i-1', unknown: false }],
      privateIp: '10.0.0.5',
    });
    expect(claimOf(rc, 'before')).toBeUndefined();
  });

  it('targets known only after apply are marked unknown (after side only), in attribute order', () => {
    const rc = change(
      'aws_eip_association.nat[0]',
      ['create'],
      null,
      { allocation_id: 'eipalloc-1' },
      { after_unknown: { instance_id: true, network_interface_id: true, id: true } },
    );
    expect(claimOf(rc, 'after')?.targets).toEqual([
      { kind: 'instance', attribute: 'instance_id', unknown: true },
      { kind: 'network-interface', attribute: 'network_interface_id', unknown: true },
    ]);
  });

  it('an aws_eip: its own id as the allocation, and the interface it is associated with', () => {
    const rc = change(
      'aws_eip.nat[1]',
      ['update'],
      { id: 'eipalloc-2', network_interface: 'eni-2' },
      { id: 'eipalloc-2' },
    );
    expect(claimOf(rc, 'before')).toEqual({
      allocationId: 'eipalloc-2',
      targets: [{ kind: 'network-interface', attribute: 'network_interface', id: 'eni-2', unknown: false }],
    });
    expect(claimOf(rc, 'after')).toEqual({ allocationId: 'eipalloc-2', targets: [] });
  });

  it('an aws_nat_gateway_eip_association targets its gateway', () => {
    const rc = change('aws_nat_gateway_eip_association.s', ['create'], null, {
      allocation_id: 'eipalloc-3',
      nat_gateway_id: 'nat-3',
    });
    expect(claimOf(rc, 'after')?.targets).toEqual([
      { kind: 'nat-gateway', attribute: 'nat_gateway_id', id: 'nat-3', unknown: false },
    ]);
  });

  it('sensitive values are read for matching but never change what shownValue shows; the marked names are listed', () => {
    const rc = change(
      'aws_eip_association.nat[0]',
      ['create'],
      null,
      { allocation_id: 'eipalloc-secret', instance_id: 'i-public' },
      { after_sensitive: { allocation_id: true } },
    );
    expect(claimOf(rc, 'after')?.allocationId).toBe('eipalloc-secret');
    expect(shownValue(rc, 'after', ['allocation_id'])).toBe(SENSITIVE_TEXT);
    expect(rc.change.after).toEqual({ allocation_id: 'eipalloc-secret', instance_id: 'i-public' });
    expect(sensitiveClaimAttributes(rc)).toEqual(['allocation_id']);
    expect(sensitiveClaimAttributes(change('aws_route.x', ['create'], null, {}))).toEqual([]);
  });
});

describe('natRouteOf', () => {
  it('an aws_route to a gateway before and to an interface known only after apply', () => {
    const rc = change(
      'module.vpc.aws_route.private[0]',
      ['update'],
      { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-1', route_table_id: 'rtb-1' },
      { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: '', route_table_id: 'rtb-1' },
      { after_unknown: { network_interface_id: true } },
    );
    expect(natRouteOf(rc, 'before')).toEqual({
      state: 'nat',
      path: [],
      targets: [{ attribute: 'nat_gateway_id', id: 'nat-1' }],
      unknown: false,
      routeTableId: 'rtb-1',
    });
    expect(natRouteOf(rc, 'after')).toEqual({
      state: 'maybe',
      path: [],
      targets: [],
      unknown: true,
      routeTableId: 'rtb-1',
    });
  });

  it("an aws_route_table's inline NAT route: its path, and no route when the table has none", () => {
    const table = change(
      'aws_route_table.private',
      ['update'],
      {
        route: [
          { cidr_block: '10.1.0.0/16', gateway_id: 'vgw-1' },
          { cidr_block: '0.0.0.0/0', network_interface_id: 'eni-9' },
        ],
      },
      { route: [{ cidr_block: '0.0.0.0/0', gateway_id: 'igw-1' }] },
    );
    expect(natRouteOf(table, 'before')).toEqual({
      state: 'nat',
      path: ['route', 1],
      targets: [{ attribute: 'network_interface_id', id: 'eni-9' }],
      unknown: false,
    });
    expect(natRouteOf(table, 'after')).toBeUndefined();
  });
});

describe('modelFromPlan', () => {
  it('builds gateways, instances, routes and claims of one side; an instance holds what is associated with it', () => {
    const changes = [
      zonalGateway(0, ['delete'], undefined, { secondary_allocation_ids: [alloc(5)] }),
      change(
        'module.vpc.aws_instance.nat[0]',
        ['create'],
        null,
        {
          source_dest_check: false,
          ami: 'ami-1',
          availability_zone: 'us-east-1a',
          subnet_id: 'subnet-0pub0',
        },
        { after_unknown: { id: true, primary_network_interface_id: true } },
      ),
      change(
        'module.vpc.aws_eip_association.nat[0]',
        ['create'],
        null,
        { allocation_id: alloc(0) },
        {
          after_unknown: { instance_id: true },
        },
      ),
      change(
        'module.vpc.aws_route.private[0]',
        ['update'],
        { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-00aaaaaaaaaaaaaaa' },
        { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: '' },
        { after_unknown: { network_interface_id: true } },
      ),
    ];
    const roles = natRoles(changes);
    const before = modelFromPlan(changes, roles, 'before');
    const after = modelFromPlan(changes, roles, 'after');
    expect(before.nats).toEqual([
      expect.objectContaining({
        kind: 'zonal-gateway',
        key: '0',
        ids: ['nat-00aaaaaaaaaaaaaaa'],
        allocationIds: [alloc(0), alloc(5)],
        subnetId: 'subnet-0pub0',
      }),
    ]);
    expect(before.routes).toEqual([expect.objectContaining({ targetIds: ['nat-00aaaaaaaaaaaaaaa'], unknown: false })]);
    expect(after.nats).toEqual([
      expect.objectContaining({ kind: 'instance', key: '0', az: 'us-east-1a', ids: [], allocationIds: [] }),
    ]);
    expect(after.routes).toEqual([expect.objectContaining({ targetIds: [], unknown: true })]);
    expect(after.claims).toEqual([
      expect.objectContaining({ ref: 'module.vpc.aws_eip_association.nat[0]', allocationId: alloc(0), targetIds: [] }),
    ]);
  });
});
