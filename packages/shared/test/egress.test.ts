/**
 * End-to-end checks of the egress verifier against a simulated AWS account (aws-sdk-client-mock for EC2, SSM
 * and CloudWatch Logs). The simulation is a small consistent world: a probe's answer follows the routes and
 * the NAT's state (a blackhole or a source/dest-checked NAT times the request out), log groups hold events.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeAddressesAttributeCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetConsoleOutputCommand,
  type Address,
  type Filter,
  type Image,
  type Instance,
  type NatGateway,
  type NetworkInterface,
  type RouteTable,
  type Subnet,
  type Tag,
  type Vpc,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { VirtualClock, createProgress, type ProgressMessage } from '@nat-egress/shared/runtime';
import { globToRegExp } from '@nat-egress/shared/inputs';
import {
  buildReport,
  renderMarkdown,
  reportJson,
  reportNat,
  verifyEgress,
  type EgressClients,
  type VerifyOptions,
} from '@nat-egress/shared/egress';

const REGION = 'us-east-1';
const VPC_ID = 'vpc-0a1b2c3d4e5f60718';
const IGW = 'igw-0123456789abcdef0';
const GROUPS = ['/ecs/cabal-imap', '/ecs/cabal-smtp-in', '/ecs/cabal-smtp-out'];
const HEALTHY_BOOT = [
  '[  OK  ] Started nftables.service - Netfilter Tables.',
  'cloud-init[1201]: net.ipv4.ip_forward = 1',
  '[  OK  ] Reached target multi-user.target.',
].join('\n');

type ProbeBehaviour =
  | { kind: 'route' }
  | { kind: 'answer'; stdout: string }
  | { kind: 'fail'; code: number; stderr: string }
  | { kind: 'hang' }
  | { kind: 'undelivered' };

interface World {
  azs: string[];
  vpcs: Vpc[];
  subnets: Subnet[];
  routeTables: RouteTable[];
  natGateways: NatGateway[];
  instances: Instance[];
  addresses: Address[];
  ptr: Map<string, string>;
  images: Image[];
  endpoints: VpcEndpoint[];
  /** When set, every EC2 describe is cut into pages of this size (EC2 would only page when asked). */
  pageSize?: number;
  agents: Map<string, 'Online' | 'ConnectionLost'>;
  probes: Map<string, ProbeBehaviour>;
  logs: Map<string, number[]>;
  /** FilterLogEvents answers the first query of each search with an empty page and a token, as the service may. */
  logsEmptyFirstPage: boolean;
  console: Map<string, string>;
  eips: string[];
  /** Network interfaces (ENI-based NAT). */
  interfaces: NetworkInterface[];
}

const az = (i: number) => `${REGION}${'abcdef'[i]}`;
const eip = (i: number) => `203.0.113.${10 + i}`;
const natInstanceId = (i: number) => `i-0nat0000000000${i}0`;
const probeId = (i: number) => `i-0probe00000000${i}0`;

function tags(map: Record<string, string>): Tag[] {
  return Object.entries(map).map(([Key, Value]) => ({ Key, Value }));
}

function buildWorld(
  opts: { azs?: number; mode?: 'instance' | 'gateway'; extraPrivatePerAz?: number; clock?: VirtualClock } = {},
): World {
  const n = opts.azs ?? 2;
  const mode = opts.mode ?? 'instance';
  const w: World = {
    azs: [],
    vpcs: [{ VpcId: VPC_ID, CidrBlock: '10.0.0.0/16', Tags: tags({ Name: 'cabal-vpc' }) }],
    subnets: [],
    routeTables: [],
    natGateways: [],
    instances: [],
    addresses: [],
    ptr: new Map(),
    images: [
      {
        ImageId: 'ami-0good000000000000',
        Name: 'cabal-nat-al2023-20260101',
        Tags: tags({ Name: 'cabal-nat-al2023', Role: 'cabal-nat' }),
      },
    ],
    endpoints: [],
    agents: new Map(),
    probes: new Map(),
    logs: new Map(),
    logsEmptyFirstPage: false,
    console: new Map(),
    eips: [],
    interfaces: [],
  };
  w.routeTables.push({
    RouteTableId: 'rtb-main0000000000000',
    VpcId: VPC_ID,
    Associations: [{ Main: true, RouteTableAssociationId: 'rtbassoc-main', RouteTableId: 'rtb-main0000000000000' }],
    Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }],
  });
  const publicRt: RouteTable = {
    RouteTableId: 'rtb-public00000000000',
    VpcId: VPC_ID,
    Associations: [],
    Routes: [
      { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
      { DestinationCidrBlock: '0.0.0.0/0', GatewayId: IGW, State: 'active' },
    ],
    Tags: tags({ Name: 'cabal-public' }),
  };
  w.routeTables.push(publicRt);
  for (let i = 0; i < n; i++) {
    w.azs.push(az(i));
    const pub = `subnet-pub00000000000${i}`;
    const priv = `subnet-priv0000000000${i}`;
    w.subnets.push({ SubnetId: pub, VpcId: VPC_ID, AvailabilityZone: az(i), CidrBlock: `10.0.${i}.0/24` });
    w.subnets.push({ SubnetId: priv, VpcId: VPC_ID, AvailabilityZone: az(i), CidrBlock: `10.0.${100 + i}.0/24` });
    publicRt.Associations!.push({
      SubnetId: pub,
      RouteTableId: publicRt.RouteTableId,
      AssociationState: { State: 'associated' },
    });

    const alloc = `eipalloc-0000000000000000${i}`;
    const natEni = mode === 'instance' ? `eni-0nat000000000000${i}` : `eni-0natgw0000000000${i}`;
    w.addresses.push({
      PublicIp: eip(i),
      AllocationId: alloc,
      Domain: 'vpc',
      NetworkInterfaceId: natEni,
      AssociationId: `eipassoc-0${i}`,
      Tags: tags({ Name: `cabal-nat-eip-${i}` }),
      ...(mode === 'instance' ? { InstanceId: natInstanceId(i) } : {}),
    });
    w.ptr.set(alloc, 'smtp.example.com.');
    w.eips.push(eip(i));

    const defaultRoute =
      mode === 'instance'
        ? {
            DestinationCidrBlock: '0.0.0.0/0',
            InstanceId: natInstanceId(i),
            NetworkInterfaceId: natEni,
            State: 'active' as const,
          }
        : { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: `nat-0000000000000000${i}`, State: 'active' as const };
    const privateTables = [{ id: `rtb-priv0000000000000${i}`, subnet: priv }];
    for (let k = 0; k < (opts.extraPrivatePerAz ?? 0); k++) {
      const id = `subnet-x${i}-${k}`;
      w.subnets.push({ SubnetId: id, VpcId: VPC_ID, AvailabilityZone: az(i), CidrBlock: `10.${1 + i}.${k}.0/24` });
      privateTables.push({ id: `rtb-x${i}-${k}`, subnet: id });
    }
    for (const t of privateTables) {
      w.routeTables.push({
        RouteTableId: t.id,
        VpcId: VPC_ID,
        Associations: [{ SubnetId: t.subnet, RouteTableId: t.id, AssociationState: { State: 'associated' } }],
        Routes: [{ DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' }, { ...defaultRoute }],
        Tags: tags({ Name: `cabal-private-${i}` }),
      });
    }

    if (mode === 'instance') {
      w.instances.push({
        InstanceId: natInstanceId(i),
        ImageId: 'ami-0good000000000000',
        State: { Name: 'running', Code: 16 },
        Placement: { AvailabilityZone: az(i) },
        SubnetId: pub,
        VpcId: VPC_ID,
        SourceDestCheck: false,
        PublicIpAddress: eip(i),
        NetworkInterfaces: [{ NetworkInterfaceId: natEni, SourceDestCheck: false, Attachment: { DeviceIndex: 0 } }],
        Tags: tags({ Name: `cabal-nat-${i}` }),
      });
      w.console.set(natInstanceId(i), HEALTHY_BOOT);
    } else {
      w.natGateways.push({
        NatGatewayId: `nat-0000000000000000${i}`,
        VpcId: VPC_ID,
        SubnetId: pub,
        State: 'available',
        ConnectivityType: 'public',
        NatGatewayAddresses: [
          { AllocationId: alloc, PublicIp: eip(i), NetworkInterfaceId: natEni, IsPrimary: true, Status: 'succeeded' },
        ],
        Tags: tags({ Name: `cabal-nat-${i}` }),
      });
    }
    w.instances.push({
      InstanceId: probeId(i),
      State: { Name: 'running', Code: 16 },
      Placement: { AvailabilityZone: az(i) },
      SubnetId: priv,
      VpcId: VPC_ID,
      Tags: tags({ Name: `egress-probe-${i}`, Role: 'egress-probe' }),
    });
    w.agents.set(probeId(i), 'Online');
  }
  // An unrelated application instance that must not be taken for a NAT or a probe.
  w.instances.push({
    InstanceId: 'i-0app000000000000',
    State: { Name: 'running' },
    Placement: { AvailabilityZone: az(0) },
    SubnetId: 'subnet-priv00000000000',
    VpcId: VPC_ID,
    Tags: tags({ Name: 'cabal-imap' }),
  });
  const now = (opts.clock ?? new VirtualClock()).now();
  GROUPS.forEach((g, gi) => w.logs.set(g, everyMinuteUntil(now - 2 * 3_600_000, now - 20_000 - gi * 7_000)));
  return w;
}

function everyMinuteUntil(from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = to; t >= from; t -= 60_000) out.unshift(t);
  return out;
}

// ---- the simulated services -------------------------------------------------------------------------

function filterMatch(
  item: Record<string, unknown>,
  filters: Filter[] | undefined,
  fields: Record<string, (x: never) => unknown>,
): boolean {
  return (filters ?? []).every((f) => {
    const values = f.Values ?? [];
    let actual: unknown;
    if (f.Name?.startsWith('tag:')) {
      actual = ((item.Tags as Tag[] | undefined) ?? []).find((t) => t.Key === f.Name!.slice(4))?.Value;
    } else {
      const get = fields[f.Name ?? ''];
      if (!get) throw new Error(`simulated EC2: unsupported filter ${f.Name}`);
      actual = get(item as never);
    }
    return typeof actual === 'string' && values.some((v) => globToRegExp(v).test(actual as string));
  });
}

function page<T>(items: T[], token: string | undefined, size: number | undefined): { items: T[]; NextToken?: string } {
  const start = token ? Number(token) : 0;
  if (!size) return { items: items.slice(start) };
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { NextToken: String(end) } : {}) };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

function routeTableOf(w: World, subnetId: string): RouteTable | undefined {
  return (
    w.routeTables.find((rt) => rt.Associations?.some((a) => a.SubnetId === subnetId)) ??
    w.routeTables.find((rt) => rt.Associations?.some((a) => a.Main))
  );
}

/** What an HTTPS request from `subnetId` does given the current routes and NATs. */
function egressFrom(w: World, subnetId: string): ProbeBehaviour {
  const route = routeTableOf(w, subnetId)?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  if (!route)
    return {
      kind: 'fail',
      code: 7,
      stderr: 'curl: (7) Failed to connect to checkip.amazonaws.com port 443: Network is unreachable',
    };
  const timeout: ProbeBehaviour = {
    kind: 'fail',
    code: 28,
    stderr: 'curl: (28) Connection timed out after 20001 milliseconds',
  };
  if (route.State === 'blackhole') return timeout;
  if (route.NatGatewayId) {
    const gw = w.natGateways.find((g) => g.NatGatewayId === route.NatGatewayId);
    const ip = gw?.State === 'available' ? gw.NatGatewayAddresses?.[0]?.PublicIp : undefined;
    return ip ? { kind: 'answer', stdout: `${ip}\n` } : timeout;
  }
  const nat = w.instances.find(
    (i) =>
      i.InstanceId === route.InstanceId ||
      i.NetworkInterfaces?.some((n) => n.NetworkInterfaceId === route.NetworkInterfaceId),
  );
  const address = w.addresses.find((a) => a.InstanceId === nat?.InstanceId);
  if (!nat || nat.State?.Name !== 'running' || nat.SourceDestCheck !== false || !address) return timeout;
  return { kind: 'answer', stdout: `${address.PublicIp}\n` };
}

const mockEc2 = (c: EC2Client) => mockClient(c);
const mockSsm = (c: SSMClient) => mockClient(c);
const mockLogs = (c: CloudWatchLogsClient) => mockClient(c);

interface Sim {
  clients: EgressClients;
  ec2: ReturnType<typeof mockEc2>;
  ssm: ReturnType<typeof mockSsm>;
  logs: ReturnType<typeof mockLogs>;
}

function simulate(w: World): Sim {
  const clients: EgressClients = {
    ec2: new EC2Client({ region: REGION }),
    ssm: new SSMClient({ region: REGION }),
    logs: new CloudWatchLogsClient({ region: REGION }),
  };
  const ec2 = mockEc2(clients.ec2);
  const inVpc = { 'vpc-id': (x: { VpcId?: string }) => x.VpcId };
  const paged = <T>(items: T[], input: { NextToken?: string }) => page(items, input.NextToken, w.pageSize);
  ec2.on(DescribeVpcsCommand).callsFake((input) => {
    const p = paged(
      w.vpcs.filter((v) => filterMatch(v as never, input.Filters, inVpc)),
      input,
    );
    return { Vpcs: p.items, NextToken: p.NextToken };
  });
  ec2.on(DescribeSubnetsCommand).callsFake((input) => {
    const p = paged(
      w.subnets.filter((s) => filterMatch(s as never, input.Filters, inVpc)),
      input,
    );
    return { Subnets: p.items, NextToken: p.NextToken };
  });
  ec2.on(DescribeRouteTablesCommand).callsFake((input) => {
    const p = paged(
      w.routeTables.filter((s) => filterMatch(s as never, input.Filters, inVpc)),
      input,
    );
    return { RouteTables: structuredClone(p.items), NextToken: p.NextToken };
  });
  ec2.on(DescribeNatGatewaysCommand).callsFake((input) => {
    const p = paged(
      w.natGateways.filter((s) => filterMatch(s as never, input.Filter, inVpc)),
      input,
    );
    return { NatGateways: structuredClone(p.items), NextToken: p.NextToken };
  });
  ec2.on(DescribeInstancesCommand).callsFake((input) => {
    const fields = {
      ...inVpc,
      'instance-id': (x: Instance) => x.InstanceId,
      'instance-state-name': (x: Instance) => x.State?.Name,
    };
    const p = paged(
      w.instances.filter((s) => filterMatch(s as never, input.Filters, fields)),
      input,
    );
    return { Reservations: p.items.map((i) => ({ Instances: [structuredClone(i)] })), NextToken: p.NextToken };
  });
  ec2.on(DescribeAddressesCommand).callsFake((input) => ({
    Addresses: structuredClone(
      w.addresses.filter((a) => filterMatch(a as never, input.Filters, { domain: (x: Address) => x.Domain })),
    ),
  }));
  ec2.on(DescribeAddressesAttributeCommand).callsFake((input) => {
    const wanted = w.addresses.filter((a) => (input.AllocationIds ?? []).includes(a.AllocationId));
    const p = paged(wanted, input);
    return {
      Addresses: p.items.map((a) => ({
        AllocationId: a.AllocationId,
        PublicIp: a.PublicIp,
        PtrRecord: w.ptr.get(a.AllocationId!),
      })),
      NextToken: p.NextToken,
    };
  });
  ec2.on(DescribeImagesCommand).callsFake((input) => {
    const p = paged(
      w.images.filter((i) => filterMatch(i as never, input.Filters, { 'image-id': (x: Image) => x.ImageId })),
      input,
    );
    return { Images: p.items, NextToken: p.NextToken };
  });
  ec2.on(DescribeVpcEndpointsCommand).callsFake((input) => {
    const fields = { ...inVpc, 'vpc-endpoint-type': (x: VpcEndpoint) => x.VpcEndpointType };
    const p = paged(
      w.endpoints.filter((e) => filterMatch(e as never, input.Filters, fields)),
      input,
    );
    return { VpcEndpoints: p.items, NextToken: p.NextToken };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    const fields = { ...inVpc, 'network-interface-id': (x: NetworkInterface) => x.NetworkInterfaceId };
    const p = paged(
      w.interfaces.filter((e) => filterMatch(e as never, input.Filters, fields)),
      input,
    );
    return { NetworkInterfaces: structuredClone(p.items), NextToken: p.NextToken };
  });
  ec2.on(GetConsoleOutputCommand).callsFake((input) => {
    const text = w.console.get(input.InstanceId);
    return {
      InstanceId: input.InstanceId,
      ...(text !== undefined ? { Output: Buffer.from(text).toString('base64') } : {}),
    };
  });

  const ssm = mockSsm(clients.ssm);
  const commands = new Map<string, { instanceId: string; polls: number; behaviour: ProbeBehaviour }>();
  ssm.on(DescribeInstanceInformationCommand).callsFake((input) => {
    const ids = input.Filters?.find((f: { Key: string }) => f.Key === 'InstanceIds')?.Values ?? [];
    return {
      InstanceInformationList: ids
        .filter((id: string) => w.agents.has(id))
        .map((id: string) => ({
          InstanceId: id,
          PingStatus: w.agents.get(id),
          LastPingDateTime: new Date(Date.UTC(2026, 0, 1, 11, 0)),
        })),
    };
  });
  ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
    const id = input.InstanceIds![0]!;
    if (w.agents.get(id) !== 'Online')
      throw awsError('InvalidInstanceId', 'Instances not in a valid state for account');
    const probe = w.instances.find((i) => i.InstanceId === id)!;
    let behaviour = w.probes.get(id) ?? { kind: 'route' };
    if (behaviour.kind === 'route') behaviour = egressFrom(w, probe.SubnetId!);
    const commandId = `cmd-${commands.size + 1}`;
    commands.set(commandId, { instanceId: id, polls: 0, behaviour });
    return { Command: { CommandId: commandId, DocumentName: input.DocumentName, Status: 'Pending' } };
  });
  ssm.on(GetCommandInvocationCommand).callsFake((input) => {
    const cmd = commands.get(input.CommandId);
    if (!cmd) throw awsError('InvocationDoesNotExist', 'no such invocation');
    cmd.polls++;
    const b = cmd.behaviour;
    const base = { CommandId: input.CommandId, InstanceId: input.InstanceId };
    if (b.kind === 'undelivered') return { ...base, Status: 'Pending', StatusDetails: 'Pending' };
    if (cmd.polls === 1 || b.kind === 'hang') return { ...base, Status: 'InProgress', StatusDetails: 'InProgress' };
    if (b.kind === 'answer')
      return {
        ...base,
        Status: 'Success',
        StatusDetails: 'Success',
        ResponseCode: 0,
        StandardOutputContent: b.stdout,
        StandardErrorContent: '',
      };
    if (b.kind === 'fail')
      return {
        ...base,
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: b.code,
        StandardOutputContent: '',
        StandardErrorContent: b.stderr,
      };
    throw new Error('unreachable');
  });

  const logs = mockLogs(clients.logs);
  const searched = new Set<string>();
  logs.on(FilterLogEventsCommand).callsFake((input: FilterLogEventsCommandInput) => {
    const events = w.logs.get(input.logGroupName ?? '');
    if (!events) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    const key = `${input.logGroupName}:${input.startTime}:${input.endTime}`;
    if (w.logsEmptyFirstPage && !input.nextToken && !searched.has(key)) {
      searched.add(key);
      return { events: [], nextToken: 'scan-0' };
    }
    const inRange = events.filter((t) => t >= (input.startTime ?? 0) && t <= (input.endTime ?? Infinity));
    const start = input.nextToken && input.nextToken !== 'scan-0' ? Number(input.nextToken) : 0;
    const limit = input.limit ?? 10_000;
    const slice = inRange.slice(start, start + limit);
    return {
      events: slice.map((t, i) => ({ timestamp: t, message: `event ${start + i}`, logStreamName: 'ecs/task' })),
      ...(start + limit < inRange.length ? { nextToken: String(start + limit) } : {}),
    };
  });
  return { clients, ec2, ssm, logs };
}

function options(w: World, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    region: REGION,
    vpcId: VPC_ID,
    mode: 'auto',
    natNamePattern: 'cabal-nat-*',
    expectedIps: [...w.eips],
    probe: 'auto',
    probeInstanceIds: [],
    probeTag: { key: 'Role', value: 'egress-probe' },
    probeUrl: 'https://checkip.amazonaws.com',
    logGroups: [...GROUPS],
    maxLogSilenceMs: 15 * 60_000,
    expectQuiesced: false,
    waitMs: 0,
    failOn: 'error',
    ...over,
  };
}

let clock: VirtualClock;
beforeEach(() => {
  clock = new VirtualClock();
});

async function run(w: World, over: Partial<VerifyOptions> = {}) {
  const sim = simulate(w);
  const lines: string[] = [];
  const result = await verifyEgress(sim.clients, clock, options(w, over), (l) => lines.push(l));
  const report = buildReport(result);
  const md = renderMarkdown(report);
  const errors = result.findings.filter((f) => f.severity === 'error');
  const warnings = result.findings.filter((f) => f.severity === 'warning');
  return { sim, result, report, md, errors, warnings, lines };
}

const ec2CallCount = (sim: Sim) => sim.ec2.calls().length;

// ---- scenarios --------------------------------------------------------------------------------------

describe('healthy topologies', () => {
  it.each([
    [2, 'instance'],
    [3, 'instance'],
    [2, 'gateway'],
    [3, 'gateway'],
  ] as const)('%i AZs in %s mode: healthy, per-AZ egress IPs, no errors or warnings', async (n, mode) => {
    const w = buildWorld({ azs: n, mode, clock });
    const built = clock.now();
    const { result, report, md, errors, warnings } = await run(w);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(result.healthy).toBe(true);
    expect(result.analysis.mode).toBe(mode);
    expect(result.analysis.modeSource).toBe('detected');
    expect(report.azs.map((a) => a.az).sort()).toEqual(w.azs);
    expect(report.azs.every((a) => a.verdict === 'ok' && a.probe?.status === 'ok')).toBe(true);
    expect(report.egressIps).toEqual(Object.fromEntries(w.azs.map((a, i) => [a, eip(i)])));
    expect(report.addresses.every((a) => a.ptr === 'smtp.example.com.')).toBe(true);
    expect(result.logs.map((l) => l.status)).toEqual(['fresh', 'fresh', 'fresh']);
    // Newest event found by reading events, to the second.
    expect(result.logs[0]!.newest).toBe(built - 20_000);
    expect(result.diagnosis).toEqual([]);
    expect(report.advice).toBeUndefined();
    expect(md).toContain('egress healthy');
    expect(md).toContain('| AZ | Verdict | NAT |');
    expect(md).toContain(`\`${eip(0)}\` (\`smtp.example.com.\`)`);
  });

  it('looks the VPC up by Name tag and uses probe-instances ids instead of a tag', async () => {
    const w = buildWorld({ clock });
    const { result, sim } = await run(w, {
      vpcId: undefined,
      vpcName: 'cabal-vpc',
      probeTag: undefined,
      probeInstanceIds: [probeId(0), probeId(1)],
    });
    expect(result.healthy).toBe(true);
    expect(result.probes.map((p) => p.instanceId).sort()).toEqual([probeId(0), probeId(1)]);
    expect(sim.ec2.commandCalls(DescribeVpcsCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: 'tag:Name', Values: ['cabal-vpc'] },
    ]);
  });

  it('fails clearly when the VPC does not exist or the name is ambiguous', async () => {
    const w = buildWorld({ clock });
    await expect(run(w, { vpcId: 'vpc-0000000000000dead' })).rejects.toThrow(
      'VPC vpc-0000000000000dead not found in us-east-1',
    );
    w.vpcs.push({ VpcId: 'vpc-0ffffffffffffffff', Tags: tags({ Name: 'cabal-vpc' }) });
    await expect(run(w, { vpcId: undefined, vpcName: 'cabal-vpc' })).rejects.toThrow(
      /ambiguous.*vpc-0a1b2c3d4e5f60718, vpc-0ffffffffffffffff/,
    );
  });
});

describe('route failures', () => {
  it('a blackhole default route is an error for its AZ, and the probe there cannot get out', async () => {
    const w = buildWorld({ azs: 3, clock });
    const rt = w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000001')!;
    rt.Routes![1]!.State = 'blackhole';
    const { result, report, errors } = await run(w);
    expect(result.healthy).toBe(false);
    expect(
      errors.some((f) => f.check === 'routes' && f.resource === rt.RouteTableId && /blackhole/.test(f.message)),
    ).toBe(true);
    expect(errors.some((f) => f.check === 'probe' && f.az === az(1) && /timed out/.test(f.message))).toBe(true);
    // Failing AZ first in the table.
    expect(report.azs[0]!.az).toBe(az(1));
    expect(report.azs[0]!.verdict).toBe('error');
    expect(report.azs.slice(1).every((a) => a.verdict === 'ok')).toBe(true);
  });

  it('a private subnet without a default route is an error naming the subnet', async () => {
    const w = buildWorld({ clock });
    const rt = w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000000')!;
    rt.Routes = rt.Routes!.filter((r) => r.DestinationCidrBlock !== '0.0.0.0/0');
    const { errors, result } = await run(w);
    expect(result.healthy).toBe(false);
    const f = errors.find((e) => e.check === 'routes')!;
    expect(f.message).toMatch(/has no 0\.0\.0\.0\/0 route: subnets subnet-priv00000000000 have no internet egress/);
    expect(f.az).toBe(az(0));
  });

  it('a route to the NAT of another AZ is a cross-AZ warning; fail-on: warning makes it unhealthy', async () => {
    const w = buildWorld({ clock });
    const rt = w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000001')!;
    rt.Routes![1] = {
      DestinationCidrBlock: '0.0.0.0/0',
      InstanceId: natInstanceId(0),
      NetworkInterfaceId: 'eni-0nat0000000000000',
      State: 'active',
    };
    const first = await run(w);
    expect(first.errors).toEqual([]);
    expect(first.result.healthy).toBe(true);
    expect(first.warnings.some((f) => f.check === 'routes' && /cross-AZ/.test(f.message) && f.az === az(1))).toBe(true);
    // The probe in AZ b answers AZ a's EIP, which is what its route says: not an error.
    expect(first.result.probes.find((p) => p.az === az(1))).toMatchObject({
      status: 'ok',
      observedIp: eip(0),
      expectedIp: eip(0),
    });
    // The NAT in AZ b now serves nothing.
    expect(first.warnings.some((f) => f.resource === natInstanceId(1) && /not the default route/.test(f.message))).toBe(
      true,
    );
    const strict = await run(w, { failOn: 'warning' });
    expect(strict.result.healthy).toBe(false);
  });

  it('one NAT gateway for all AZs is a single point of failure (warning)', async () => {
    const w = buildWorld({ azs: 3, mode: 'gateway', clock });
    w.natGateways.splice(1);
    for (const rt of w.routeTables.filter((r) => r.RouteTableId!.startsWith('rtb-priv')))
      rt.Routes![1] = { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-00000000000000000', State: 'active' };
    const { warnings, errors, report } = await run(w, { expectedIps: [eip(0)] });
    expect(errors).toEqual([]);
    expect(warnings.find((f) => /single point of failure/.test(f.message))?.message).toMatch(
      /serves 3 AZs \(us-east-1a, us-east-1b, us-east-1c\)/,
    );
    expect(warnings.filter((f) => /cross-AZ/.test(f.message))).toHaveLength(2);
    expect(report.egressIps).toEqual({ [az(0)]: eip(0), [az(1)]: eip(0), [az(2)]: eip(0) });
  });
});

describe('NAT health', () => {
  it('source/dest check left on is an error, and the data plane agrees', async () => {
    const w = buildWorld({ clock });
    const nat = w.instances.find((i) => i.InstanceId === natInstanceId(0))!;
    nat.SourceDestCheck = true;
    nat.NetworkInterfaces![0]!.SourceDestCheck = true;
    const { errors, result } = await run(w);
    expect(
      errors.some(
        (f) =>
          f.check === 'nat' && f.resource === natInstanceId(0) && /source\/destination check enabled/.test(f.message),
      ),
    ).toBe(true);
    expect(result.probes.find((p) => p.az === az(0))?.status).toBe('failed');
    // Instance mode + failed probe → console diagnosis ran on each NAT.
    expect(result.diagnosis.map((d) => d.instanceId).sort()).toEqual([natInstanceId(0), natInstanceId(1)]);
  });

  it('a NAT instance without an Elastic IP (the cutover race) is an error, and its EIP is missing from the NAT set', async () => {
    const w = buildWorld({ clock });
    const address = w.addresses.find((a) => a.InstanceId === natInstanceId(1))!;
    delete address.InstanceId;
    delete address.NetworkInterfaceId;
    delete address.AssociationId;
    delete w.instances.find((i) => i.InstanceId === natInstanceId(1))!.PublicIpAddress;
    const { errors, report } = await run(w);
    expect(
      errors.some(
        (f) => f.check === 'nat' && f.resource === natInstanceId(1) && /no Elastic IP associated/.test(f.message),
      ),
    ).toBe(true);
    expect(
      errors.some(
        (f) => f.check === 'addresses' && f.resource === eip(1) && /allocated but not associated/.test(f.message),
      ),
    ).toBe(true);
    expect(report.egressIps[az(1)]).toBeNull();
  });

  it('a NAT gateway that is pending or failed is an error with its failure message', async () => {
    const w = buildWorld({ mode: 'gateway', clock });
    w.natGateways[1]!.State = 'failed';
    w.natGateways[1]!.FailureMessage = 'Elastic IP address eipalloc-01 is already associated';
    const { errors } = await run(w);
    expect(
      errors.some(
        (f) => f.check === 'nat' && /is failed: Elastic IP address eipalloc-01 is already associated/.test(f.message),
      ),
    ).toBe(true);
    expect(errors.some((f) => f.check === 'routes' && /which is failed/.test(f.message))).toBe(true);
  });

  it('a NAT instance from an AMI without the Role tag is an error', async () => {
    const w = buildWorld({ clock });
    w.images[0]!.Tags = tags({ Name: 'cabal-nat-al2023' });
    const { errors } = await run(w);
    expect(
      errors.filter((f) => /has no Role tag: its Image Builder test stage did not pass/.test(f.message)),
    ).toHaveLength(2);
  });
});

describe('addresses', () => {
  it('EIP set different from expected-ips: both directions are errors', async () => {
    const w = buildWorld({ clock });
    const { errors, result } = await run(w, { expectedIps: [eip(0), '198.51.100.7'] });
    expect(result.healthy).toBe(false);
    expect(errors.map((f) => f.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Expected egress IP 198\.51\.100\.7 is not on any NAT and is no longer allocated/),
        expect.stringMatching(
          new RegExp(`egresses from ${eip(1).replace(/\./g, '\\.')}, which is not in expected-ips`),
        ),
      ]),
    );
  });

  it('reports the PTR of each EIP from DescribeAddressesAttribute in one batched call', async () => {
    const w = buildWorld({ azs: 3, clock });
    w.ptr.set('eipalloc-00000000000000002', 'mail.example.org.');
    const { sim, report } = await run(w);
    const calls = sim.ec2.commandCalls(DescribeAddressesAttributeCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({
      Attribute: 'domain-name',
      AllocationIds: ['eipalloc-00000000000000000', 'eipalloc-00000000000000001', 'eipalloc-00000000000000002'],
    });
    expect(report.azs.find((a) => a.az === az(2))?.eips).toEqual([{ ip: eip(2), ptr: 'mail.example.org.' }]);
  });
});

describe('data-plane probes', () => {
  it('a probe answering the wrong IP is an error, and instance mode reads the NAT console output', async () => {
    const w = buildWorld({ clock });
    w.probes.set(probeId(0), { kind: 'answer', stdout: '192.0.2.55\n' });
    const { errors, result, sim, report } = await run(w);
    const f = errors.find((e) => e.check === 'probe')!;
    expect(f.message).toMatch(/left via 192\.0\.2\.55, expected 203\.0\.113\.10.*not a NAT Elastic IP/);
    expect(sim.ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([{ InstanceId: natInstanceId(0), Latest: true }]),
    );
    expect(result.diagnosis.every((d) => d.problems.length === 0)).toBe(true);
    expect(report.advice?.rollback).toMatch(/gateway mode/);
  });

  it('ENI-based NAT run by an Auto Scaling group: found from the routes, healthy, and console output is read from the instance behind the interface', async () => {
    const w = buildWorld({ clock });
    w.instances
      .filter((i) => i.InstanceId?.startsWith('i-0nat'))
      .forEach((inst, i) => {
        inst.Tags = tags({ Name: `fck-nat-${i}` }); // launched by the group: not named like the NAT pattern
        w.interfaces.push({
          NetworkInterfaceId: `eni-0nat000000000000${i}`,
          VpcId: VPC_ID,
          AvailabilityZone: az(i),
          SubnetId: `subnet-pub00000000000${i}`,
          SourceDestCheck: false,
          Attachment: { InstanceId: inst.InstanceId, Status: 'attached', DeviceIndex: 0 },
          Association: { PublicIp: eip(i), AllocationId: `eipalloc-0000000000000000${i}` },
        });
      });
    const healthy = await run(w);
    expect(healthy.errors).toEqual([]);
    expect(healthy.result.analysis.nats.map(reportNat).map((n) => [n.id, n.instanceId, n.healthy])).toEqual([
      ['eni-0nat0000000000000', natInstanceId(0), true],
      ['eni-0nat0000000000001', natInstanceId(1), true],
    ]);
    expect(healthy.sim.ec2.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(1);
    w.probes.set(probeId(0), { kind: 'answer', stdout: '192.0.2.55\n' });
    const broken = await run(w);
    expect(broken.sim.ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([{ InstanceId: natInstanceId(0), Latest: true }]),
    );
  });

  it('a probe that never answers times out within its bound, while the other AZs still report', async () => {
    const w = buildWorld({ azs: 3, clock });
    w.probes.set(probeId(2), { kind: 'hang' });
    const started = clock.now();
    const { result, errors } = await run(w, { probeTimeoutMs: 30_000 });
    const p = result.probes.find((x) => x.az === az(2))!;
    expect(p.status).toBe('timeout');
    expect(p.elapsedMs).toBeGreaterThanOrEqual(30_000);
    expect(clock.now() - started).toBeLessThan(3 * 30_000 + 10_000);
    expect(
      errors.some(
        (f) => f.check === 'probe' && /no answer from https:\/\/checkip\.amazonaws\.com\/? within 30s/.test(f.message),
      ),
    ).toBe(true);
    expect(result.probes.filter((x) => x.status === 'ok')).toHaveLength(2);
  });

  it('SSM not reachable is a warning (not broken egress) and says the VPC has no SSM interface endpoints', async () => {
    const w = buildWorld({ clock });
    w.agents.set(probeId(0), 'ConnectionLost');
    w.probes.set(probeId(1), { kind: 'undelivered' });
    const { result, errors, warnings, sim } = await run(w, { probeTimeoutMs: 20_000 });
    expect(errors).toEqual([]);
    expect(result.probes.map((p) => p.status)).toEqual(['unreachable', 'unreachable']);
    const w0 = warnings.find((f) => f.resource === probeId(0))!;
    expect(w0.message).toMatch(/SSM agent is ConnectionLost/);
    expect(w0.message).toMatch(
      /no ssm\/ec2messages\/ssmmessages interface endpoints: the agent reaches SSM through the NAT/,
    );
    expect(warnings.find((f) => f.resource === probeId(1))!.message).toMatch(/not delivered within 20s/);
    // The offline agent was not sent a command at all.
    expect(sim.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([[probeId(1)]]);
  });

  it('with SSM interface endpoints an unreachable agent is blamed on the agent, not the NAT', async () => {
    const w = buildWorld({ clock });
    for (const svc of ['ssm', 'ec2messages', 'ssmmessages']) {
      w.endpoints.push({
        VpcEndpointId: `vpce-${svc}`,
        VpcId: VPC_ID,
        VpcEndpointType: 'Interface',
        ServiceName: `com.amazonaws.${REGION}.${svc}`,
        State: 'Available',
      });
    }
    w.agents.delete(probeId(1));
    const { warnings } = await run(w);
    const f = warnings.find((x) => x.resource === probeId(1))!;
    expect(f.message).toMatch(/not registered with SSM/);
    expect(f.message).toMatch(
      /has ssm, ec2messages and ssmmessages interface endpoints, so the agent does not depend on the NAT/,
    );
  });

  it('runs one SendCommand per AZ with a time-bounded, quoted script', async () => {
    const w = buildWorld({ clock });
    const { sim } = await run(w, { probeUrl: "https://echo.example.net/ip?x='1'" });
    const sent = sim.ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ DocumentName: 'AWS-RunShellScript', Parameters: { executionTimeout: ['60'] } });
    const script = sent[0]!.Parameters!.commands!.join('\n');
    expect(script).toContain(`url='https://echo.example.net/ip?x='\\''1'\\'''`);
    expect(script).toContain('curl -sS --fail --max-time 20 "$url"');
  });

  it('probe: off never calls SSM; a probe instance in a public subnet is not used', async () => {
    const w = buildWorld({ clock });
    const off = await run(w, { probe: 'off' });
    expect(off.sim.ssm.calls()).toHaveLength(0);
    expect(off.result.probeSkipped).toBe('probe: off');
    w.instances.find((i) => i.InstanceId === probeId(0))!.SubnetId = 'subnet-pub000000000000';
    const { warnings, result } = await run(w);
    expect(warnings.some((f) => f.resource === probeId(0) && /public subnet/.test(f.message))).toBe(true);
    expect(result.probes.map((p) => p.az)).toEqual([az(1)]);
  });
});

describe('log freshness and diagnosis', () => {
  it('all log groups silent since the same minute is an error: shared NAT egress failure', async () => {
    const w = buildWorld({ azs: 3, clock });
    const stop = clock.now() - 42 * 60_000;
    GROUPS.forEach((g, i) => w.logs.set(g, everyMinuteUntil(stop - 3 * 3_600_000, stop - i * 11_000)));
    const { errors, result, report, md } = await run(w, { probe: 'off' });
    const f = errors.find((e) => e.check === 'logs')!;
    expect(f.message).toMatch(/All 3 log groups went silent at about the same moment \(2026-01-01T11:17Z/);
    expect(f.message).toMatch(/shared NAT egress failure/);
    expect(result.logs.map((l) => l.status)).toEqual(['silent', 'silent', 'silent']);
    expect(result.logs[0]!.newest).toBe(stop);
    expect(result.logs[2]!.newest).toBe(stop - 22_000);
    expect(report.advice).toBeDefined();
    expect(md).toContain('### Log freshness');
  });

  it('one silent group alone is a warning, and events are read even when the service pages through empty results', async () => {
    const w = buildWorld({ clock });
    w.logsEmptyFirstPage = true;
    w.logs.set(GROUPS[1]!, everyMinuteUntil(clock.now() - 5 * 3_600_000, clock.now() - 3 * 3_600_000));
    const { warnings, errors, result } = await run(w, { probe: 'off' });
    expect(errors).toEqual([]);
    expect(warnings.map((f) => f.message)).toEqual([
      expect.stringMatching(/\/ecs\/cabal-smtp-in has been silent for 3h \(max-log-silence 15m/),
    ]);
    expect(result.logs[1]!.newest).toBe(w.logs.get(GROUPS[1]!)!.at(-1));
    expect(result.logs[0]!.status).toBe('fresh');
  });

  it('a missing log group is a warning', async () => {
    const w = buildWorld({ clock });
    const { warnings } = await run(w, { logGroups: ['/ecs/cabal-imap', '/ecs/nope'], probe: 'off' });
    expect(warnings.map((f) => f.message)).toEqual(['Log group /ecs/nope: log group not found']);
  });

  it('console output showing nftables.service missing is an error with the runbook mitigation and rollback', async () => {
    const w = buildWorld({ clock });
    w.probes.set(probeId(0), {
      kind: 'fail',
      code: 28,
      stderr: 'curl: (28) Connection timed out after 20001 milliseconds',
    });
    w.console.set(
      natInstanceId(0),
      [
        '[   12.1] cloud-init[1201]: net.ipv4.ip_forward = 1',
        '\u001b[0;1;31mFailed to enable unit: Unit file nftables.service does not exist.\u001b[0m',
        '[   13.0] login: ',
      ].join('\n'),
    );
    const { errors, report, md, result } = await run(w);
    const diag = errors.find((f) => f.check === 'diagnosis')!;
    expect(diag.resource).toBe(natInstanceId(0));
    expect(diag.message).toMatch(
      /nftables is not installed: the AMI bake is bad and the instance forwards without SNAT/,
    );
    expect(diag.message).toContain('Unit file nftables.service does not exist');
    expect(result.diagnosis.find((d) => d.instanceId === natInstanceId(1))?.problems).toEqual([]);
    expect(report.advice?.natInstances).toEqual([natInstanceId(0), natInstanceId(1)]);
    expect(md).toContain('sudo nft -f /etc/nftables/cabal-nat.nft');
    expect(md).toContain('**Rollback lever:**');
    expect(md).toMatch(/TF\\_VAR\\_USE\\_NAT\\_INSTANCE = false/);
    // Errors come before warnings and notes.
    const order = result.findings.map((f) => f.severity);
    expect(order).toEqual(
      [...order].sort((a, b) => ['error', 'warning', 'info'].indexOf(a) - ['error', 'warning', 'info'].indexOf(b)),
    );
  });

  it('gateway mode never reads console output', async () => {
    const w = buildWorld({ mode: 'gateway', clock });
    w.probes.set(probeId(0), { kind: 'answer', stdout: '192.0.2.55' });
    const { sim, result } = await run(w);
    expect(result.healthy).toBe(false);
    expect(sim.ec2.commandCalls(GetConsoleOutputCommand)).toHaveLength(0);
  });
});

describe('quiesce', () => {
  function quiesce(w: World) {
    w.instances = w.instances.filter((i) => !i.InstanceId!.startsWith('i-0nat'));
    w.natGateways = [];
    for (const a of w.addresses) {
      delete a.InstanceId;
      delete a.NetworkInterfaceId;
      delete a.AssociationId;
    }
    for (const rt of w.routeTables)
      if (rt.RouteTableId!.startsWith('rtb-priv'))
        rt.Routes = rt.Routes!.filter((r) => r.DestinationCidrBlock !== '0.0.0.0/0');
  }

  it('no NAT and no private default route is healthy when quiesced; probes and logs are skipped', async () => {
    const w = buildWorld({ clock });
    quiesce(w);
    const { result, sim, errors, md } = await run(w, { expectQuiesced: true });
    expect(errors).toEqual([]);
    expect(result.healthy).toBe(true);
    expect(result.analysis.quiesced).toBe(true);
    expect(sim.logs.calls()).toHaveLength(0);
    expect(sim.ssm.calls()).toHaveLength(0);
    expect(md).toContain('quiesced as expected');
  });

  it('quiesced expected but a NAT and a default route remain: errors', async () => {
    const w = buildWorld({ clock });
    quiesce(w);
    w.natGateways.push({
      NatGatewayId: 'nat-0leftover000000000',
      VpcId: VPC_ID,
      SubnetId: 'subnet-pub000000000000',
      State: 'available',
      NatGatewayAddresses: [{ PublicIp: eip(0), AllocationId: 'eipalloc-00000000000000000' }],
    });
    w.routeTables
      .find((r) => r.RouteTableId === 'rtb-priv00000000000001')!
      .Routes!.push({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0leftover000000000', State: 'active' });
    const { errors, result } = await run(w, { expectQuiesced: true });
    expect(result.healthy).toBe(false);
    expect(errors.map((f) => f.message)).toEqual([
      'expect-quiesced is true but NAT gateway nat-0leftover000000000 is available',
      'expect-quiesced is true but private route table rtb-priv00000000000001 still has 0.0.0.0/0 → nat-0leftover000000000',
    ]);
  });

  it('without expect-quiesced, a quiesced VPC is an error that points at the input', async () => {
    const w = buildWorld({ clock });
    quiesce(w);
    const { errors } = await run(w);
    expect(errors[0]!.message).toMatch(/No NAT found .*set expect-quiesced: true/);
  });
});

describe('wait', () => {
  it('re-checks on the clock until healthy: healthy on the third check', async () => {
    const w = buildWorld({ clock });
    const rt = w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000000')!;
    rt.Routes![1]!.State = 'blackhole';
    let checks = 0;
    const sim = simulate(w);
    sim.ec2.on(DescribeRouteTablesCommand).callsFake(() => {
      checks++;
      if (checks === 3) rt.Routes![1]!.State = 'active';
      return { RouteTables: structuredClone(w.routeTables) };
    });
    const lines: string[] = [];
    const started = clock.now();
    const result = await verifyEgress(sim.clients, clock, options(w, { waitMs: 10 * 60_000, recheckMs: 30_000 }), (l) =>
      lines.push(l),
    );
    expect(result.healthy).toBe(true);
    expect(result.attempts).toBe(3);
    expect(clock.sleeps.filter((s) => s === 30_000)).toHaveLength(2);
    expect(clock.now() - started).toBeLessThan(10 * 60_000);
    expect(lines.filter((l) => l.startsWith('check '))).toEqual([
      expect.stringMatching(/^check 1: not healthy/),
      expect.stringMatching(/^check 2: not healthy/),
      'check 3: healthy (0 error(s), 0 warning(s))',
    ]);
  });

  it('gives up after wait and reports the last result', async () => {
    const w = buildWorld({ clock });
    w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000000')!.Routes![1]!.State = 'blackhole';
    const started = clock.now();
    const { result } = await run(w, { waitMs: 95_000, recheckMs: 30_000, probe: 'off', logGroups: [] });
    expect(result.healthy).toBe(false);
    // Checks at 0, 30, 60, 90 and 94 s: the wait is a hard deadline, so the last re-check starts early enough
    // (1 s at least) to finish inside it.
    expect(result.attempts).toBe(5);
    expect(clock.now() - started).toBe(94_000);
  });
});

describe('batching and pagination', () => {
  it('follows every NextToken and still sees the whole topology', async () => {
    const w = buildWorld({ azs: 3, clock });
    w.pageSize = 1;
    const { result, sim } = await run(w);
    expect(result.healthy).toBe(true);
    expect(result.analysis.routeTables).toHaveLength(3);
    expect(result.analysis.nats).toHaveLength(3);
    expect(result.probes).toHaveLength(3);
    expect(sim.ec2.commandCalls(DescribeRouteTablesCommand).length).toBe(w.routeTables.length);
    expect(result.ec2Calls.DescribeSubnets).toBe(w.subnets.length);
  });

  it('makes the same EC2 calls for 3 and 300 private route tables, all filtered by the VPC', async () => {
    const small = buildWorld({ azs: 3, clock });
    const large = buildWorld({ azs: 3, extraPrivatePerAz: 99, clock });
    const a = await run(small);
    const b = await run(large);
    expect(b.result.analysis.routeTables).toHaveLength(300);
    expect(a.result.healthy && b.result.healthy).toBe(true);
    expect(ec2CallCount(b.sim)).toBe(ec2CallCount(a.sim));
    expect(b.result.ec2Calls).toEqual(a.result.ec2Calls);
    for (const cmd of [
      DescribeSubnetsCommand,
      DescribeRouteTablesCommand,
      DescribeInstancesCommand,
      DescribeVpcEndpointsCommand,
    ] as const) {
      for (const call of b.sim.ec2.commandCalls(cmd as typeof DescribeSubnetsCommand)) {
        expect(call.args[0].input.Filters).toEqual(expect.arrayContaining([{ Name: 'vpc-id', Values: [VPC_ID] }]));
      }
    }
    expect(b.sim.ec2.commandCalls(DescribeNatGatewaysCommand)[0]!.args[0].input.Filter).toEqual([
      { Name: 'vpc-id', Values: [VPC_ID] },
    ]);
    // The job summary lists a few route tables per AZ, not 100.
    expect(b.md).toContain('… 95 more');
    expect(Buffer.byteLength(reportJson(b.report))).toBeLessThan(256_000);
  });
});

describe('report safety', () => {
  it('AWS-supplied names cannot inject markdown, HTML or mentions', async () => {
    const w = buildWorld({ clock });
    w.vpcs[0]!.Tags = tags({ Name: 'x` <img src=x onerror=alert(1)> @admin [link](https://evil.example)' });
    w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000000')!.Routes![1]!.State = 'blackhole';
    const { md } = await run(w, { probe: 'off' });
    const span = '``x` <img src=x onerror=alert(1)> @admin [link](https://evil.example)``';
    expect(md).toContain(span);
    const outside = md.split(span).join('');
    expect(outside).not.toContain('<img');
    expect(outside).not.toContain('@admin');
    expect(outside).not.toContain('](https://evil');
  });

  it('keeps the JSON report under the size budget by trimming', async () => {
    const w = buildWorld({ clock });
    const { report } = await run(w);
    const big = {
      ...report,
      findings: Array.from({ length: 5000 }, (_, i) => ({
        severity: 'warning' as const,
        check: 'routes' as const,
        message: `finding ${i} ${'x'.repeat(100)}`,
      })),
    };
    const json = reportJson(big, 100_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(100_000);
    expect(JSON.parse(json).truncated).toMatch(/report trimmed/);
  });
});

describe('progress of the wait (typed events for the nat-egress CLI)', () => {
  /** us-east-1a's route is a blackhole for the first two checks; the third check is healthy. */
  async function healsOnThirdCheck(channel: boolean) {
    const w = buildWorld({ clock });
    const rt = w.routeTables.find((r) => r.RouteTableId === 'rtb-priv00000000000000')!;
    rt.Routes![1]!.State = 'blackhole';
    let checks = 0;
    const sim = simulate(w);
    sim.ec2.on(DescribeRouteTablesCommand).callsFake(() => {
      checks++;
      if (checks === 3) rt.Routes![1]!.State = 'active';
      return { RouteTables: structuredClone(w.routeTables) };
    });
    const lines: string[] = [];
    const events: ProgressMessage[] = [];
    const progress = createProgress({
      log: (l) => lines.push(l),
      ...(channel ? { channel: (j: string) => events.push(JSON.parse(j)) } : {}),
      now: () => clock.now(),
    });
    const started = clock.now();
    const opts = options(w, { waitMs: 10 * 60_000, recheckMs: 30_000 });
    const result = await verifyEgress(sim.clients, clock, opts, (l) => lines.push(`log: ${l}`), progress);
    return { result, lines, events, started };
  }

  it("per check: each AZ's state, then a stage while re-checks follow (the pause its heartbeat), then the end", async () => {
    const { result, events, started } = await healsOnThirdCheck(true);
    expect(result.healthy).toBe(true);
    const byType = (t: string) => events.filter((e) => e.type === t);
    expect(byType('az')).toHaveLength(3 * result.analysis.azs.length);
    const down = byType('az').find((e) => e.type === 'az' && e.az === 'us-east-1a');
    expect(down).toMatchObject({ wait: 'egress', egress: 'down', reason: expect.stringMatching(/^routes: /) });
    expect(
      byType('az')
        .slice(-result.analysis.azs.length)
        .every((e) => e.type === 'az' && e.egress === 'up'),
    ).toBe(true);
    const stages = byType('stage');
    expect(stages.map((e) => e.type === 'stage' && [e.stage, e.heartbeat, e.since])).toEqual([
      ['waiting for egress: check 1 not healthy (2 error(s), 0 warning(s))', false, started],
      ['waiting for egress: check 1 not healthy (2 error(s), 0 warning(s))', true, started],
      ['waiting for egress: check 2 not healthy (2 error(s), 0 warning(s))', false, started],
      ['waiting for egress: check 2 not healthy (2 error(s), 0 warning(s))', true, started],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'end', wait: 'egress', outcome: 'healthy' });
    expect(byType('end')).toHaveLength(1);
  });

  it('the log keeps its lines; with a channel the re-checking heartbeat goes to the channel alone', async () => {
    const withChannel = await healsOnThirdCheck(true);
    const logOnly = await healsOnThirdCheck(false);
    const checks = [
      'check 1: not healthy (2 error(s), 0 warning(s))',
      'check 2: not healthy (2 error(s), 0 warning(s))',
      'check 3: healthy (0 error(s), 0 warning(s))',
    ];
    expect(withChannel.lines).toEqual(checks);
    expect(logOnly.lines).toEqual([
      checks[0],
      expect.stringMatching(/^re-checking in 30s \(wait 10m, .* elapsed\)$/),
      checks[1],
      expect.stringMatching(/^re-checking in 30s \(wait 10m, .* elapsed\)$/),
      checks[2],
    ]);
  });
});
