/**
 * Live NAT summaries from EC2 shapes: NAT instances, NAT gateways (zonal and regional), and network interfaces
 * that NAT instances attach to (ENI-based NAT run by an Auto Scaling group: the interface is the NAT's identity,
 * the instance behind it changes).
 */
import type { Instance, NatGateway, NetworkInterface, Subnet, Tag } from '@aws-sdk/client-ec2';
import type { DefaultRoute, NatSummary, TopologySnapshot } from './types';

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

export function sorted<T>(items: Iterable<T>): T[] {
  return [...items].sort();
}

export function instanceSummary(instance: Instance, snap: TopologySnapshot, publicSubnets: Set<string>): NatSummary {
  const id = instance.InstanceId as string;
  const eniIds = (instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId).filter((e): e is string => !!e);
  const address = snap.addresses.find(
    (a) => a.InstanceId === id || (a.NetworkInterfaceId && eniIds.includes(a.NetworkInterfaceId)),
  );
  const primary = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
  const sourceDestCheck = instance.SourceDestCheck ?? primary?.SourceDestCheck;
  const image = snap.images.find((img) => img.ImageId === instance.ImageId);
  const publicIp = address?.PublicIp ?? instance.PublicIpAddress;
  const state = instance.State?.Name ?? 'unknown';
  const elasticIp = !!address?.AllocationId;
  const summary: NatSummary = {
    id,
    kind: 'instance',
    az: instance.Placement?.AvailabilityZone ?? 'unknown',
    state,
    inPublicSubnet: !!instance.SubnetId && publicSubnets.has(instance.SubnetId),
    elasticIp,
    eniIds,
    healthy: state === 'running' && sourceDestCheck === false && elasticIp,
  };
  const name = tagValue(instance.Tags, 'Name');
  if (name !== undefined) summary.name = name;
  if (instance.SubnetId) summary.subnetId = instance.SubnetId;
  if (publicIp) summary.publicIp = publicIp;
  if (address?.AllocationId) summary.allocationId = address.AllocationId;
  if (sourceDestCheck !== undefined) summary.sourceDestCheck = sourceDestCheck;
  const perInterface = (instance.NetworkInterfaces ?? []).filter(
    (n) => n.NetworkInterfaceId && n.SourceDestCheck !== undefined,
  );
  if (perInterface.length > 0)
    summary.interfaceSourceDestCheck = Object.fromEntries(
      perInterface.map((n) => [n.NetworkInterfaceId as string, n.SourceDestCheck as boolean]),
    );
  if (instance.ImageId) summary.imageId = instance.ImageId;
  if (image) {
    summary.imageRole = tagValue(image.Tags, 'Role') ?? null;
    if (image.Name) summary.imageName = image.Name;
  }
  return summary;
}

export function gatewaySummary(
  gateway: NatGateway,
  subnets: Map<string, Subnet>,
  publicSubnets: Set<string>,
): NatSummary {
  const addresses = gateway.NatGatewayAddresses ?? [];
  const address = addresses.find((a) => a.IsPrimary) ?? addresses.find((a) => a.PublicIp) ?? addresses[0];
  const state = gateway.State ?? 'unknown';
  const subnet = gateway.SubnetId ? subnets.get(gateway.SubnetId) : undefined;
  const summary: NatSummary = {
    id: gateway.NatGatewayId as string,
    kind: 'gateway',
    az: subnet?.AvailabilityZone ?? (gateway.SubnetId ? 'unknown' : 'regional'),
    state,
    inPublicSubnet: !gateway.SubnetId || publicSubnets.has(gateway.SubnetId),
    elasticIp: !!address?.AllocationId,
    eniIds: addresses.map((a) => a.NetworkInterfaceId).filter((e): e is string => !!e),
    healthy: state === 'available' && !!address?.PublicIp,
  };
  const name = tagValue(gateway.Tags, 'Name');
  if (name !== undefined) summary.name = name;
  if (gateway.SubnetId) summary.subnetId = gateway.SubnetId;
  if (address?.PublicIp) summary.publicIp = address.PublicIp;
  if (address?.AllocationId) summary.allocationId = address.AllocationId;
  if (gateway.FailureMessage) summary.failureMessage = gateway.FailureMessage;
  if (gateway.AvailabilityMode === 'regional') {
    const ipsByAz: Record<string, string[]> = {};
    for (const a of addresses)
      if (a.AvailabilityZone && a.PublicIp)
        ipsByAz[a.AvailabilityZone] = [...(ipsByAz[a.AvailabilityZone] ?? []), a.PublicIp].sort();
    summary.regional = {
      mode: gateway.AutoProvisionZones === 'enabled' ? 'automatic' : 'manual',
      autoScalingIps: gateway.AutoScalingIps === 'enabled',
      ipsByAz,
    };
    summary.elasticIp = addresses.some((a) => a.AllocationId);
    summary.healthy = state === 'available' && addresses.some((a) => a.PublicIp);
  }
  return summary;
}

/**
 * ENI-based NAT (an Auto Scaling group of one whose instance attaches a static interface at boot): the
 * interface is the NAT. Healthy when it is attached to a running instance, its source/dest check is off and
 * the Elastic IP is on it. `instance` is the instance attached now, when there is one.
 */
export function interfaceSummary(
  eni: NetworkInterface,
  instance: Instance | undefined,
  snap: TopologySnapshot,
  publicSubnets: Set<string>,
): NatSummary {
  const id = eni.NetworkInterfaceId as string;
  const address = snap.addresses.find((a) => a.NetworkInterfaceId === id);
  const attachment = eni.Attachment?.Status ?? 'detached';
  const state = attachment === 'attached' && instance ? (instance.State?.Name ?? 'unknown') : 'detached';
  const publicIp = address?.PublicIp ?? eni.Association?.PublicIp;
  const elasticIp = !!(address?.AllocationId ?? eni.Association?.AllocationId);
  const summary: NatSummary = {
    id,
    kind: 'instance',
    az: eni.AvailabilityZone ?? 'unknown',
    state,
    inPublicSubnet: !!eni.SubnetId && publicSubnets.has(eni.SubnetId),
    elasticIp,
    eniIds: [id],
    attachment,
    healthy: state === 'running' && eni.SourceDestCheck === false && elasticIp,
  };
  const name = tagValue(eni.TagSet, 'Name');
  if (name !== undefined) summary.name = name;
  if (eni.SubnetId) summary.subnetId = eni.SubnetId;
  if (publicIp) summary.publicIp = publicIp;
  const allocationId = address?.AllocationId ?? eni.Association?.AllocationId;
  if (allocationId) summary.allocationId = allocationId;
  if (eni.SourceDestCheck !== undefined) {
    summary.sourceDestCheck = eni.SourceDestCheck;
    summary.interfaceSourceDestCheck = { [id]: eni.SourceDestCheck };
  }
  if (instance && attachment === 'attached') {
    summary.instanceId = instance.InstanceId as string;
    if (instance.ImageId) summary.imageId = instance.ImageId;
  }
  return summary;
}

export const LIVE_INSTANCE = new Set(['pending', 'running']);
export const LIVE_GATEWAY = new Set(['pending', 'available']);

export function describeTarget(route: DefaultRoute): string {
  return `${route.target}${route.state && route.state !== 'active' ? ` (${route.state})` : ''}`;
}

export function natLabel(nat: NatSummary): string {
  const what =
    nat.attachment !== undefined
      ? 'NAT network interface'
      : nat.kind === 'instance'
        ? 'NAT instance'
        : nat.regional
          ? 'regional NAT gateway'
          : 'NAT gateway';
  return `${what} ${nat.id}${nat.name ? ` (${nat.name})` : ''}`;
}

/** The public IPs a workload in `az` egresses from through `nat`: a regional gateway's addresses in that AZ, else the NAT's IP. */
export function egressIpsOf(nat: NatSummary | undefined, az: string): string[] {
  if (!nat) return [];
  if (nat.regional) return nat.regional.ipsByAz[az] ?? [];
  return nat.publicIp ? [nat.publicIp] : [];
}
