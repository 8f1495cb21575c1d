/**
 * Reads a VPC's NAT topology in a fixed number of batched EC2 calls: every describe is filtered by the VPC
 * (or batched by id) and paginated with the SDK paginators, never one call per route table or subnet.
 * No page size is set, so EC2 returns all items in one response unless it decides to page (then the
 * paginator follows NextToken).
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
} from '@aws-sdk/client-ec2';
import type { Tag } from '../inputs/index';
import { ActionFailure, describeError } from '../runtime/index';
import type { TopologySnapshot } from '../egress/types';

export interface ReadTopologyOptions {
  region: string;
  vpcId?: string;
  /** Matched exactly on the VPC's Name tag when vpcId is not given. */
  vpcName?: string;
  /** Glob on the Name tag of NAT instances (EC2 filters understand `*` and `?`). */
  natNamePattern: string;
  probeInstanceIds?: string[];
  probeTag?: Tag;
  /** Expected egress IPs: their reverse DNS is read too, even when no NAT holds them. */
  expectedIps?: string[];
}

const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

async function collect<P, T>(
  calls: Record<string, number>,
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

export async function readTopology(ec2: EC2Client, options: ReadTopologyOptions): Promise<TopologySnapshot> {
  const calls: Record<string, number> = {};
  const cfg = { client: ec2 };

  const vpcFilter: Filter[] = options.vpcId
    ? [{ Name: 'vpc-id', Values: [options.vpcId] }]
    : [{ Name: 'tag:Name', Values: [options.vpcName ?? ''] }];
  const vpcs = await collect(calls, 'DescribeVpcs', paginateDescribeVpcs(cfg, { Filters: vpcFilter }), (p) => p.Vpcs);
  const what = options.vpcId ? `VPC ${options.vpcId}` : `VPC named ${JSON.stringify(options.vpcName)}`;
  if (vpcs.length === 0) throw new ActionFailure(`${what} not found in ${options.region}`);
  if (vpcs.length > 1) {
    throw new ActionFailure(
      `${what} is ambiguous in ${options.region}: ${vpcs.map((v) => v.VpcId).join(', ')} (use vpc-id)`,
    );
  }
  const vpc = vpcs[0]!;
  const vpcId = vpc.VpcId as string;
  const inVpc: Filter = { Name: 'vpc-id', Values: [vpcId] };

  const probeFilters: Filter[] | undefined = options.probeInstanceIds?.length
    ? [
        inVpc,
        { Name: 'instance-id', Values: options.probeInstanceIds },
        { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
      ]
    : options.probeTag
      ? [
          inVpc,
          { Name: `tag:${options.probeTag.key}`, Values: [options.probeTag.value] },
          { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
        ]
      : undefined;

  const [subnets, routeTables, natGateways, natReservations, probeReservations, addresses, vpcEndpoints] =
    await Promise.all([
      collect(calls, 'DescribeSubnets', paginateDescribeSubnets(cfg, { Filters: [inVpc] }), (p) => p.Subnets),
      collect(
        calls,
        'DescribeRouteTables',
        paginateDescribeRouteTables(cfg, { Filters: [inVpc] }),
        (p) => p.RouteTables,
      ),
      collect(
        calls,
        'DescribeNatGateways',
        paginateDescribeNatGateways(cfg, { Filter: [inVpc] }),
        (p) => p.NatGateways,
      ),
      collect(
        calls,
        'DescribeInstances',
        paginateDescribeInstances(cfg, {
          Filters: [
            inVpc,
            { Name: 'tag:Name', Values: [options.natNamePattern] },
            { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES },
          ],
        }),
        (p) => p.Reservations,
      ),
      probeFilters
        ? collect(
            calls,
            'DescribeInstances',
            paginateDescribeInstances(cfg, { Filters: probeFilters }),
            (p) => p.Reservations,
          )
        : Promise.resolve([]),
      describeAddresses(ec2, calls),
      collect(
        calls,
        'DescribeVpcEndpoints',
        paginateDescribeVpcEndpoints(cfg, { Filters: [inVpc, { Name: 'vpc-endpoint-type', Values: ['Interface'] }] }),
        (p) => p.VpcEndpoints,
      ),
    ]);
  const natInstances = instancesOf(natReservations);
  const probeInstances = instancesOf(probeReservations);

  // Second round, still batched: the NAT AMIs (Role tag) and the reverse DNS of the relevant EIPs.
  const imageIds = [...new Set(natInstances.map((i) => i.ImageId).filter((id): id is string => !!id))].sort();
  const relevantAllocations = relevantAllocationIds(addresses, natInstances, natGateways, options.expectedIps ?? []);
  const [images, attributes] = await Promise.all([
    imageIds.length
      ? collect(
          calls,
          'DescribeImages',
          paginateDescribeImages(cfg, { Filters: [{ Name: 'image-id', Values: imageIds }] }),
          (p) => p.Images,
        )
      : Promise.resolve([] as Image[]),
    relevantAllocations.length
      ? collect(
          calls,
          'DescribeAddressesAttribute',
          paginateDescribeAddressesAttribute(cfg, { AllocationIds: relevantAllocations, Attribute: 'domain-name' }),
          (p) => p.Addresses,
        ).then(
          (a) => ({ addresses: a }),
          (err: unknown) => ({ addresses: [] as AddressAttribute[], error: describeError(err) }),
        )
      : Promise.resolve({ addresses: [] as AddressAttribute[] }),
  ]);

  // Third round, only when a private default route targets an interface no named NAT instance owns (ENI-based
  // NAT run by an Auto Scaling group, or a second interface): those interfaces and the instances behind them.
  const known = new Set(natInstances.flatMap((i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId)));
  const routedEnis = [
    ...new Set(
      routeTables.flatMap((t) =>
        (t.Routes ?? [])
          .filter(
            (r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.NetworkInterfaceId && !known.has(r.NetworkInterfaceId),
          )
          .map((r) => r.NetworkInterfaceId as string),
      ),
    ),
  ].sort();
  const natInterfaces: NetworkInterface[] = routedEnis.length
    ? await collect(
        calls,
        'DescribeNetworkInterfaces',
        paginateDescribeNetworkInterfaces(cfg, {
          Filters: [inVpc, { Name: 'network-interface-id', Values: routedEnis }],
        }),
        (p) => p.NetworkInterfaces,
      )
    : [];
  const behind = [
    ...new Set(natInterfaces.map((n) => n.Attachment?.InstanceId).filter((id): id is string => !!id)),
  ].sort();
  const interfaceInstances = behind.length
    ? instancesOf(
        await collect(
          calls,
          'DescribeInstances',
          paginateDescribeInstances(cfg, { Filters: [inVpc, { Name: 'instance-id', Values: behind }] }),
          (p) => p.Reservations,
        ),
      )
    : [];

  return {
    region: options.region,
    natInterfaces,
    interfaceInstances,
    vpc,
    subnets,
    routeTables,
    natGateways,
    natInstances,
    probeInstances,
    addresses,
    addressAttributes: attributes.addresses,
    ...('error' in attributes && attributes.error ? { addressAttributesError: attributes.error } : {}),
    images,
    vpcEndpoints,
    calls,
  };
}

/** DescribeAddresses is not paginated and has no VPC filter: one call for the region's VPC addresses. */
async function describeAddresses(ec2: EC2Client, calls: Record<string, number>): Promise<Address[]> {
  calls.DescribeAddresses = (calls.DescribeAddresses ?? 0) + 1;
  const out = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] }));
  return out.Addresses ?? [];
}

function relevantAllocationIds(
  addresses: Address[],
  natInstances: Instance[],
  natGateways: { NatGatewayAddresses?: { AllocationId?: string }[] }[],
  expectedIps: string[],
): string[] {
  const instanceIds = new Set(natInstances.map((i) => i.InstanceId));
  const enis = new Set(natInstances.flatMap((i) => (i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId)));
  const gatewayAllocations = new Set(
    natGateways.flatMap((g) => (g.NatGatewayAddresses ?? []).map((a) => a.AllocationId)),
  );
  const expected = new Set(expectedIps);
  const ids = addresses
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
