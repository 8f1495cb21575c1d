/** Pure analysis of NAT topologies (no AWS): private-subnet detection, main route table, mode detection. */
import { describe, expect, it } from '@jest/globals';
import type { Instance, NatGateway, RouteTable, Subnet } from '@aws-sdk/client-ec2';
import { analyzeTopology, defaultRouteOf, type AnalyzeOptions, type TopologySnapshot } from '@nat-egress/shared/topology';

const VPC = 'vpc-0123456789abcdef0';
const subnet = (id: string, az: string): Subnet => ({ SubnetId: id, AvailabilityZone: az, VpcId: VPC });
const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' as const };

function snapshot(over: Partial<TopologySnapshot> = {}): TopologySnapshot {
  return {
    region: 'eu-west-1',
    vpc: { VpcId: VPC },
    subnets: [subnet('subnet-pub', 'eu-west-1a'), subnet('subnet-a', 'eu-west-1a'), subnet('subnet-b', 'eu-west-1b')],
    routeTables: [
      { RouteTableId: 'rtb-pub', Associations: [{ SubnetId: 'subnet-pub' }], Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }] },
      // The main table carries the NAT route; subnet-a and subnet-b have no explicit association.
      { RouteTableId: 'rtb-main', Associations: [{ Main: true }], Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' }] },
    ],
    natGateways: [
      { NatGatewayId: 'nat-1', SubnetId: 'subnet-pub', State: 'available', ConnectivityType: 'public', NatGatewayAddresses: [{ PublicIp: '198.51.100.1', AllocationId: 'eipalloc-1', IsPrimary: true }] },
    ],
    natInstances: [],
    probeInstances: [],
    addresses: [{ PublicIp: '198.51.100.1', AllocationId: 'eipalloc-1', NetworkInterfaceId: 'eni-gw' }],
    addressAttributes: [{ AllocationId: 'eipalloc-1', PublicIp: '198.51.100.1', PtrRecord: 'smtp.example.org.' }],
    images: [],
    vpcEndpoints: [],
    calls: {},
    ...over,
  };
}

const opts = (over: Partial<AnalyzeOptions> = {}): AnalyzeOptions => ({ mode: 'auto', natNamePattern: 'cabal-nat-*', expectedIps: [], expectQuiesced: false, ...over });

describe('analyzeTopology', () => {
  it('treats subnets without an explicit association as using the main route table', () => {
    const a = analyzeTopology(snapshot(), opts());
    expect(a.routeTables).toEqual([
      expect.objectContaining({ id: 'rtb-main', main: true, subnetIds: ['subnet-a', 'subnet-b'], azs: ['eu-west-1a', 'eu-west-1b'], defaultRoute: expect.objectContaining({ natId: 'nat-1' }) }),
    ]);
    expect(a.mode).toBe('gateway');
    expect(a.nats[0]!.ptr).toBe('smtp.example.org.');
    // One gateway serving both AZs through the main table: SPOF and cross-AZ warnings, no error.
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.findings.map((f) => f.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/serves 2 AZs/), expect.stringMatching(/rtb-main \(main\).*cross-AZ/)]),
    );
  });

  it('a main route table with no default route leaves the unassociated subnets without egress', () => {
    const snap = snapshot();
    snap.routeTables[1]!.Routes = [local];
    const a = analyzeTopology(snap, opts({ mode: 'gateway' }));
    expect(a.findings.find((f) => f.check === 'routes')).toMatchObject({ severity: 'error', resource: 'rtb-main' });
    expect(a.findings.find((f) => f.check === 'nat' && f.severity === 'warning')?.message).toMatch(/not the default route of any private route table/);
  });

  it('detects instance mode from routes that target an ENI, and explains a route to a NAT that does not match the pattern', () => {
    const snap = snapshot({ natGateways: [] });
    snap.routeTables[1]!.Routes = [local, { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-other', InstanceId: 'i-other', State: 'active' }];
    const a = analyzeTopology(snap, opts());
    expect(a.mode).toBe('instance');
    expect(a.findings.find((f) => f.check === 'routes')?.message).toMatch(/eni-other, which is not an instance named like the NAT pattern/);
  });

  it('mode: instance given while only gateways exist flags the mismatch and the missing NAT instances', () => {
    const a = analyzeTopology(snapshot(), opts({ mode: 'instance' }));
    expect(a.modeSource).toBe('input');
    expect(a.findings.map((f) => `${f.severity}:${f.message}`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^warning:.*routes to NAT gateway nat-1 while the mode is instance/),
      ]),
    );
  });

  it('a route to a private NAT gateway is an error: no internet egress', () => {
    const gw: NatGateway = { NatGatewayId: 'nat-priv', SubnetId: 'subnet-pub', State: 'available', ConnectivityType: 'private', NatGatewayAddresses: [{ PrivateIp: '10.0.0.9' }] };
    const snap = snapshot({ natGateways: [gw] });
    snap.routeTables[1]!.Routes = [local, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-priv', State: 'active' }];
    const a = analyzeTopology(snap, opts());
    expect(a.findings.find((f) => f.check === 'routes')?.message).toMatch(/private NAT gateway nat-priv/);
  });

  it('a NAT instance with an auto-assigned public IP (not an EIP) in a private subnet is flagged twice', () => {
    const nat: Instance = {
      InstanceId: 'i-nat',
      State: { Name: 'running' },
      Placement: { AvailabilityZone: 'eu-west-1a' },
      SubnetId: 'subnet-a',
      SourceDestCheck: false,
      PublicIpAddress: '192.0.2.4',
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-nat', Attachment: { DeviceIndex: 0 } }],
      Tags: [{ Key: 'Name', Value: 'cabal-nat-0' }],
    };
    const tables: RouteTable[] = [
      snapshot().routeTables[0]!,
      { RouteTableId: 'rtb-main', Associations: [{ Main: true }], Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-nat', InstanceId: 'i-nat', State: 'active' }] },
    ];
    const a = analyzeTopology(snapshot({ natGateways: [], natInstances: [nat], routeTables: tables, addresses: [] }), opts());
    const messages = a.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/egresses from 192\.0\.2\.4, an auto-assigned public IP rather than an Elastic IP/),
        expect.stringMatching(/sits in subnet subnet-a, which has no internet-gateway default route/),
      ]),
    );
  });

  it('quiesced: expected EIPs must still be allocated', () => {
    const snap = snapshot({ natGateways: [], addresses: [{ PublicIp: '198.51.100.1', AllocationId: 'eipalloc-1' }] });
    snap.routeTables[1]!.Routes = [local];
    const ok = analyzeTopology(snap, opts({ expectQuiesced: true, expectedIps: ['198.51.100.1'] }));
    expect(ok.quiesced).toBe(true);
    expect(ok.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    const gone = analyzeTopology(snap, opts({ expectQuiesced: true, expectedIps: ['198.51.100.1', '198.51.100.2'] }));
    expect(gone.findings).toEqual([expect.objectContaining({ severity: 'error', check: 'addresses', resource: '198.51.100.2' })]);
  });

  it('classifies default-route targets', () => {
    expect(defaultRouteOf({ Routes: [{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-1', State: 'active' }] })).toEqual({ kind: 'other', target: 'tgw-1', state: 'active' });
    expect(defaultRouteOf({ Routes: [local] })).toEqual({ kind: 'none', target: '', state: '' });
    expect(defaultRouteOf({ Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-1', State: 'blackhole' }] })).toEqual({ kind: 'instance', target: 'eni-1', state: 'blackhole' });
  });
});
