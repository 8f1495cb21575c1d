/** nat/query.ts: the NAT a route reaches, allocations and IPs of a NAT, live mode, per-AZ view. */
import { describe, expect, it } from '@jest/globals';
import type { NatGateway, RouteTable, Subnet } from '@aws-sdk/client-ec2';
import {
  allocationsOf,
  azOf,
  azTopologies,
  detectMode,
  egressIpsOf,
  holdersOf,
  modelFromEc2,
  modelFromPlan,
  natOfRoute,
  natRoles,
  publicIpsOf,
  servingNats,
} from '@nat-egress/shared/nat';
import { change } from '../support/plans';
import { alloc, zonalGateway } from '../support/topology-plans';

const subnet = (id: string, az: string): Subnet => ({ SubnetId: id, AvailabilityZone: az });
const table = (id: string, subnets: string[], route?: Record<string, string>): RouteTable => ({
  RouteTableId: id,
  Associations: subnets.map((s) => ({ SubnetId: s })),
  Routes: route ? [{ DestinationCidrBlock: '0.0.0.0/0', State: 'active', ...route }] : [],
});
const regional: NatGateway = {
  NatGatewayId: 'nat-reg',
  State: 'available',
  ConnectivityType: 'public',
  AvailabilityMode: 'regional',
  NatGatewayAddresses: [
    { AllocationId: 'eipalloc-r1', PublicIp: '198.51.100.21', AvailabilityZone: 'eu-west-1a' },
    { AllocationId: 'eipalloc-r2', PublicIp: '198.51.100.22', AvailabilityZone: 'eu-west-1b' },
  ],
};
const zonal: NatGateway = {
  NatGatewayId: 'nat-z',
  SubnetId: 'subnet-pub',
  State: 'available',
  NatGatewayAddresses: [{ AllocationId: 'eipalloc-z', PublicIp: '198.51.100.9', IsPrimary: true }],
};
const priv: NatGateway = {
  NatGatewayId: 'nat-priv',
  SubnetId: 'subnet-pub',
  State: 'available',
  ConnectivityType: 'private',
};

function world(routeB: Record<string, string>) {
  return modelFromEc2({
    subnets: [subnet('subnet-pub', 'eu-west-1a'), subnet('subnet-a', 'eu-west-1a'), subnet('subnet-b', 'eu-west-1b')],
    routeTables: [
      table('rtb-pub', ['subnet-pub'], { GatewayId: 'igw-1' }),
      table('rtb-a', ['subnet-a'], { NatGatewayId: 'nat-reg' }),
      table('rtb-b', ['subnet-b'], routeB),
    ],
    natGateways: [zonal, regional, priv],
    natInstances: [],
    addresses: [],
    addressAttributes: [],
    images: [],
  });
}

describe('queries over the EC2 model', () => {
  it('natOfRoute: the NAT a route reaches; a private NAT gateway or a non-NAT target reaches none', () => {
    const model = world({ NatGatewayId: 'nat-priv' });
    const [a, b] = model.routes;
    expect(natOfRoute(model, a!)?.ref).toBe('nat-reg');
    expect(natOfRoute(model, b!)).toBeUndefined();
    expect(natOfRoute(world({ TransitGatewayId: 'tgw-1' }), b!)).toBeUndefined();
  });

  it('azTopologies: per AZ its routes, the NATs located there, what its routes reach and the IPs it egresses from', () => {
    const view = azTopologies(world({ NatGatewayId: 'nat-z' }));
    expect(
      view.map((v) => [
        v.az,
        v.privateSubnetIds,
        v.routes.map((r) => r.ref),
        v.nats.map((n) => n.ref),
        v.egressNatRefs,
      ]),
    ).toEqual([
      ['eu-west-1a', ['subnet-a'], ['rtb-a'], ['nat-z'], ['nat-reg']],
      ['eu-west-1b', ['subnet-b'], ['rtb-b'], [], ['nat-z']],
    ]);
    // A regional gateway answers from its address in the AZ; a zonal one from its own, wherever it is.
    expect(view.map((v) => v.egressIps)).toEqual([['198.51.100.21'], ['198.51.100.9']]);
  });

  it('egressIpsOf, publicIpsOf, azOf for zonal and regional gateways', () => {
    const model = world({ NatGatewayId: 'nat-z' });
    const [z, r] = model.nats;
    expect(egressIpsOf(r, 'eu-west-1b')).toEqual(['198.51.100.22']);
    expect(egressIpsOf(r, 'eu-west-1c')).toEqual([]);
    expect(egressIpsOf(z, 'eu-west-1b')).toEqual(['198.51.100.9']);
    expect(egressIpsOf(undefined, 'eu-west-1a')).toEqual([]);
    expect(publicIpsOf(r!)).toEqual(['198.51.100.21', '198.51.100.22']);
    expect([azOf(z!), azOf(r!)]).toEqual(['eu-west-1a', 'regional']);
  });

  it('detectMode follows the routes, then what is live; servingNats adds the NATs a route reaches', () => {
    const model = world({ NatGatewayId: 'nat-z' });
    expect(detectMode(model)).toBe('gateway');
    expect(servingNats(model, 'instance').map((n) => n.ref)).toEqual(['nat-z', 'nat-reg']);
    const none = modelFromEc2({
      subnets: [subnet('subnet-a', 'eu-west-1a')],
      routeTables: [table('rtb-a', ['subnet-a'])],
      natGateways: [],
      natInstances: [],
      addresses: [],
      addressAttributes: [],
      images: [],
    });
    expect(detectMode(none)).toBe('none');
    expect(azTopologies(none)[0]?.egressNatRefs).toEqual([]);
  });
});

describe('queries over the plan model', () => {
  it('allocationsOf and holdersOf a NAT gateway with a secondary address', () => {
    const changes = [zonalGateway(0, ['no-op'], undefined, { secondary_allocation_ids: [alloc(3), alloc(3)] })];
    const model = modelFromPlan(changes, natRoles(changes), 'before');
    expect(allocationsOf(model.nats[0]!)).toEqual([alloc(0), alloc(3)]);
    expect(holdersOf(model, alloc(3)).map((n) => n.ref)).toEqual(['module.vpc.aws_nat_gateway.this[0]']);
    expect(holdersOf(model, alloc(9))).toEqual([]);
  });

  it('natOfRoute on a plan side: a route to the NAT interface the plan keeps', () => {
    const changes = [
      change('aws_network_interface.nat', ['no-op'], { id: 'eni-1', source_dest_check: false }, null),
      change(
        'aws_route.private',
        ['no-op'],
        { destination_cidr_block: '0.0.0.0/0', network_interface_id: 'eni-1' },
        null,
      ),
    ];
    changes.forEach((c) => (c.change.after = c.change.before));
    const model = modelFromPlan(changes, natRoles(changes), 'after');
    expect(natOfRoute(model, model.routes[0]!)?.ref).toBe('aws_network_interface.nat');
  });
});
