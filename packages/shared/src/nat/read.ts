/**
 * Reads a VPC's NAT topology in a fixed number of batched EC2 calls: every describe is filtered by the VPC
 * (or batched by id) and paginated with the SDK paginators, never one call per route table or subnet.
 * No page size is set, so EC2 returns all items in one response unless it decides to page (then the
 * paginator follows NextToken). Three rounds: the VPC; everything filtered by it (in parallel); the NAT AMIs and
 * reverse DNS (in parallel); and only when a private default route targets an interface no named NAT instance
 * owns, those interfaces and the instances behind them.
 */
import {
  DescribeAddressesCommand,
  EC2Client,
  paginateDescribeAddressesAttribute,
  paginateDescribeImages,
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSubnets,
  paginateDescribeVpcEndpoints,
  paginateDescribeVpcs,
  type Address,
  type AddressAttribute,
  type Filter,
  type Image,
  type Instance,
  type NetworkInterface,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { Tag } from '../inputs/index';
import { ActionFailure, describeError } from '../runtime/index';
import type { TopologySnapshot } from './ec2';
import type { ServingDescribes } from './serving';
import { natGatewayAllocations } from './ec2-nats';

export interface ReadTopologyOptions {
  region: string;
  vpcId?: string;
  /** Matched exactly on the VPC's Name tag when vpcId is not given. */
  vpcName?: string;
  /** Glob on the Name tag of NAT instances (EC2 filters understand `*` and `?`). */
  natNamePattern: string;
  /** The NAT instances by id instead of by name (cutover knows them from the plan and the apply). */
  natInstanceIds?: string[];
  probeInstanceIds?: string[];
  probeTag?: Tag;
  /** Expected egress IPs: their reverse DNS is read too, even when no NAT holds them. */
  expectedIps?: string[];
}

const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

type Calls = Record<string, number>;
interface Reader {
  ec2: EC2Client;
  calls: Calls;
}

async function collect<P, T>(
  calls: Calls,
  op: string,
  pages: AsyncIterable<P>,
  pick: (page: P) => T[] | undefined,
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) {
    calls[op] = (calls[op] ?? 0) + 1;
    items.push(...(pick(page) ?? []));
  }
  return items;
}

function instancesOf(reservations: { Instances?: Instance[] }[]): Instance[] {
  return reservations.flatMap((r) => r.Instances ?? []);
}

/** DescribeInstances with these filters, every page (`calls.DescribeInstances` counts them). */
async function describeInstances(r: Reader, filters: Filter[]): Promise<Instance[]> {
  const pages = paginateDescribeInstances({ client: r.ec2 }, { Filters: filters });
  return instancesOf(await collect(r.calls, 'DescribeInstances', pages, (p) => p.Reservations));
}

/** The one VPC named by id or Name tag. Errors: ActionFailure when none or several match. */
async function findVpc(r: Reader, options: ReadTopologyOptions): Promise<Vpc> {
  const vpcFilter: Filter[] = options.vpcId
    ? [{ Name: 'vpc-id', Values: [options.vpcId] }]
    : [{ Name: 'tag:Name', Values: [options.vpcName ?? ''] }];
  const pages = paginateDescribeVpcs({ client: r.ec2 }, { Filters: vpcFilter });
  const vpcs = await collect(r.calls, 'DescribeVpcs', pages, (p) => p.Vpcs);
  const what = options.vpcId ? `VPC ${options.vpcId}` : `VPC named ${JSON.stringify(options.vpcName)}`;
  if (vpcs.length === 0) throw new ActionFailure(`${what} not found in ${options.region}`);
  if (vpcs.length > 1) {
    throw new ActionFailure(
      `${what} is ambiguous in ${options.region}: ${vpcs.map((v) => v.VpcId).join(', ')} (use vpc-id)`,
    );
  }
  return vpcs[0]!;
}

function probeFilters(inVpc: Filter, options: ReadTopologyOptions): Filter[] | undefined {
  const live = { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES };
  if (options.probeInstanceIds?.length) return [inVpc, { Name: 'instance-id', Values: options.probeInstanceIds }, live];
  if (options.probeTag) return [inVpc, { Name: `tag:${options.probeTag.key}`, Values: [options.probeTag.value] }, live];
  return undefined;
}

/** Round two: everything filtered by the VPC, in parallel (plus the region's addresses: no VPC filter exists). */
async function readVpc(r: Reader, vpcId: string, options: ReadTopologyOptions) {
  const cfg = { client: r.ec2 };
  const inVpc: Filter = { Name: 'vpc-id', Values: [vpcId] };
  const probes = probeFilters(inVpc, options);
  const natNamed = [
    inVpc,
    options.natInstanceIds
      ? { Name: 'instance-id', Values: options.natInstanceIds }
      : { Name: 'tag:Name', Values: [options.natNamePattern] },
    { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
  ];
  const endpoints = { Filters: [inVpc, { Name: 'vpc-endpoint-type', Values: ['Interface'] }] };
  const [subnets, routeTables, natGateways, natInstances, probeInstances, addresses, vpcEndpoints] = await Promise.all([
    collect(r.calls, 'DescribeSubnets', paginateDescribeSubnets(cfg, { Filters: [inVpc] }), (p) => p.Subnets),
    collect(
      r.calls,
      'DescribeRouteTables',
      paginateDescribeRouteTables(cfg, { Filters: [inVpc] }),
      (p) => p.RouteTables,
    ),
    collect(
      r.calls,
      'DescribeNatGateways',
      paginateDescribeNatGateways(cfg, { Filter: [inVpc] }),
      (p) => p.NatGateways,
    ),
    options.natInstanceIds?.length === 0 ? Promise.resolve([]) : describeInstances(r, natNamed),
    probes ? describeInstances(r, probes) : Promise.resolve([]),
    describeAddresses(r),
    collect(r.calls, 'DescribeVpcEndpoints', paginateDescribeVpcEndpoints(cfg, endpoints), (p) => p.VpcEndpoints),
  ]);
  return { subnets, routeTables, natGateways, natInstances, probeInstances, addresses, vpcEndpoints };
}

type VpcItems = Awaited<ReturnType<typeof readVpc>>;

/** Round three, still batched: the NAT AMIs (Role tag) and the reverse DNS of the relevant Elastic IPs. */
async function readImagesAndPtrs(r: Reader, items: VpcItems, expectedIps: string[]) {
  const cfg = { client: r.ec2 };
  const imageIds = [...new Set(items.natInstances.map((i) => i.ImageId).filter((id): id is string => !!id))].sort();
  const allocations = relevantAllocationIds(items, expectedIps);
  type Attributes = { addresses: AddressAttribute[]; error?: string };
  const noAttributes: Attributes = { addresses: [] };
  const [images, attributes] = await Promise.all([
    imageIds.length
      ? collect(
          r.calls,
          'DescribeImages',
          paginateDescribeImages(cfg, { Filters: [{ Name: 'image-id', Values: imageIds }] }),
          (p) => p.Images,
        )
      : Promise.resolve([] as Image[]),
    allocations.length
      ? collect(
          r.calls,
          'DescribeAddressesAttribute',
          paginateDescribeAddressesAttribute(cfg, { AllocationIds: allocations, Attribute: 'domain-name' }),
          (p) => p.Addresses,
        ).then(
          (a): Attributes => ({ addresses: a }),
          (err: unknown): Attributes => ({ addresses: [], error: describeError(err) }),
        )
      : Promise.resolve(noAttributes),
  ]);
  return { images, attributes };
}

/**
 * Round four, only when a private default route targets an interface no named NAT instance owns (ENI-based NAT
 * run by an Auto Scaling group, or a second interface): those interfaces and the instances behind them.
 */
async function readRoutedInterfaces(r: Reader, vpcId: string, items: Pick<VpcItems, 'routeTables' | 'natInstances'>) {
  const inVpc: Filter = { Name: 'vpc-id', Values: [vpcId] };
  const known = new Set(
    items.natInstances.flatMap((i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId)),
  );
  const routedEnis = [
    ...new Set(
      items.routeTables.flatMap((t) =>
        (t.Routes ?? [])
          .filter(
            (x) => x.DestinationCidrBlock === '0.0.0.0/0' && x.NetworkInterfaceId && !known.has(x.NetworkInterfaceId),
          )
          .map((x) => x.NetworkInterfaceId as string),
      ),
    ),
  ].sort();
  const natInterfaces: NetworkInterface[] = routedEnis.length
    ? await collect(
        r.calls,
        'DescribeNetworkInterfaces',
        paginateDescribeNetworkInterfaces(
          { client: r.ec2 },
          { Filters: [inVpc, { Name: 'network-interface-id', Values: routedEnis }] },
        ),
        (p) => p.NetworkInterfaces,
      )
    : [];
  const behind = [
    ...new Set(natInterfaces.map((n) => n.Attachment?.InstanceId).filter((id): id is string => !!id)),
  ].sort();
  const interfaceInstances = behind.length
    ? await describeInstances(r, [inVpc, { Name: 'instance-id', Values: behind }])
    : [];
  return { natInterfaces, interfaceInstances };
}

/**
 * The snapshot of one VPC (see the module comment for the rounds; `calls` counts every page by operation).
 * Errors: ActionFailure when the VPC is not found or ambiguous; AWS errors propagate after the SDK's retries,
 * except DescribeAddressesAttribute's, which end up in `addressAttributesError`.
 */
export async function readTopology(ec2: EC2Client, options: ReadTopologyOptions): Promise<TopologySnapshot> {
  const r: Reader = { ec2, calls: {} };
  const vpc = await findVpc(r, options);
  const vpcId = vpc.VpcId as string;
  const items = await readVpc(r, vpcId, options);
  const { images, attributes } = await readImagesAndPtrs(r, items, options.expectedIps ?? []);
  const { natInterfaces, interfaceInstances } = await readRoutedInterfaces(r, vpcId, items);
  return {
    region: options.region,
    natInterfaces,
    interfaceInstances,
    vpc,
    subnets: items.subnets,
    routeTables: items.routeTables,
    natGateways: items.natGateways,
    natInstances: items.natInstances,
    probeInstances: items.probeInstances,
    addresses: items.addresses,
    addressAttributes: attributes.addresses,
    ...(attributes.error ? { addressAttributesError: attributes.error } : {}),
    images,
    vpcEndpoints: items.vpcEndpoints,
    calls: r.calls,
  };
}

/** DescribeAddresses is not paginated and has no VPC filter: one call for the region's VPC addresses. */
async function describeAddresses(r: Reader): Promise<Address[]> {
  r.calls.DescribeAddresses = (r.calls.DescribeAddresses ?? 0) + 1;
  const out = await r.ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] }));
  return out.Addresses ?? [];
}

/** Allocations whose reverse DNS matters: held by a NAT instance, interface or gateway, or an expected IP. */
function relevantAllocationIds(items: VpcItems, expectedIps: string[]): string[] {
  const instanceIds = new Set(items.natInstances.map((i) => i.InstanceId));
  const enis = new Set(items.natInstances.flatMap((i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId)));
  const gatewayAllocations = new Set(items.natGateways.flatMap(natGatewayAllocations));
  const expected = new Set(expectedIps);
  const ids = items.addresses
    .filter(
      (a) =>
        a.AllocationId &&
        ((a.InstanceId && instanceIds.has(a.InstanceId)) ||
          (a.NetworkInterfaceId && enis.has(a.NetworkInterfaceId)) ||
          gatewayAllocations.has(a.AllocationId) ||
          (a.PublicIp && expected.has(a.PublicIp))),
    )
    .map((a) => a.AllocationId as string);
  return [...new Set(ids)].sort();
}

export interface ReadServingOptions {
  /** The VPC (its NAT gateways are read); undefined: the route tables' VPC, read first. */
  vpcId?: string;
  /** The private route tables of the switch. */
  routeTableIds: string[];
  /** NAT instances known by id (the plan's, the apply's). */
  instanceIds: string[];
  /** The switch's Elastic IP allocations. */
  allocationIds: string[];
  signal?: AbortSignal;
}

/**
 * One poll of what serves a switch in progress (nat/serving.ts): the route tables by id, the VPC's NAT gateways,
 * the known NAT instances and the addresses, in parallel (4 calls, each one page in practice; without `vpcId` the
 * route tables come first and give it); then, only when a default route targets an interface none of those
 * instances has, that interface and its instance (2 more). Filters rather than id lists, so an id that no longer
 * exists is simply absent. AWS errors propagate.
 */
export async function readServing(ec2: EC2Client, options: ReadServingOptions): Promise<ServingDescribes> {
  const calls: Calls = {};
  const r: Reader = { ec2, calls };
  const cfg = { client: ec2 };
  const opts = options.signal ? { abortSignal: options.signal } : {};
  const tables = () =>
    collect(
      calls,
      'DescribeRouteTables',
      paginateDescribeRouteTables(cfg, { Filters: [{ Name: 'route-table-id', Values: options.routeTableIds }] }, opts),
      (p) => p.RouteTables,
    );
  const first = options.vpcId ? undefined : await tables();
  const vpcId = options.vpcId ?? first?.find((t) => t.VpcId)?.VpcId ?? '';
  const inVpc: Filter = { Name: 'vpc-id', Values: [vpcId] };
  const live = { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES };
  const instances = async () =>
    instancesOf(
      await collect(
        calls,
        'DescribeInstances',
        paginateDescribeInstances(
          cfg,
          { Filters: [inVpc, { Name: 'instance-id', Values: options.instanceIds }, live] },
          opts,
        ),
        (p) => p.Reservations,
      ),
    );
  const addresses = async () => {
    calls.DescribeAddresses = (calls.DescribeAddresses ?? 0) + 1;
    const out = await ec2.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: options.allocationIds }] }),
      opts,
    );
    return out.Addresses ?? [];
  };
  const [routeTables, natGateways, natInstances, addressList] = await Promise.all([
    first ? Promise.resolve(first) : tables(),
    collect(
      calls,
      'DescribeNatGateways',
      paginateDescribeNatGateways(cfg, { Filter: [inVpc] }, opts),
      (p) => p.NatGateways,
    ),
    options.instanceIds.length === 0 ? Promise.resolve([] as Instance[]) : instances(),
    options.allocationIds.length === 0 ? Promise.resolve([] as Address[]) : addresses(),
  ]);
  const { natInterfaces, interfaceInstances } = await readRoutedInterfaces(r, vpcId, { routeTables, natInstances });
  return { routeTables, natGateways, natInstances, natInterfaces, interfaceInstances, addresses: addressList, calls };
}
