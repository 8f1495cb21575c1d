/**
 * The rehearsal's data plane (support/dataplane.ts) on hand-made EC2 shapes, and its watch
 * (support/dataplane-watch.ts) against moto behind the proxy while a bridged switch and an in-place switch are
 * made by hand with plain EC2 calls. moto only (no terraform): seconds. Skipped with one line without moto_server,
 * except under CI=true or REHEARSAL_REQUIRED=1.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  AssociateAddressCommand,
  DeleteNatGatewayCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { cidrCovers, egressOf, egressReport, type EgressSample, type EgressSnapshot } from './support/dataplane';
import { EgressWatch } from './support/dataplane-watch';
import { buildVpc, launchNatInstance, startStandIn, type LabAz, type StandIn } from './support/stand-in';

const sg = (id: string, ingress: string[], egress: string[]) => ({
  GroupId: id,
  IpPermissions: ingress.map((c) => ({ IpProtocol: '-1', IpRanges: [{ CidrIp: c }] })),
  IpPermissionsEgress: egress.map((c) => ({ IpProtocol: '-1', IpRanges: [{ CidrIp: c }] })),
});

/** Two private subnets: a's table → a gateway, b's → a NAT instance's interface. */
function world(): EgressSnapshot {
  return {
    subnets: [
      { SubnetId: 'subnet-a', AvailabilityZone: 'us-east-1a', CidrBlock: '10.0.100.0/24', VpcId: 'vpc-1' },
      { SubnetId: 'subnet-b', AvailabilityZone: 'us-east-1b', CidrBlock: '10.0.101.0/24', VpcId: 'vpc-1' },
      { SubnetId: 'subnet-pub', AvailabilityZone: 'us-east-1a', CidrBlock: '10.0.0.0/24', VpcId: 'vpc-1' },
    ],
    routeTables: [
      {
        RouteTableId: 'rtb-a',
        VpcId: 'vpc-1',
        Associations: [{ SubnetId: 'subnet-a' }],
        Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-a' }],
      },
      {
        RouteTableId: 'rtb-b',
        VpcId: 'vpc-1',
        Associations: [{ SubnetId: 'subnet-b' }],
        Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b' }],
      },
      { RouteTableId: 'rtb-main', VpcId: 'vpc-1', Associations: [{ Main: true }], Routes: [] },
    ],
    natGateways: [{ NatGatewayId: 'nat-a', State: 'available', NatGatewayAddresses: [{ PublicIp: '198.51.100.1' }] }],
    interfaces: [
      {
        NetworkInterfaceId: 'eni-b',
        Attachment: { InstanceId: 'i-b', Status: 'attached', DeviceIndex: 0 },
        SourceDestCheck: false,
        Association: { PublicIp: '198.51.100.2' },
        Groups: [{ GroupId: 'sg-nat' }],
      },
    ],
    instances: [{ InstanceId: 'i-b', State: { Name: 'running' } }],
    securityGroups: [sg('sg-nat', ['10.0.0.0/16'], ['0.0.0.0/0'])],
  };
}

const TABLES = ['rtb-a', 'rtb-b'];
const brief = (s: EgressSnapshot) => egressOf(s, TABLES).map((x) => [x.subnetId, x.forwards, x.ip ?? x.why]);

describe('egressOf: does a private subnet forward, and from which IP', () => {
  test('a gateway available with its address, an instance running with source/dest check off, its address and rules', () => {
    expect(brief(world())).toEqual([
      ['subnet-a', true, '198.51.100.1'],
      ['subnet-b', true, '198.51.100.2'],
    ]);
  });

  test.each([
    [
      'the gateway deleting',
      (w: EgressSnapshot) => ((w.natGateways[0] as { State: string }).State = 'deleting'),
      'a',
      'nat-a deleting',
    ],
    ['the gateway gone', (w: EgressSnapshot) => (w.natGateways = []), 'a', 'nat-a not found'],
    [
      'the instance stopped',
      (w: EgressSnapshot) => (w.instances[0] = { InstanceId: 'i-b', State: { Name: 'stopped' } }),
      'b',
      'i-b stopped',
    ],
    [
      'source/dest check on',
      (w: EgressSnapshot) => ((w.interfaces[0] as { SourceDestCheck: boolean }).SourceDestCheck = true),
      'b',
      'eni-b has its source/destination check on',
    ],
    [
      'no Elastic IP on the interface',
      (w: EgressSnapshot) => delete (w.interfaces[0] as { Association?: unknown }).Association,
      'b',
      'eni-b has no public address',
    ],
    [
      'no ingress rule for the subnet',
      (w: EgressSnapshot) => (w.securityGroups = [sg('sg-nat', ['10.0.0.0/24'], ['0.0.0.0/0'])]),
      'b',
      'eni-b: no security group lets 10.0.101.0/24 in',
    ],
    [
      'no egress rule',
      (w: EgressSnapshot) => (w.securityGroups = [sg('sg-nat', ['10.0.0.0/16'], [])]),
      'b',
      'eni-b: no security group lets traffic out to 0.0.0.0/0',
    ],
    [
      'no default route',
      (w: EgressSnapshot) => ((w.routeTables[0] as { Routes: unknown[] }).Routes = []),
      'a',
      'no default route',
    ],
  ])('%s: no egress', (_name, change, subnet, why) => {
    const w = world();
    change(w);
    const x = egressOf(w, TABLES).find((e) => e.subnetId === `subnet-${subnet}`);
    expect({ forwards: x?.forwards, why: x?.why }).toEqual({ forwards: false, why });
  });

  test("a bridge: subnet a routed to the NAT instance of the other AZ leaves from that instance's IP", () => {
    const w = world();
    (w.routeTables[0] as { Routes: unknown[] }).Routes = [
      { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b' },
    ];
    expect(brief(w)[0]).toEqual(['subnet-a', true, '198.51.100.2']);
  });

  test('a subnet with no table of its own uses the main table; subnets of other tables are left out', () => {
    const w = world();
    w.routeTables[0] = { ...w.routeTables[0], Associations: [] };
    expect(egressOf(w, [...TABLES, 'rtb-main']).map((x) => [x.subnetId, x.routeTableId, x.why])).toEqual([
      ['subnet-a', 'rtb-main', 'no default route'],
      ['subnet-pub', 'rtb-main', 'no default route'],
      ['subnet-b', 'rtb-b', undefined],
    ]);
    expect(egressOf(w, TABLES).map((x) => x.subnetId)).toEqual(['subnet-b']);
  });

  test('cidrCovers', () => {
    expect([
      cidrCovers('10.0.0.0/16', '10.0.101.0/24'),
      cidrCovers('0.0.0.0/0', '10.0.0.0/8'),
      cidrCovers('10.0.0.0/24', '10.0.101.0/24'),
      cidrCovers('10.0.101.0/24', '10.0.0.0/16'),
      cidrCovers('bad', '10.0.0.0/16'),
    ]).toEqual([true, true, false, false, false]);
  });
});

describe('egressReport: per AZ over a series of samples', () => {
  const at = (t: number, a: [boolean, string?], b: [boolean, string?]): EgressSample => ({
    t,
    subnets: [
      { subnetId: 's-a', az: 'x-1a', routeTableId: 'r-a', forwards: a[0], ...(a[1] ? { ip: a[1] } : { why: 'down' }) },
      { subnetId: 's-b', az: 'x-1b', routeTableId: 'r-b', forwards: b[0], ...(b[1] ? { ip: b[1] } : { why: 'down' }) },
    ],
  });

  test('outages (longest, total), egress from outside the allow-list, the IPs each AZ used', () => {
    const samples = [
      at(1000, [true, '1.1.1.1'], [true, '2.2.2.2']),
      at(2000, [true, '2.2.2.2'], [true, '2.2.2.2']), // a bridged to b's NAT
      at(3000, [false], [true, '2.2.2.2']),
      at(3400, [true, '1.1.1.1'], [false]),
      at(3500, [true, '1.1.1.1'], [false]),
      at(5000, [true, '1.1.1.1'], [true, '9.9.9.9']), // b from an IP nobody allow-listed
      at(5250, [true, '1.1.1.1'], [true, '2.2.2.2']),
    ];
    const [a, b] = egressReport(samples, ['1.1.1.1', '2.2.2.2'], 6000);
    expect(a).toEqual({
      az: 'x-1a',
      subnets: ['s-a'],
      routeTableIds: ['r-a'],
      outages: [{ from: 3000, to: 3400, why: 'down' }],
      longestSeconds: 0.4,
      totalSeconds: 0.4,
      foreign: [],
      foreignSeconds: 0,
      ips: [
        { ip: '1.1.1.1', seconds: 3.6 },
        { ip: '2.2.2.2', seconds: 1 },
      ],
    });
    expect(b).toMatchObject({
      outages: [{ from: 3400, to: 5000 }],
      longestSeconds: 1.6,
      totalSeconds: 1.6,
      foreign: [{ from: 5000, to: 5250, ip: '9.9.9.9' }],
      foreignSeconds: 0.25,
    });
  });
});

let standIn: StandIn | undefined;
let skip = '';

beforeAll(async () => {
  const started = await startStandIn({ natDeleteMs: 400, authLingerMs: 0, gaps: 'all' });
  if ('skip' in started) {
    skip = started.skip;
    if (process.env.CI === 'true' || process.env.REHEARSAL_REQUIRED === '1') throw new Error(skip);
    console.log(`data-plane watch tests skipped: ${skip}`);
  } else standIn = started;
}, 60_000);

afterAll(async () => {
  await standIn?.stop();
});

async function released(s: StandIn, region: string, natGatewayId: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!s.proxy.events(region).some((e) => e.event === 'address-released' && e.natGatewayId === natGatewayId)) {
    if (Date.now() > end) throw new Error(`${natGatewayId}'s address was not released within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A gateway → instance switch of one AZ: bridged to `bridge` (another AZ's NAT), or not. */
async function switchAz(
  s: StandIn,
  ec2: EC2Client,
  region: string,
  vpc: Awaited<ReturnType<typeof buildVpc>>,
  az: LabAz,
  bridge?: string,
) {
  const route = (target: Record<string, string>) =>
    ec2.send(new ReplaceRouteCommand({ RouteTableId: az.routeTableId, DestinationCidrBlock: '0.0.0.0/0', ...target }));
  if (bridge) await route(bridge.startsWith('nat-') ? { NatGatewayId: bridge } : { NetworkInterfaceId: bridge });
  await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: az.natGatewayId }));
  await released(s, region, az.natGatewayId as string);
  const { id, eni } = await launchNatInstance(ec2, vpc, az.publicSubnetId);
  await ec2.send(new AssociateAddressCommand({ AllocationId: az.allocationId, InstanceId: id }));
  await route({ NetworkInterfaceId: eni });
  return { id, eni };
}

describe('EgressWatch: the data plane through moto and the proxy while NATs change', () => {
  test('a bridged switch keeps egress on allow-listed IPs; an in-place one is down from the deletion to the route change', async () => {
    if (!standIn) {
      expect(skip).not.toBe('');
      return;
    }
    const s = standIn;
    const region = 'ap-northeast-3';
    const ec2 = s.ec2(region);
    const vpc = await buildVpc(ec2, 2, 'gateway');
    const [a, b] = vpc.azs as [LabAz, LabAz];
    const watch = await EgressWatch.start(s.proxy, {
      region,
      vpcId: vpc.vpcId,
      routeTableIds: [a.routeTableId, b.routeTableId],
      allowedIps: [a.publicIp, b.publicIp],
      tickMs: 100,
    });
    expect(watch.current().map((x) => [x.az, x.forwards, x.ip])).toEqual([
      [a.az, true, a.publicIp],
      [b.az, true, b.publicIp],
    ]);
    await switchAz(s, ec2, region, vpc, a, b.natGatewayId); // bridged to b's gateway
    const since = Date.now();
    await switchAz(s, ec2, region, vpc, b); // in place
    // A NAT instance with a public IP of its own (not an Elastic IP): egress leaves from outside the allow-list.
    const rogue = await ec2.send(
      new RunInstancesCommand({
        ImageId: vpc.imageId,
        MinCount: 1,
        MaxCount: 1,
        NetworkInterfaces: [
          { DeviceIndex: 0, SubnetId: a.publicSubnetId, AssociatePublicIpAddress: true, Groups: [vpc.securityGroupId] },
        ],
      }),
    );
    const rogueId = rogue.Instances?.[0]?.InstanceId as string;
    const rogueEni = rogue.Instances?.[0]?.NetworkInterfaces?.[0]?.NetworkInterfaceId as string;
    await ec2.send(
      new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: rogueEni, SourceDestCheck: { Value: false } }),
    );
    await ec2.send(
      new ReplaceRouteCommand({
        RouteTableId: b.routeTableId,
        DestinationCidrBlock: '0.0.0.0/0',
        NetworkInterfaceId: rogueEni,
      }),
    );
    await ec2.send(new StopInstancesCommand({ InstanceIds: [rogueId] }));
    const report = await watch.stop();
    const [azA, azB] = report.azs;

    expect({ outages: azA?.outages, foreign: azA?.foreignSeconds }).toEqual({ outages: [], foreign: 0 });
    expect(azA?.ips.map((x) => x.ip).sort()).toEqual([a.publicIp, b.publicIp].sort()); // its own, and b's while bridged

    const calls = s.proxy.calls({ region }).filter((c) => c.start >= since);
    const deleted = calls.find((c) => c.action === 'DeleteNatGateway' && c.params.NatGatewayId === b.natGatewayId);
    const routed = calls.find((c) => c.action === 'ReplaceRoute' && c.params.RouteTableId === b.routeTableId);
    const stopped = calls.find((c) => c.action === 'StopInstances');
    // b is down from the gateway's deletion (dated at that call's answer) to its new route, then from the stop on.
    expect(azB?.outages.map((o) => [o.from, o.to, o.why])).toEqual([
      [deleted?.end, routed?.end, `${b.natGatewayId} deleting`],
      [stopped?.end, report.to, `${rogueId} stopped`],
    ]);
    expect(azB?.foreign.map((f) => f.ip)).toHaveLength(1);
    expect([a.publicIp, b.publicIp]).not.toContain(azB?.foreign[0]?.ip);
    expect(azB?.foreignSeconds).toBeGreaterThan(0);
    // Every change was seen after the call or event that made it, none first by a periodic read.
    // Each mutating call's answer waited for a read of what it changed; none gave up.
    const mutating = calls.filter((c) => !/^(Describe|Get|List)/.test(c.action)).length;
    expect({ missed: report.missed, unsettled: report.unsettled, held: report.holdMs.count >= mutating }).toEqual({
      missed: 0,
      unsettled: 0,
      held: true,
    });
  }, 60_000);
});
