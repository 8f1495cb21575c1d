/** nat/ec2.ts and ec2-nats.ts: the NAT model and live facts from EC2 describes; the EC2 readers cutover uses. */
import { describe, expect, it } from '@jest/globals';
import type { Instance, NatGateway, NetworkInterface, RouteTable, Subnet } from '@aws-sdk/client-ec2';
import {
  addressHolder,
  defaultRouteOf,
  modelFromEc2,
  natGatewayAllocations,
  routeTableBySubnet,
  type Ec2Describes,
} from '@nat-egress/shared/nat';

const subnet = (id: string, az: string): Subnet => ({ SubnetId: id, AvailabilityZone: az });
const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' as const };
const igwTable: RouteTable = {
  RouteTableId: 'rtb-pub',
  Associations: [{ SubnetId: 'subnet-pub-a' }, { SubnetId: 'subnet-pub-b' }],
  Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }],
};
const privateTable = (id: string, subnets: string[], route: Record<string, string>): RouteTable => ({
  RouteTableId: id,
  Associations: subnets.map((s) => ({ SubnetId: s })),
  Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', State: 'active', ...route }],
});

function describes(over: Partial<Ec2Describes> = {}): Ec2Describes {
  return {
    subnets: [
      subnet('subnet-pub-a', 'eu-west-1a'),
      subnet('subnet-pub-b', 'eu-west-1b'),
      subnet('subnet-a', 'eu-west-1a'),
      subnet('subnet-b', 'eu-west-1b'),
    ],
    routeTables: [
      igwTable,
      privateTable('rtb-b', ['subnet-b'], { NatGatewayId: 'nat-b' }),
      privateTable('rtb-a', ['subnet-a'], { NetworkInterfaceId: 'eni-a', InstanceId: 'i-a' }),
    ],
    natGateways: [],
    natInstances: [],
    addresses: [],
    addressAttributes: [],
    images: [],
    ...over,
  };
}

const natInstance: Instance = {
  InstanceId: 'i-a',
  InstanceType: 't3.micro',
  Monitoring: { State: 'enabled' },
  State: { Name: 'running' },
  Placement: { AvailabilityZone: 'eu-west-1a' },
  SubnetId: 'subnet-pub-a',
  SourceDestCheck: false,
  ImageId: 'ami-nat',
  NetworkInterfaces: [{ NetworkInterfaceId: 'eni-a', SourceDestCheck: false, Attachment: { DeviceIndex: 0 } }],
  Tags: [{ Key: 'Name', Value: 'cabal-nat-0' }],
};
const zonal: NatGateway = {
  NatGatewayId: 'nat-b',
  SubnetId: 'subnet-pub-b',
  State: 'available',
  ConnectivityType: 'public',
  FailureMessage: undefined,
  NatGatewayAddresses: [
    { AllocationId: 'eipalloc-b2', PublicIp: '198.51.100.12', NetworkInterfaceId: 'eni-gw2', IsPrimary: false },
    { AllocationId: 'eipalloc-b', PublicIp: '198.51.100.11', NetworkInterfaceId: 'eni-gw', IsPrimary: true },
  ],
};

describe('modelFromEc2', () => {
  it('NATs with live facts, one route per private table (sorted), public and private subnets, addresses', () => {
    const model = modelFromEc2(
      describes({
        natInstances: [natInstance],
        natGateways: [zonal, { NatGatewayId: 'nat-old', State: 'deleted' }],
        addresses: [
          { PublicIp: '198.51.100.10', AllocationId: 'eipalloc-a', InstanceId: 'i-a', NetworkInterfaceId: 'eni-a' },
          { PublicIp: '198.51.100.11', AllocationId: 'eipalloc-b', NetworkInterfaceId: 'eni-gw', AssociationId: 'x' },
          {
            PublicIp: '198.51.100.99',
            AllocationId: 'eipalloc-z',
            InstanceId: 'i-web',
            Tags: [{ Key: 'Name', Value: 'web' }],
          },
        ],
        addressAttributes: [{ AllocationId: 'eipalloc-a', PtrRecord: 'smtp.example.org.' }],
        images: [{ ImageId: 'ami-nat', Name: 'cabal-nat-al2023-1', Tags: [{ Key: 'Role', Value: 'cabal-nat' }] }],
      }),
    );
    expect(model.nats.map((n) => [n.ref, n.kind, n.key, n.az])).toEqual([
      ['i-a', 'instance', 'eu-west-1a', 'eu-west-1a'],
      ['nat-b', 'zonal-gateway', 'eu-west-1b', 'eu-west-1b'],
    ]);
    const [instance, gateway] = model.nats;
    expect(instance).toMatchObject({ ids: ['i-a', 'eni-a'], allocationIds: ['eipalloc-a'], subnetId: 'subnet-pub-a' });
    expect(instance?.live).toEqual({
      state: 'running',
      healthy: true,
      inPublicSubnet: true,
      elasticIp: true,
      interfaceIds: ['eni-a'],
      name: 'cabal-nat-0',
      publicIp: '198.51.100.10',
      allocationId: 'eipalloc-a',
      sourceDestCheck: false,
      interfaceSourceDestCheck: { 'eni-a': false },
      primaryInterfaceId: 'eni-a',
      imageId: 'ami-nat',
      imageRole: 'cabal-nat',
      imageName: 'cabal-nat-al2023-1',
      instanceType: 't3.micro',
      detailedMonitoring: true,
      ptr: 'smtp.example.org.',
    });
    // The primary address is the gateway's public IP; every allocation is held.
    expect(gateway).toMatchObject({
      ids: ['nat-b', 'eni-gw2', 'eni-gw'],
      allocationIds: ['eipalloc-b2', 'eipalloc-b'],
      live: {
        publicIp: '198.51.100.11',
        allocationId: 'eipalloc-b',
        healthy: true,
        interfaceIds: ['eni-gw2', 'eni-gw'],
      },
    });
    expect(model.routes.map((r) => [r.ref, r.key, r.targetIds, r.route?.kind, r.azs, r.table?.subnetIds])).toEqual([
      ['rtb-a', 'eu-west-1a', ['eni-a'], 'instance', ['eu-west-1a'], ['subnet-a']],
      ['rtb-b', 'eu-west-1b', ['nat-b'], 'nat-gateway', ['eu-west-1b'], ['subnet-b']],
    ]);
    expect(model.subnets?.filter((s) => s.public).map((s) => s.id)).toEqual(['subnet-pub-a', 'subnet-pub-b']);
    expect(model.addresses).toEqual([
      { publicIp: '198.51.100.10', allocationId: 'eipalloc-a', ptr: 'smtp.example.org.', natRef: 'i-a' },
      { publicIp: '198.51.100.11', allocationId: 'eipalloc-b', natRef: 'nat-b' },
      { publicIp: '198.51.100.99', allocationId: 'eipalloc-z', name: 'web', associatedWith: 'i-web' },
    ]);
  });

  it('a regional gateway: AZs with addresses, public IPs per AZ sorted, healthy with any public IP', () => {
    const regional: NatGateway = {
      NatGatewayId: 'nat-reg',
      State: 'available',
      ConnectivityType: 'public',
      AvailabilityMode: 'regional',
      AutoProvisionZones: 'disabled',
      AutoScalingIps: 'enabled',
      NatGatewayAddresses: [
        { AllocationId: 'eipalloc-r3', AvailabilityZone: 'eu-west-1b' },
        { AllocationId: 'eipalloc-r2', PublicIp: '198.51.100.22', AvailabilityZone: 'eu-west-1a' },
        { AllocationId: 'eipalloc-r1', PublicIp: '198.51.100.21', AvailabilityZone: 'eu-west-1a' },
      ],
    };
    const [node] = modelFromEc2(describes({ natGateways: [regional] })).nats;
    expect(node).toMatchObject({ kind: 'regional-gateway', key: '-', regionalMode: 'manual', autoScalingIps: true });
    expect(node?.az).toBeUndefined();
    expect(node?.zones).toEqual([
      {
        az: 'eu-west-1a',
        allocationIds: ['eipalloc-r2', 'eipalloc-r1'],
        publicIps: ['198.51.100.21', '198.51.100.22'],
      },
      { az: 'eu-west-1b', allocationIds: ['eipalloc-r3'], publicIps: [] },
    ]);
    expect(node?.live).toMatchObject({ healthy: true, elasticIp: true, inPublicSubnet: true });
  });

  it('an interface NAT: the instance behind it, its attachment, and detached when nothing is attached', () => {
    const eni = (attached: boolean): NetworkInterface => ({
      NetworkInterfaceId: 'eni-fck',
      AvailabilityZone: 'eu-west-1a',
      SubnetId: 'subnet-pub-a',
      SourceDestCheck: false,
      ...(attached ? { Attachment: { InstanceId: 'i-asg', Status: 'attached' as const } } : {}),
      Association: { PublicIp: '198.51.100.30', AllocationId: 'eipalloc-f' },
    });
    const behind: Instance = { InstanceId: 'i-asg', State: { Name: 'running' }, ImageId: 'ami-fck' };
    const up = modelFromEc2(describes({ natInterfaces: [eni(true)], interfaceInstances: [behind] })).nats[0];
    expect(up).toMatchObject({ ref: 'eni-fck', kind: 'interface', ids: ['eni-fck'] });
    expect(up?.live).toMatchObject({ state: 'running', attachment: 'attached', instanceId: 'i-asg', healthy: true });
    const down = modelFromEc2(describes({ natInterfaces: [eni(false)] })).nats[0];
    expect(down?.live).toMatchObject({ state: 'detached', attachment: 'detached', healthy: false });
    expect(down?.live?.instanceId).toBeUndefined();
  });

  it('a private NAT gateway is a node of its own kind, with no allocation', () => {
    const priv: NatGateway = {
      NatGatewayId: 'nat-priv',
      SubnetId: 'subnet-a',
      State: 'available',
      ConnectivityType: 'private',
      NatGatewayAddresses: [{ PrivateIp: '10.0.0.9', NetworkInterfaceId: 'eni-p' }],
    };
    expect(modelFromEc2(describes({ natGateways: [priv] })).nats).toEqual([
      expect.objectContaining({ kind: 'private-gateway', key: 'eu-west-1a', ids: ['nat-priv'], allocationIds: [] }),
    ]);
  });
});

describe('EC2 readers', () => {
  it('defaultRouteOf and routeTableBySubnet (main table for unassociated subnets, disassociated ignored)', () => {
    expect(defaultRouteOf({ Routes: [{ DestinationCidrBlock: '0.0.0.0/0', InstanceId: 'i-1' }] })).toEqual({
      kind: 'instance',
      target: 'i-1',
      state: 'active',
    });
    const main: RouteTable = { RouteTableId: 'rtb-main', Associations: [{ Main: true }] };
    const gone: RouteTable = {
      RouteTableId: 'rtb-x',
      Associations: [{ SubnetId: 'subnet-a', AssociationState: { State: 'disassociated' } }],
    };
    const map = routeTableBySubnet([subnet('subnet-a', 'eu-west-1a')], [gone, main]);
    expect(map.get('subnet-a')?.RouteTableId).toBe('rtb-main');
  });

  it("natGatewayAllocations: every address's allocation; addressHolder: instance, a gateway's interface, none", () => {
    expect(natGatewayAllocations(zonal)).toEqual(['eipalloc-b2', 'eipalloc-b']);
    expect(natGatewayAllocations({ NatGatewayAddresses: [{ PrivateIp: '10.0.0.1' }] })).toEqual([]);
    expect(addressHolder({ AssociationId: 'eipassoc-1', InstanceId: 'i-1', NetworkInterfaceId: 'eni-1' })).toBe(
      'instance',
    );
    expect(addressHolder({ AssociationId: 'eipassoc-2', NetworkInterfaceId: 'eni-gw' })).toBe('interface');
    expect(addressHolder({ AllocationId: 'eipalloc-free' })).toBeUndefined();
  });
});
