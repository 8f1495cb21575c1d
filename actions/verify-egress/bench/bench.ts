/**
 * verify-egress benchmark.
 * 1. EC2 calls to read and analyse (no waiting involved, so no clock) a VPC with 3, 30 and 300 private route tables (3 AZs, instance mode).
 *    The simulated EC2 behaves like the service: without MaxResults a describe returns every item in one
 *    response; with MaxResults it pages. Target: the same number of calls for all three sizes.
 * 2. Wall time of three parallel SSM probes against one. Real timers here, on purpose: every simulated SSM
 *    call takes a fixed 200 ms (setTimeout) and the probe polls every 100 ms on the system clock, so the
 *    figure measures real concurrency of the probe code (a virtual clock would serialise the sleeps of
 *    parallel probes onto one timeline and could not show overlap). Target: ≤ 1.2×.
 * Run: node scripts/run-ts.mjs actions/verify-egress/bench/bench.ts
 */
import { analyzeTopology, createEgressClients, readTopology, runProbes } from '@nat-egress/shared/egress';
import { systemClock } from '@nat-egress/shared/runtime';

type Send = (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>;
const REGION = 'us-east-1';
const VPC = 'vpc-0be9c0000000000000';

function override(client: object, send: Send): void {
  (client as unknown as { send: Send }).send = send;
}

function world(privateTables: number) {
  const azs = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const subnets: object[] = [];
  const routeTables: object[] = [{ RouteTableId: 'rtb-main', Associations: [{ Main: true }], Routes: [] }];
  const publicRt = {
    RouteTableId: 'rtb-public',
    Associations: [] as object[],
    Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }],
  };
  routeTables.push(publicRt);
  const instances: object[] = [];
  const addresses: object[] = [];
  azs.forEach((az, i) => {
    subnets.push({ SubnetId: `subnet-pub-${i}`, AvailabilityZone: az, VpcId: VPC });
    publicRt.Associations.push({ SubnetId: `subnet-pub-${i}` });
    instances.push({
      InstanceId: `i-nat-${i}`,
      ImageId: 'ami-nat',
      State: { Name: 'running' },
      Placement: { AvailabilityZone: az },
      SubnetId: `subnet-pub-${i}`,
      SourceDestCheck: false,
      NetworkInterfaces: [{ NetworkInterfaceId: `eni-nat-${i}`, Attachment: { DeviceIndex: 0 } }],
      Tags: [{ Key: 'Name', Value: `cabal-nat-${i}` }],
    });
    addresses.push({
      PublicIp: `203.0.113.${10 + i}`,
      AllocationId: `eipalloc-${i}`,
      InstanceId: `i-nat-${i}`,
      NetworkInterfaceId: `eni-nat-${i}`,
    });
  });
  for (let t = 0; t < privateTables; t++) {
    const i = t % 3;
    subnets.push({ SubnetId: `subnet-priv-${t}`, AvailabilityZone: azs[i], VpcId: VPC });
    routeTables.push({
      RouteTableId: `rtb-priv-${t}`,
      Associations: [{ SubnetId: `subnet-priv-${t}` }],
      Routes: [
        {
          DestinationCidrBlock: '0.0.0.0/0',
          InstanceId: `i-nat-${i}`,
          NetworkInterfaceId: `eni-nat-${i}`,
          State: 'active',
        },
      ],
    });
  }
  return {
    DescribeVpcs: { key: 'Vpcs', items: [{ VpcId: VPC }] },
    DescribeSubnets: { key: 'Subnets', items: subnets },
    DescribeRouteTables: { key: 'RouteTables', items: routeTables },
    DescribeNatGateways: { key: 'NatGateways', items: [] },
    DescribeInstances: { key: 'Reservations', items: instances.map((i) => ({ Instances: [i] })) },
    DescribeAddresses: { key: 'Addresses', items: addresses },
    DescribeAddressesAttribute: {
      key: 'Addresses',
      items: addresses.map((a) => ({ ...a, PtrRecord: 'smtp.example.com.' })),
    },
    DescribeImages: { key: 'Images', items: [{ ImageId: 'ami-nat', Tags: [{ Key: 'Role', Value: 'cabal-nat' }] }] },
    DescribeVpcEndpoints: { key: 'VpcEndpoints', items: [] },
  } as Record<string, { key: string; items: object[] }>;
}

async function ec2Calls(
  privateTables: number,
): Promise<{ calls: number; byOp: Record<string, number>; tables: number }> {
  const data = world(privateTables);
  const clients = createEgressClients(REGION);
  let calls = 0;
  override(clients.ec2, async (command) => {
    calls++;
    const op = command.constructor.name.replace(/Command$/, '');
    const entry = data[op];
    if (!entry) throw new Error(`bench EC2 model: unexpected ${op}`);
    const start = Number(command.input.NextToken ?? 0);
    const size = typeof command.input.MaxResults === 'number' ? command.input.MaxResults : entry.items.length;
    const end = start + size;
    return {
      [entry.key]: entry.items.slice(start, end),
      ...(end < entry.items.length ? { NextToken: String(end) } : {}),
    };
  });
  const snap = await readTopology(clients.ec2, {
    region: REGION,
    vpcId: VPC,
    natNamePattern: 'cabal-nat-*',
    expectedIps: [],
  });
  const analysis = analyzeTopology(snap, {
    mode: 'auto',
    natNamePattern: 'cabal-nat-*',
    expectedIps: [],
    expectQuiesced: false,
  });
  if (analysis.routeTables.length !== privateTables)
    throw new Error(`expected ${privateTables} private route tables, analysed ${analysis.routeTables.length}`);
  return { calls, byOp: snap.calls, tables: analysis.routeTables.length };
}

const LATENCY_MS = 200;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probeWallTime(count: number): Promise<number> {
  const clients = createEgressClients(REGION);
  const polls = new Map<string, number>();
  override(clients.ssm, async (command) => {
    await delay(LATENCY_MS);
    const op = command.constructor.name.replace(/Command$/, '');
    const input = command.input as {
      InstanceIds?: string[];
      InstanceId?: string;
      CommandId?: string;
      Filters?: { Values: string[] }[];
    };
    if (op === 'DescribeInstanceInformation') {
      return {
        InstanceInformationList: (input.Filters?.[0]?.Values ?? []).map((id) => ({
          InstanceId: id,
          PingStatus: 'Online',
        })),
      };
    }
    if (op === 'SendCommand') return { Command: { CommandId: `cmd-${input.InstanceIds?.[0]}` } };
    if (op === 'GetCommandInvocation') {
      const n = (polls.get(input.CommandId as string) ?? 0) + 1;
      polls.set(input.CommandId as string, n);
      return n === 1
        ? { Status: 'InProgress' }
        : { Status: 'Success', ResponseCode: 0, StandardOutputContent: '203.0.113.10\n' };
    }
    throw new Error(`bench SSM model: unexpected ${op}`);
  });
  const targets = Array.from({ length: count }, (_, i) => ({
    instanceId: `i-probe-${i}`,
    az: `us-east-1${'abc'[i]}`,
    expectedIp: '203.0.113.10',
  }));
  const started = performance.now();
  const results = await runProbes(clients.ssm, systemClock, targets, {
    url: 'https://checkip.amazonaws.com',
    pollMs: 100,
    timeoutMs: 10_000,
  });
  const elapsed = performance.now() - started;
  if (results.some((r) => r.status !== 'ok')) throw new Error(`bench probes failed: ${JSON.stringify(results)}`);
  return elapsed;
}

console.log('verify-egress bench');
console.log('EC2 calls to read + analyse the NAT topology (3 AZs, instance mode; target: identical for every size)');
const counts: number[] = [];
for (const n of [3, 30, 300]) {
  const r = await ec2Calls(n);
  counts.push(r.calls);
  const ops = Object.entries(r.byOp)
    .map(([op, c]) => `${op.replace(/^Describe/, '')}×${c}`)
    .join(' ');
  console.log(`  ${String(n).padStart(3)} private route tables: ${r.calls} EC2 calls  (${ops})`);
}
console.log(
  `  → ${counts.every((c) => c === counts[0]) ? 'identical: target met' : 'NOT identical: target missed'} (+1 DescribeInstances when probe instances are given, +1 GetConsoleOutput per NAT instance when diagnosing)`,
);

console.log(`SSM probes, real timers, ${LATENCY_MS} ms per SSM call, 100 ms poll (target: 3 parallel ≤ 1.2 × 1)`);
await probeWallTime(1); // warm-up (module init, first timers)
const one = await probeWallTime(1);
const three = await probeWallTime(3);
const ratio = three / one;
console.log(`  1 probe:  ${one.toFixed(0)} ms`);
console.log(`  3 probes: ${three.toFixed(0)} ms`);
console.log(`  → ratio ${ratio.toFixed(2)}× (${ratio <= 1.2 ? 'target met' : 'target missed'})`);
