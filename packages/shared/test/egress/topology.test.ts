/** Pure analysis of NAT topologies (no AWS): private-subnet detection, main route table, mode detection. */
import { describe, expect, it } from '@jest/globals';
import type { Instance, NatGateway, RouteTable, Subnet } from '@aws-sdk/client-ec2';
import { analyzeTopology, reportNat, type AnalyzeOptions } from '@nat-egress/shared/egress';
import { defaultRouteOf, type TopologySnapshot } from '@nat-egress/shared/nat';

const VPC = 'vpc-0123456789abcdef0';
const subnet = (id: string, az: string): Subnet => ({ SubnetId: id, AvailabilityZone: az, VpcId: VPC });
const local = { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' as const };

function snapshot(over: Partial<TopologySnapshot> = {}): TopologySnapshot {
  return {
    region: 'eu-west-1',
    vpc: { VpcId: VPC },
    subnets: [subnet('subnet-pub', 'eu-west-1a'), subnet('subnet-a', 'eu-west-1a'), subnet('subnet-b', 'eu-west-1b')],
    routeTables: [
      {
        RouteTableId: 'rtb-pub',
        Associations: [{ SubnetId: 'subnet-pub' }],
        Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }],
      },
      // The main table carries the NAT route; subnet-a and subnet-b have no explicit association.
      {
        RouteTableId: 'rtb-main',
        Associations: [{ Main: true }],
        Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'active' }],
      },
    ],
    natGateways: [
      {
        NatGatewayId: 'nat-1',
        SubnetId: 'subnet-pub',
        State: 'available',
        ConnectivityType: 'public',
        NatGatewayAddresses: [{ PublicIp: '198.51.100.1', AllocationId: 'eipalloc-1', IsPrimary: true }],
      },
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

const opts = (over: Partial<AnalyzeOptions> = {}): AnalyzeOptions => ({
  mode: 'auto',
  natNamePattern: 'cabal-nat-*',
  expectedIps: [],
  expectQuiesced: false,
  ...over,
});

describe('analyzeTopology', () => {
  it('treats subnets without an explicit association as using the main route table', () => {
    const a = analyzeTopology(snapshot(), opts());
    expect(a.routeTables).toEqual([
      expect.objectContaining({
        id: 'rtb-main',
        main: true,
        subnetIds: ['subnet-a', 'subnet-b'],
        azs: ['eu-west-1a', 'eu-west-1b'],
        defaultRoute: expect.objectContaining({ natId: 'nat-1' }),
      }),
    ]);
    expect(a.mode).toBe('gateway');
    expect(a.nats.map(reportNat)[0]!.ptr).toBe('smtp.example.org.');
    // One gateway serving both AZs through the main table: SPOF and cross-AZ warnings, no error.
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.findings.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/serves 2 AZs/),
        expect.stringMatching(/rtb-main \(main\).*cross-AZ/),
      ]),
    );
  });

  it('a main route table with no default route leaves the unassociated subnets without egress', () => {
    const snap = snapshot();
    snap.routeTables[1]!.Routes = [local];
    const a = analyzeTopology(snap, opts({ mode: 'gateway' }));
    expect(a.findings.find((f) => f.check === 'routes')).toMatchObject({ severity: 'error', resource: 'rtb-main' });
    expect(a.findings.find((f) => f.check === 'nat' && f.severity === 'warning')?.message).toMatch(
      /not the default route of any private route table/,
    );
  });

  it('detects instance mode from routes that target an ENI, and explains a route to a NAT that does not match the pattern', () => {
    const snap = snapshot({ natGateways: [] });
    snap.routeTables[1]!.Routes = [
      local,
      { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-other', InstanceId: 'i-other', State: 'active' },
    ];
    const a = analyzeTopology(snap, opts());
    expect(a.mode).toBe('instance');
    expect(a.findings.find((f) => f.check === 'routes')?.message).toMatch(
      /eni-other, which is not an instance named like the NAT pattern/,
    );
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
    const gw: NatGateway = {
      NatGatewayId: 'nat-priv',
      SubnetId: 'subnet-pub',
      State: 'available',
      ConnectivityType: 'private',
      NatGatewayAddresses: [{ PrivateIp: '10.0.0.9' }],
    };
    const snap = snapshot({ natGateways: [gw] });
    snap.routeTables[1]!.Routes = [
      local,
      { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-priv', State: 'active' },
    ];
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
      {
        RouteTableId: 'rtb-main',
        Associations: [{ Main: true }],
        Routes: [
          local,
          { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-nat', InstanceId: 'i-nat', State: 'active' },
        ],
      },
    ];
    const a = analyzeTopology(
      snapshot({ natGateways: [], natInstances: [nat], routeTables: tables, addresses: [] }),
      opts(),
    );
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
    expect(gone.findings).toEqual([
      expect.objectContaining({ severity: 'error', check: 'addresses', resource: '198.51.100.2' }),
    ]);
  });

  it('classifies default-route targets', () => {
    expect(
      defaultRouteOf({ Routes: [{ DestinationCidrBlock: '0.0.0.0/0', TransitGatewayId: 'tgw-1', State: 'active' }] }),
    ).toEqual({ kind: 'other', target: 'tgw-1', state: 'active' });
    expect(defaultRouteOf({ Routes: [local] })).toEqual({ kind: 'none', target: '', state: '' });
    expect(
      defaultRouteOf({
        Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-1', State: 'blackhole' }],
      }),
    ).toEqual({ kind: 'instance', target: 'eni-1', state: 'blackhole' });
  });
});

describe('analyzeTopology: every NAT topology', () => {
  const twoAzTables = (route: Record<string, string>): RouteTable[] => [
    snapshot().routeTables[0]!,
    {
      RouteTableId: 'rtb-a',
      Associations: [{ SubnetId: 'subnet-a' }],
      Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', State: 'active', ...route }],
    },
    {
      RouteTableId: 'rtb-b',
      Associations: [{ SubnetId: 'subnet-b' }],
      Routes: [local, { DestinationCidrBlock: '0.0.0.0/0', State: 'active', ...route }],
    },
  ];
  const regional = (zones: string[], automatic = false): NatGateway => ({
    NatGatewayId: 'nat-reg',
    VpcId: VPC,
    State: 'available',
    ConnectivityType: 'public',
    AvailabilityMode: 'regional',
    AutoProvisionZones: automatic ? 'enabled' : 'disabled',
    AutoScalingIps: automatic ? 'enabled' : 'disabled',
    NatGatewayAddresses: zones.map((az, i) => ({
      AllocationId: `eipalloc-r${i}`,
      PublicIp: `198.51.100.${20 + i}`,
      AvailabilityZone: az,
      Status: 'succeeded',
    })),
  });

  it('regional gateway (manual): per-AZ egress addresses, no cross-AZ or single-point warnings; an AZ without an address is an error', () => {
    const ok = analyzeTopology(
      snapshot({
        natGateways: [regional(['eu-west-1a', 'eu-west-1b'])],
        routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }),
      }),
      opts(),
    );
    expect(ok.mode).toBe('gateway');
    expect(ok.azs.map((a) => [a.az, a.egressIps])).toEqual([
      ['eu-west-1a', ['198.51.100.20']],
      ['eu-west-1b', ['198.51.100.21']],
    ]);
    expect(ok.natPublicIps).toEqual(['198.51.100.20', '198.51.100.21']);
    expect(ok.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(ok.model.nats).toEqual([
      expect.objectContaining({ ref: 'nat-reg', kind: 'regional-gateway', regionalMode: 'manual' }),
    ]);
    // Each AZ's probe must answer that AZ's address.
    const probes: Instance[] = ['a', 'b'].map((z) => ({
      InstanceId: `i-probe-${z}`,
      State: { Name: 'running' },
      Placement: { AvailabilityZone: `eu-west-1${z}` },
      SubnetId: `subnet-${z}`,
    }));
    const probed = analyzeTopology(
      snapshot({
        natGateways: [regional(['eu-west-1a', 'eu-west-1b'])],
        routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }),
        probeInstances: probes,
      }),
      opts(),
    );
    expect(probed.probeTargets.map((t) => [t.az, t.expectedIp])).toEqual([
      ['eu-west-1a', '198.51.100.20'],
      ['eu-west-1b', '198.51.100.21'],
    ]);
    // Several addresses in one AZ (auto-scaling IPs): any of them is a right answer.
    const many = regional(['eu-west-1a', 'eu-west-1a', 'eu-west-1b']);
    const multi = analyzeTopology(
      snapshot({ natGateways: [many], routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }), probeInstances: probes }),
      opts(),
    );
    expect(multi.probeTargets[0]?.acceptedIps).toEqual(['198.51.100.20', '198.51.100.21']);
    const missing = analyzeTopology(
      snapshot({ natGateways: [regional(['eu-west-1a'])], routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }) }),
      opts(),
    );
    expect(missing.findings.filter((f) => f.severity === 'error')).toEqual([
      expect.objectContaining({
        az: 'eu-west-1b',
        message: expect.stringMatching(
          /Regional NAT gateway nat-reg has no address in eu-west-1b.*availability_zone_address/,
        ),
      }),
    ]);
  });

  it("a regional gateway's address in another AZ that is not in expected-ips is an error naming the gateway", () => {
    // Each AZ's address is an egress IP; the one that is not expected is named, with the gateway (not only its
    // primary address: this used to throw).
    const a = analyzeTopology(
      snapshot({
        natGateways: [regional(['eu-west-1a', 'eu-west-1b'])],
        routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }),
      }),
      opts({ expectedIps: ['198.51.100.20'] }),
    );
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([
      {
        severity: 'error',
        check: 'addresses',
        az: 'regional',
        resource: 'nat-reg',
        message: 'regional NAT gateway nat-reg egresses from 198.51.100.21, which is not in expected-ips',
      },
    ]);
  });

  it('regional gateway (automatic) with expected-ips warns that AWS may change or add addresses', () => {
    const a = analyzeTopology(
      snapshot({
        natGateways: [regional(['eu-west-1a', 'eu-west-1b'], true)],
        routeTables: twoAzTables({ NatGatewayId: 'nat-reg' }),
      }),
      opts({ expectedIps: ['198.51.100.20', '198.51.100.21'] }),
    );
    expect(a.findings.filter((f) => f.severity !== 'info')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'addresses',
        message: expect.stringMatching(/automatic mode.*adds more under load.*expected-ips can go stale/),
      }),
    ]);
  });

  const eni = (status: 'attached' | 'detached', sdc = false) => ({
    NetworkInterfaceId: 'eni-fck',
    AvailabilityZone: 'eu-west-1a',
    SubnetId: 'subnet-pub',
    SourceDestCheck: sdc,
    TagSet: [{ Key: 'Name', Value: 'fck-nat-a' }],
    ...(status === 'attached'
      ? { Attachment: { InstanceId: 'i-asg1', Status: 'attached' as const, DeviceIndex: 0 } }
      : {}),
    Association: { PublicIp: '198.51.100.30', AllocationId: 'eipalloc-f' },
  });
  const asgInstance: Instance = {
    InstanceId: 'i-asg1',
    State: { Name: 'running' },
    Placement: { AvailabilityZone: 'eu-west-1a' },
    ImageId: 'ami-fck',
    SubnetId: 'subnet-pub',
  };
  const asgSnap = (status: 'attached' | 'detached', sdc = false) =>
    snapshot({
      natGateways: [],
      natInterfaces: [eni(status, sdc)],
      interfaceInstances: [asgInstance],
      addresses: [{ PublicIp: '198.51.100.30', AllocationId: 'eipalloc-f', NetworkInterfaceId: 'eni-fck' }],
      routeTables: [
        snapshot().routeTables[0]!,
        {
          RouteTableId: 'rtb-a',
          Associations: [{ SubnetId: 'subnet-a' }],
          Routes: [
            local,
            {
              DestinationCidrBlock: '0.0.0.0/0',
              NetworkInterfaceId: 'eni-fck',
              State: status === 'attached' ? 'active' : 'blackhole',
            },
          ],
        },
      ],
      subnets: [subnet('subnet-pub', 'eu-west-1a'), subnet('subnet-a', 'eu-west-1a')],
    });

  it('ENI-based NAT run by an Auto Scaling group: healthy when attached to a running instance with source/dest check off and the EIP on the interface', () => {
    const a = analyzeTopology(asgSnap('attached'), opts());
    expect(a.mode).toBe('instance');
    expect(a.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(a.nats.map(reportNat)).toEqual([
      expect.objectContaining({
        id: 'eni-fck',
        instanceId: 'i-asg1',
        attachment: 'attached',
        publicIp: '198.51.100.30',
        healthy: true,
      }),
    ]);
    expect(a.azs[0]?.egressIps).toEqual(['198.51.100.30']);
  });

  it('ENI-based NAT: "interface detached" is a clear error with the expected recovery time', () => {
    const a = analyzeTopology(asgSnap('detached'), opts());
    const nat = a.findings.filter((f) => f.check === 'nat' && f.severity === 'error');
    expect(nat).toEqual([
      expect.objectContaining({
        resource: 'eni-fck',
        message: expect.stringMatching(
          /NAT network interface eni-fck \(fck-nat-a\) is detached.*Auto Scaling group is replacing.*about 5 minutes.*wait: 10m/,
        ),
      }),
    ]);
  });

  it('ENI-based NAT with source/dest check on is an error naming the interface', () => {
    const a = analyzeTopology(asgSnap('attached', true), opts());
    expect(a.findings.find((f) => f.severity === 'error')?.message).toMatch(
      /NAT network interface eni-fck .* has source\/destination check enabled/,
    );
  });

  it("two-interface NAT instance: the routed interface's source/dest check is what matters", () => {
    const inst = (privateSdc: boolean): Instance => ({
      InstanceId: 'i-router',
      State: { Name: 'running' },
      Placement: { AvailabilityZone: 'eu-west-1a' },
      SubnetId: 'subnet-pub',
      SourceDestCheck: true,
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-pub', SourceDestCheck: true, Attachment: { DeviceIndex: 0 } },
        { NetworkInterfaceId: 'eni-priv', SourceDestCheck: privateSdc, Attachment: { DeviceIndex: 1 } },
      ],
      Tags: [{ Key: 'Name', Value: 'cabal-nat-a' }],
    });
    const snap = (privateSdc: boolean) =>
      snapshot({
        natGateways: [],
        natInstances: [inst(privateSdc)],
        addresses: [
          {
            PublicIp: '198.51.100.40',
            AllocationId: 'eipalloc-r',
            NetworkInterfaceId: 'eni-pub',
            InstanceId: 'i-router',
          },
        ],
        routeTables: [
          snapshot().routeTables[0]!,
          {
            RouteTableId: 'rtb-a',
            Associations: [{ SubnetId: 'subnet-a' }],
            Routes: [
              local,
              {
                DestinationCidrBlock: '0.0.0.0/0',
                NetworkInterfaceId: 'eni-priv',
                InstanceId: 'i-router',
                State: 'active',
              },
            ],
          },
        ],
        subnets: [subnet('subnet-pub', 'eu-west-1a'), subnet('subnet-a', 'eu-west-1a')],
      });
    expect(analyzeTopology(snap(false), opts()).findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(
      analyzeTopology(snap(true), opts())
        .findings.filter((f) => f.severity === 'error')
        .map((f) => f.message),
    ).toEqual([
      expect.stringMatching(
        /NAT instance i-router \(cabal-nat-a\): its routed interface eni-priv has source\/destination check enabled/,
      ),
    ]);
  });

  it('private NAT gateways are listed for information only', () => {
    const priv: NatGateway = {
      NatGatewayId: 'nat-priv',
      SubnetId: 'subnet-pub',
      State: 'available',
      ConnectivityType: 'private',
      NatGatewayAddresses: [{ PrivateIp: '10.0.0.9' }],
    };
    const a = analyzeTopology(snapshot({ natGateways: [...snapshot().natGateways, priv] }), opts());
    expect(a.findings.filter((f) => f.resource === 'nat-priv')).toEqual([
      expect.objectContaining({
        severity: 'info',
        message: expect.stringMatching(/Private NAT gateway nat-priv.*for information/),
      }),
    ]);
    expect(a.model.nats.map((n) => n.kind).sort()).toEqual(['private-gateway', 'zonal-gateway']);
  });
});
