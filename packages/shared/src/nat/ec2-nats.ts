/**
 * NAT nodes from EC2 shapes, with their live facts: NAT instances, NAT gateways (zonal, regional, private), and
 * network interfaces that NAT instances attach to (ENI-based NAT run by an Auto Scaling group: the interface is
 * the NAT's identity, the instance behind it changes). Sources: EC2 API reference, Instance, NatGateway
 * (NatGatewayAddresses[].IsPrimary / AvailabilityZone, AvailabilityMode, AutoProvisionZones, AutoScalingIps,
 * FailureMessage), NetworkInterface (Attachment.Status, Association), Address, AddressAttribute, Image.
 */
import type {
  Address,
  AddressAttribute,
  Image,
  Instance,
  NatGateway,
  NetworkInterface,
  Subnet,
  Tag,
} from '@aws-sdk/client-ec2';
import type { NatLive, NatNode, RegionalZone } from './types';

/** A tag's value (EC2 Tags / TagSet), or undefined. */
export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** Every Elastic IP allocation a NAT gateway has (NatGatewayAddresses[].AllocationId: primary, secondary, per AZ). */
export function natGatewayAllocations(gateway: NatGateway): string[] {
  return (gateway.NatGatewayAddresses ?? []).map((a) => a.AllocationId ?? '').filter((a) => a !== '');
}

/** Ids of the private NAT gateways (ConnectivityType private) among `gateways`, in any state, deleted included. */
export function privateGatewayIds(gateways: NatGateway[]): Set<string> {
  return new Set(gateways.filter((g) => g.ConnectivityType === 'private').map((g) => g.NatGatewayId as string));
}

/**
 * Who holds an address now: 'instance' when EC2 names an instance (Address.InstanceId), 'interface' when it is
 * associated (AssociationId) with a network interface and no instance — a NAT gateway's ENI, or a bare
 * interface — and undefined when it is not associated.
 */
export function addressHolder(address: Address): 'instance' | 'interface' | undefined {
  if (address.InstanceId) return 'instance';
  return address.AssociationId ? 'interface' : undefined;
}

/** What the NAT builders read besides the NAT itself. */
export interface Ec2Context {
  addresses: Address[];
  images: Image[];
  subnets: ReadonlyMap<string, Subnet>;
  /** Subnets whose route table sends 0.0.0.0/0 to an internet gateway. */
  publicSubnets: ReadonlySet<string>;
  ptrByAllocation: ReadonlyMap<string | undefined, string | undefined>;
}

/** The context of one snapshot: its addresses, images, subnets by id, public subnets and PTRs by allocation. */
export function ec2Context(
  input: { addresses: Address[]; images: Image[]; subnets: Subnet[]; addressAttributes: AddressAttribute[] },
  publicSubnets: ReadonlySet<string>,
): Ec2Context {
  return {
    addresses: input.addresses,
    images: input.images,
    subnets: new Map(input.subnets.map((s) => [s.SubnetId as string, s])),
    publicSubnets,
    ptrByAllocation: new Map(input.addressAttributes.map((a) => [a.AllocationId, a.PtrRecord])),
  };
}

const ids = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x);

/** Allocations of the addresses associated with any of `natIds` (an instance id or an interface id). */
function heldBy(ctx: Ec2Context, natIds: string[]): string[] {
  return ctx.addresses
    .filter(
      (a) =>
        a.AllocationId &&
        ((a.InstanceId && natIds.includes(a.InstanceId)) ||
          (a.NetworkInterfaceId && natIds.includes(a.NetworkInterfaceId))),
    )
    .map((a) => a.AllocationId as string);
}

function withPtr(live: NatLive, ctx: Ec2Context): NatLive {
  const ptr = live.allocationId ? ctx.ptrByAllocation.get(live.allocationId) : undefined;
  if (ptr) live.ptr = ptr;
  return live;
}

function instanceLive(instance: Instance, interfaceIds: string[], ctx: Ec2Context): NatLive {
  const id = instance.InstanceId as string;
  const address = ctx.addresses.find(
    (a) => a.InstanceId === id || (a.NetworkInterfaceId && interfaceIds.includes(a.NetworkInterfaceId)),
  );
  const primary = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
  const sourceDestCheck = instance.SourceDestCheck ?? primary?.SourceDestCheck;
  const state = instance.State?.Name ?? 'unknown';
  const elasticIp = !!address?.AllocationId;
  const live: NatLive = {
    state,
    healthy: state === 'running' && sourceDestCheck === false && elasticIp,
    inPublicSubnet: !!instance.SubnetId && ctx.publicSubnets.has(instance.SubnetId),
    elasticIp,
    interfaceIds,
  };
  const name = tagValue(instance.Tags, 'Name');
  if (name !== undefined) live.name = name;
  if (primary?.NetworkInterfaceId) live.primaryInterfaceId = primary.NetworkInterfaceId;
  const publicIp = address?.PublicIp ?? instance.PublicIpAddress;
  if (publicIp) live.publicIp = publicIp;
  if (address?.AllocationId) live.allocationId = address.AllocationId;
  if (sourceDestCheck !== undefined) live.sourceDestCheck = sourceDestCheck;
  const perInterface = (instance.NetworkInterfaces ?? []).filter(
    (n) => n.NetworkInterfaceId && n.SourceDestCheck !== undefined,
  );
  if (perInterface.length > 0)
    live.interfaceSourceDestCheck = Object.fromEntries(
      perInterface.map((n) => [n.NetworkInterfaceId as string, n.SourceDestCheck as boolean]),
    );
  if (instance.ImageId) live.imageId = instance.ImageId;
  const image = ctx.images.find((img) => img.ImageId === instance.ImageId);
  if (image) {
    live.imageRole = tagValue(image.Tags, 'Role') ?? null;
    if (image.Name) live.imageName = image.Name;
  }
  if (instance.InstanceType) live.instanceType = instance.InstanceType;
  live.detailedMonitoring = instance.Monitoring?.State === 'enabled';
  return withPtr(live, ctx);
}

/** A NAT instance: its instance id and interfaces, the Elastic IPs on them, and its live facts. */
export function instanceNode(instance: Instance, ctx: Ec2Context): NatNode {
  const id = instance.InstanceId as string;
  const interfaceIds = ids((instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId));
  const az = instance.Placement?.AvailabilityZone;
  return {
    ref: id,
    kind: 'instance',
    key: az ?? 'unknown',
    ...(az ? { az } : {}),
    ids: [id, ...interfaceIds],
    allocationIds: heldBy(ctx, [id, ...interfaceIds]),
    ...(instance.SubnetId ? { subnetId: instance.SubnetId } : {}),
    live: instanceLive(instance, interfaceIds, ctx),
  };
}

/**
 * A regional gateway's addresses per AZ (NatGatewayAddresses[].AvailabilityZone): AZs with a public IP first, in
 * the order EC2 lists their first address, then AZs with allocations only; public IPs sorted.
 */
function regionalZones(gateway: NatGateway): RegionalZone[] {
  const addresses = (gateway.NatGatewayAddresses ?? []).filter((a) => a.AvailabilityZone);
  const zones = new Map<string, RegionalZone>();
  const zone = (az: string) => zones.get(az) ?? zones.set(az, { az, allocationIds: [], publicIps: [] }).get(az)!;
  for (const a of addresses) if (a.PublicIp) zone(a.AvailabilityZone as string);
  for (const a of addresses) {
    const z = zone(a.AvailabilityZone as string);
    if (a.AllocationId) z.allocationIds.push(a.AllocationId);
    if (a.PublicIp) z.publicIps!.push(a.PublicIp);
  }
  for (const z of zones.values()) z.publicIps!.sort();
  return [...zones.values()];
}

function gatewayLive(gateway: NatGateway, ctx: Ec2Context): NatLive {
  const addresses = gateway.NatGatewayAddresses ?? [];
  const address = addresses.find((a) => a.IsPrimary) ?? addresses.find((a) => a.PublicIp) ?? addresses[0];
  const state = gateway.State ?? 'unknown';
  const regional = gateway.AvailabilityMode === 'regional';
  const live: NatLive = {
    state,
    healthy: regional
      ? state === 'available' && addresses.some((a) => a.PublicIp)
      : state === 'available' && !!address?.PublicIp,
    inPublicSubnet: !gateway.SubnetId || ctx.publicSubnets.has(gateway.SubnetId),
    elasticIp: regional ? addresses.some((a) => a.AllocationId) : !!address?.AllocationId,
    interfaceIds: ids(addresses.map((a) => a.NetworkInterfaceId)),
  };
  const name = tagValue(gateway.Tags, 'Name');
  if (name !== undefined) live.name = name;
  if (address?.PublicIp) live.publicIp = address.PublicIp;
  if (address?.AllocationId) live.allocationId = address.AllocationId;
  if (gateway.FailureMessage) live.failureMessage = gateway.FailureMessage;
  return withPtr(live, ctx);
}

/** A NAT gateway (zonal, regional or private; not a deleted one): its id, interfaces, allocations, live facts. */
export function gatewayNode(gateway: NatGateway, ctx: Ec2Context): NatNode {
  const id = gateway.NatGatewayId as string;
  const subnet = gateway.SubnetId ? ctx.subnets.get(gateway.SubnetId) : undefined;
  const live = gatewayLive(gateway, ctx);
  const base = {
    ref: id,
    ...(subnet?.AvailabilityZone ? { az: subnet.AvailabilityZone } : {}),
    ids: [id, ...live.interfaceIds],
    allocationIds: natGatewayAllocations(gateway),
    ...(gateway.SubnetId ? { subnetId: gateway.SubnetId } : {}),
    live,
  };
  const subnetKey = subnet ? (subnet.AvailabilityZone ?? 'unknown') : undefined;
  if (gateway.ConnectivityType === 'private')
    return { ...base, kind: 'private-gateway', key: subnetKey ?? '-', ids: [id], allocationIds: [] };
  if (gateway.AvailabilityMode === 'regional') {
    return {
      ...base,
      kind: 'regional-gateway',
      key: '-',
      regionalMode: gateway.AutoProvisionZones === 'enabled' ? 'automatic' : 'manual',
      autoScalingIps: gateway.AutoScalingIps === 'enabled',
      zones: regionalZones(gateway),
    };
  }
  return { ...base, kind: 'zonal-gateway', key: subnetKey ?? 'unknown' };
}

function interfaceLive(eni: NetworkInterface, instance: Instance | undefined, ctx: Ec2Context): NatLive {
  const id = eni.NetworkInterfaceId as string;
  const address = ctx.addresses.find((a) => a.NetworkInterfaceId === id);
  const attachment = eni.Attachment?.Status ?? 'detached';
  const state = attachment === 'attached' && instance ? (instance.State?.Name ?? 'unknown') : 'detached';
  const elasticIp = !!(address?.AllocationId ?? eni.Association?.AllocationId);
  const live: NatLive = {
    state,
    healthy: state === 'running' && eni.SourceDestCheck === false && elasticIp,
    inPublicSubnet: !!eni.SubnetId && ctx.publicSubnets.has(eni.SubnetId),
    elasticIp,
    interfaceIds: [id],
    attachment,
  };
  const name = tagValue(eni.TagSet, 'Name');
  if (name !== undefined) live.name = name;
  const publicIp = address?.PublicIp ?? eni.Association?.PublicIp;
  if (publicIp) live.publicIp = publicIp;
  const allocationId = address?.AllocationId ?? eni.Association?.AllocationId;
  if (allocationId) live.allocationId = allocationId;
  if (eni.SourceDestCheck !== undefined) {
    live.sourceDestCheck = eni.SourceDestCheck;
    live.interfaceSourceDestCheck = { [id]: eni.SourceDestCheck };
  }
  if (instance && attachment === 'attached') {
    live.instanceId = instance.InstanceId as string;
    if (instance.ImageId) live.imageId = instance.ImageId;
  }
  return withPtr(live, ctx);
}

/**
 * ENI-based NAT (an Auto Scaling group of one whose instance attaches a static interface at boot): the
 * interface is the NAT. Healthy when it is attached to a running instance, its source/dest check is off and
 * the Elastic IP is on it. `instance` is the instance attached now, when there is one.
 */
export function interfaceNode(eni: NetworkInterface, instance: Instance | undefined, ctx: Ec2Context): NatNode {
  const id = eni.NetworkInterfaceId as string;
  const az = eni.AvailabilityZone;
  return {
    ref: id,
    kind: 'interface',
    key: az ?? 'unknown',
    ...(az ? { az } : {}),
    ids: [id],
    allocationIds: heldBy(ctx, [id]),
    ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
    live: interfaceLive(eni, instance, ctx),
  };
}

/** Who holds one wanted allocation now, against the associations a plan removes (cutover's instance → gateway race). */
export interface AddressClaim {
  allocationId: string;
  /** free: not associated; ours: held by one of `ours`; other: held by something else; missing: EC2 lacks it. */
  state: 'free' | 'ours' | 'other' | 'missing';
  /** The holder (instance id, else interface id, else association id), when held. */
  holder?: string;
}

/**
 * Each wanted allocation's holder in DescribeAddresses' answer: `ours` when its AssociationId, InstanceId or
 * NetworkInterfaceId is one of the given ids (EC2 API reference, Address).
 */
export function addressClaims(
  addresses: Address[],
  allocationIds: readonly string[],
  ours: { associationIds: readonly string[]; holderIds: readonly string[] },
): AddressClaim[] {
  return allocationIds.map((allocationId): AddressClaim => {
    const a = addresses.find((x) => x.AllocationId === allocationId);
    if (!a) return { allocationId, state: 'missing' };
    if (!a.AssociationId) return { allocationId, state: 'free' };
    const holder = a.InstanceId ?? a.NetworkInterfaceId ?? a.AssociationId;
    const mine =
      ours.associationIds.includes(a.AssociationId) ||
      (!!a.InstanceId && ours.holderIds.includes(a.InstanceId)) ||
      (!!a.NetworkInterfaceId && ours.holderIds.includes(a.NetworkInterfaceId));
    return { allocationId, state: mine ? 'ours' : 'other', holder };
  });
}
