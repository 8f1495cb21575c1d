/**
 * The NAT model from live EC2 describes (EC2 API NatGateway: AvailabilityMode, AutoProvisionZones,
 * AutoScalingIps, NatGatewayAddresses[].AvailabilityZone; Instance; NetworkInterface; Address).
 */
import type { Address, Instance, NatGateway, NetworkInterface } from '@aws-sdk/client-ec2';
import type { NatTopology } from './types';

/** The EC2 side: what `readTopology` saw, as the same model (routes are per route table, keyed by AZ). */
export function modelFromEc2(input: {
  natGateways: NatGateway[];
  natInstances: Instance[];
  natInterfaces?: NetworkInterface[];
  addresses: Address[];
  /** AZ of each subnet (gateway placement). */
  subnetAz: ReadonlyMap<string, string>;
  routes: { tableId: string; azs: string[]; target: string }[];
}): NatTopology {
  const model: NatTopology = { nats: [], routes: [], claims: [] };
  for (const g of input.natGateways) {
    if (g.State === 'deleted') continue;
    const id = g.NatGatewayId as string;
    const addrs = g.NatGatewayAddresses ?? [];
    if (g.ConnectivityType === 'private') {
      model.nats.push({
        ref: id,
        kind: 'private-gateway',
        key: (g.SubnetId && input.subnetAz.get(g.SubnetId)) ?? '-',
        ids: [id],
        allocationIds: [],
      });
    } else if (g.AvailabilityMode === 'regional') {
      const zones = new Map<string, string[]>();
      for (const a of addrs)
        if (a.AvailabilityZone)
          zones.set(a.AvailabilityZone, [
            ...(zones.get(a.AvailabilityZone) ?? []),
            ...(a.AllocationId ? [a.AllocationId] : []),
          ]);
      model.nats.push({
        ref: id,
        kind: 'regional-gateway',
        key: '-',
        ids: [id],
        allocationIds: addrs.map((a) => a.AllocationId).filter((x): x is string => !!x),
        regionalMode: g.AutoProvisionZones === 'enabled' ? 'automatic' : 'manual',
        autoScalingIps: g.AutoScalingIps === 'enabled',
        zones: [...zones].map(([az, allocationIds]) => ({ az, allocationIds })),
      });
    } else {
      model.nats.push({
        ref: id,
        kind: 'zonal-gateway',
        key: (g.SubnetId && input.subnetAz.get(g.SubnetId)) ?? 'unknown',
        ids: [id, ...addrs.map((a) => a.NetworkInterfaceId).filter((x): x is string => !!x)],
        allocationIds: addrs.map((a) => a.AllocationId).filter((x): x is string => !!x),
      });
    }
  }
  const held = (ids: string[]) =>
    input.addresses
      .filter(
        (a) =>
          a.AllocationId &&
          ((a.InstanceId && ids.includes(a.InstanceId)) ||
            (a.NetworkInterfaceId && ids.includes(a.NetworkInterfaceId))),
      )
      .map((a) => a.AllocationId as string);
  for (const i of input.natInstances) {
    const ids = [
      i.InstanceId as string,
      ...(i.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId).filter((x): x is string => !!x),
    ];
    model.nats.push({
      ref: i.InstanceId as string,
      kind: 'instance',
      key: i.Placement?.AvailabilityZone ?? 'unknown',
      ids,
      allocationIds: held(ids),
    });
  }
  for (const eni of input.natInterfaces ?? []) {
    const id = eni.NetworkInterfaceId as string;
    if (model.nats.some((n) => n.kind === 'instance' && n.ids.includes(id) && n.ids[0] === eni.Attachment?.InstanceId))
      continue;
    model.nats.push({
      ref: id,
      kind: 'interface',
      key: eni.AvailabilityZone ?? 'unknown',
      ids: [id],
      allocationIds: held([id]),
    });
  }
  for (const r of input.routes)
    for (const az of r.azs)
      model.routes.push({ ref: r.tableId, key: az, targetIds: r.target ? [r.target] : [], unknown: false });
  return model;
}
