/**
 * Pure analysis of a VPC's NAT topology (no AWS calls): which subnets are private, where their default
 * routes lead, which NAT serves which AZ, whether each NAT can forward with its Elastic IP, and what the
 * addresses should be. Produces findings for the NAT, routes, addresses and quiesce checks.
 */
import type { RouteTable, Subnet } from '@aws-sdk/client-ec2';
import { natFindings, quiesceFindings, regionalFindings, routeFindings } from './topology-checks';
import { modelFromEc2 } from '../nat/index';
import {
  LIVE_GATEWAY,
  LIVE_INSTANCE,
  egressIpsOf,
  gatewaySummary,
  instanceSummary,
  interfaceSummary,
  natLabel,
  sorted,
  tagValue,
} from './nats';
import type {
  AddressSummary,
  AnalyzeOptions,
  AzSummary,
  DefaultRoute,
  DetectedMode,
  Finding,
  NatSummary,
  ProbeTarget,
  RouteTableSummary,
  SsmEndpoints,
  TopologyAnalysis,
  TopologySnapshot,
} from './types';

const DEFAULT_ROUTE = '0.0.0.0/0';

export function defaultRouteOf(table: RouteTable): DefaultRoute {
  const route = table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
  if (!route) return { kind: 'none', target: '', state: '' };
  const state = route.State ?? 'active';
  if (route.NatGatewayId) return { kind: 'nat-gateway', target: route.NatGatewayId, state };
  if (route.NetworkInterfaceId || route.InstanceId) {
    return { kind: 'instance', target: (route.NetworkInterfaceId ?? route.InstanceId) as string, state };
  }
  if (route.GatewayId?.startsWith('igw-')) return { kind: 'internet-gateway', target: route.GatewayId, state };
  const other =
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.GatewayId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn ??
    route.EgressOnlyInternetGatewayId ??
    'unknown target';
  return { kind: 'other', target: other, state };
}

/** Each subnet's route table: its explicit association, else the VPC's main route table. */
export function routeTableBySubnet(subnets: Subnet[], tables: RouteTable[]): Map<string, RouteTable | undefined> {
  const explicit = new Map<string, RouteTable>();
  let main: RouteTable | undefined;
  for (const table of tables) {
    for (const assoc of table.Associations ?? []) {
      if (assoc.Main) main = table;
      if (assoc.SubnetId && assoc.AssociationState?.State !== 'disassociated') explicit.set(assoc.SubnetId, table);
    }
  }
  return new Map(subnets.map((s) => [s.SubnetId as string, explicit.get(s.SubnetId as string) ?? main]));
}

function ssmEndpointsOf(snap: TopologySnapshot): SsmEndpoints {
  const have = (svc: string) =>
    snap.vpcEndpoints.some(
      (e) =>
        (e.VpcEndpointType ?? 'Interface') === 'Interface' &&
        (e.State ?? 'available').toLowerCase() === 'available' &&
        e.ServiceName === `com.amazonaws.${snap.region}.${svc}`,
    );
  return { ssm: have('ssm'), ec2messages: have('ec2messages'), ssmmessages: have('ssmmessages') };
}

export function analyzeTopology(snap: TopologySnapshot, options: AnalyzeOptions): TopologyAnalysis {
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const subnetById = new Map(snap.subnets.map((s) => [s.SubnetId as string, s]));
  const rtBySubnet = routeTableBySubnet(snap.subnets, snap.routeTables);

  const publicSubnets = new Set<string>();
  const privateSubnets: Subnet[] = [];
  for (const subnet of snap.subnets) {
    const table = rtBySubnet.get(subnet.SubnetId as string);
    if (table && defaultRouteOf(table).kind === 'internet-gateway') publicSubnets.add(subnet.SubnetId as string);
    else privateSubnets.push(subnet);
  }

  // NATs of both kinds (the mode decides which are "active").
  const instanceNats = [
    ...snap.natInstances.map((i) => instanceSummary(i, snap, publicSubnets)),
    ...(snap.natInterfaces ?? []).map((eni) =>
      interfaceSummary(
        eni,
        snap.interfaceInstances?.find((i) => i.InstanceId === eni.Attachment?.InstanceId),
        snap,
        publicSubnets,
      ),
    ),
  ];
  const gatewayNats = snap.natGateways
    .filter((g) => g.State !== 'deleted' && (g.ConnectivityType ?? 'public') === 'public')
    .map((g) => gatewaySummary(g, subnetById, publicSubnets));
  const allNats = [...instanceNats, ...gatewayNats];
  const privateGateways = new Set(
    snap.natGateways.filter((g) => g.ConnectivityType === 'private').map((g) => g.NatGatewayId),
  );
  const natForRoute = (route: DefaultRoute): NatSummary | undefined => {
    if (route.kind === 'nat-gateway') return gatewayNats.find((n) => n.id === route.target);
    if (route.kind === 'instance')
      return instanceNats.find((n) => n.id === route.target || n.eniIds.includes(route.target));
    return undefined;
  };

  // PTRs onto NATs.
  const ptrByAllocation = new Map(snap.addressAttributes.map((a) => [a.AllocationId, a.PtrRecord]));
  for (const nat of allNats) {
    const ptr = nat.allocationId ? ptrByAllocation.get(nat.allocationId) : undefined;
    if (ptr) nat.ptr = ptr;
  }

  // Private route tables (one entry per table, with the private subnets that use it).
  const rtSummaries = new Map<string, RouteTableSummary>();
  const subnetsWithoutTable: Subnet[] = [];
  for (const subnet of privateSubnets) {
    const table = rtBySubnet.get(subnet.SubnetId as string);
    if (!table) {
      subnetsWithoutTable.push(subnet);
      continue;
    }
    const id = table.RouteTableId as string;
    let summary = rtSummaries.get(id);
    if (!summary) {
      const defaultRoute = defaultRouteOf(table);
      const nat = natForRoute(defaultRoute);
      if (nat) defaultRoute.natId = nat.id;
      summary = {
        id,
        main: !!table.Associations?.some((a) => a.Main),
        subnetIds: [],
        azs: [],
        defaultRoute,
      };
      const name = tagValue(table.Tags, 'Name');
      if (name !== undefined) summary.name = name;
      rtSummaries.set(id, summary);
    }
    summary.subnetIds.push(subnet.SubnetId as string);
    const az = subnet.AvailabilityZone ?? 'unknown';
    if (!summary.azs.includes(az)) summary.azs.push(az);
  }
  const routeTables = sorted(rtSummaries.keys()).map((id) => {
    const rt = rtSummaries.get(id) as RouteTableSummary;
    rt.subnetIds.sort();
    rt.azs.sort();
    return rt;
  });

  // Mode: the input, else what the private routes point at, else what exists.
  let mode: DetectedMode;
  let modeSource: 'input' | 'detected' = 'input';
  if (options.mode !== 'auto') {
    mode = options.mode;
  } else {
    modeSource = 'detected';
    const viaInstance = routeTables.filter((rt) => rt.defaultRoute.kind === 'instance').length;
    const viaGateway = routeTables.filter((rt) => rt.defaultRoute.kind === 'nat-gateway').length;
    const liveInstances = instanceNats.filter((n) => LIVE_INSTANCE.has(n.state)).length;
    const liveGateways = gatewayNats.filter((n) => LIVE_GATEWAY.has(n.state)).length;
    if (viaInstance + viaGateway > 0) mode = viaInstance > viaGateway ? 'instance' : 'gateway';
    else if (liveInstances + liveGateways > 0) mode = liveInstances > liveGateways ? 'instance' : 'gateway';
    else mode = 'none';
  }
  const active = (nat: NatSummary) => nat.kind === mode;
  const nats = allNats.filter((n) => active(n) || routeTables.some((rt) => rt.defaultRoute.natId === n.id));

  // AZs with private subnets.
  const azNames = sorted(new Set(privateSubnets.map((s) => s.AvailabilityZone ?? 'unknown')));
  const azs: AzSummary[] = azNames.map((az) => {
    const tables = routeTables.filter((rt) => rt.azs.includes(az));
    const egressNatIds = sorted(new Set(tables.map((rt) => rt.defaultRoute.natId).filter((id): id is string => !!id)));
    return {
      az,
      privateSubnetIds: sorted(
        privateSubnets.filter((s) => (s.AvailabilityZone ?? 'unknown') === az).map((s) => s.SubnetId as string),
      ),
      routeTableIds: tables.map((rt) => rt.id),
      natIds: nats.filter((n) => active(n) && n.az === az).map((n) => n.id),
      egressNatIds,
      egressIps: sorted(
        new Set(
          egressNatIds.flatMap((id) =>
            egressIpsOf(
              allNats.find((n) => n.id === id),
              az,
            ),
          ),
        ),
      ),
    };
  });

  // Addresses.
  const expected = new Set(options.expectedIps);
  const addresses: AddressSummary[] = snap.addresses
    .filter((a) => a.PublicIp)
    .map((a) => {
      const nat = allNats.find(
        (n) => (n.allocationId && n.allocationId === a.AllocationId) || (n.publicIp && n.publicIp === a.PublicIp),
      );
      const summary: AddressSummary = { publicIp: a.PublicIp as string, expected: expected.has(a.PublicIp as string) };
      if (a.AllocationId) summary.allocationId = a.AllocationId;
      const name = tagValue(a.Tags, 'Name');
      if (name !== undefined) summary.name = name;
      const ptr = a.AllocationId ? ptrByAllocation.get(a.AllocationId) : undefined;
      if (ptr) summary.ptr = ptr;
      if (nat) summary.natId = nat.id;
      else if (a.InstanceId || a.NetworkInterfaceId)
        summary.associatedWith = (a.InstanceId ?? a.NetworkInterfaceId) as string;
      return summary;
    })
    .filter((a) => a.natId || a.expected)
    .sort((x, y) => x.publicIp.localeCompare(y.publicIp));
  const allocated = new Set(snap.addresses.map((a) => a.PublicIp));
  const natPublicIps = sorted(
    new Set(
      nats
        .filter(active)
        .flatMap((n) => (n.regional ? Object.values(n.regional.ipsByAz).flat() : n.publicIp ? [n.publicIp] : [])),
    ),
  );

  if (snap.addressAttributesError) {
    add({
      severity: 'warning',
      check: 'addresses',
      message: `Reverse DNS of the Elastic IPs could not be read: ${snap.addressAttributesError}`,
    });
  }

  if (options.expectQuiesced) {
    quiesceFindings(add, instanceNats, gatewayNats, routeTables);
    for (const ip of sorted(expected)) {
      if (!allocated.has(ip)) {
        add({
          severity: 'error',
          check: 'addresses',
          resource: ip,
          message: `Expected Elastic IP ${ip} is no longer allocated in ${snap.region}: it must survive quiesce (SPF, reverse DNS and allow-lists depend on it)`,
        });
      }
    }
  } else {
    if (privateSubnets.length === 0) {
      add({
        severity: 'warning',
        check: 'vpc',
        message: `VPC ${snap.vpc.VpcId} has no private subnets (every subnet routes 0.0.0.0/0 to an internet gateway): nothing egresses through a NAT`,
      });
    }
    for (const subnet of subnetsWithoutTable) {
      add({
        severity: 'error',
        check: 'routes',
        az: subnet.AvailabilityZone,
        resource: subnet.SubnetId,
        message: `Subnet ${subnet.SubnetId} has no route table (and the VPC has no main route table)`,
      });
    }
    if (mode === 'none' && privateSubnets.length > 0) {
      add({
        severity: 'error',
        check: 'nat',
        message: `No NAT found in ${snap.vpc.VpcId}: no instance named ${options.natNamePattern} and no NAT gateway. If the environment is quiesced, set expect-quiesced: true`,
      });
    }
    routeFindings(add, routeTables, allNats, mode, privateGateways);
    natFindings(add, nats.filter(active), routeTables);
    regionalFindings(
      add,
      nats.filter((n) => n.regional),
      routeTables,
      options.expectedIps.length > 0,
    );
    for (const g of snap.natGateways.filter((x) => x.ConnectivityType === 'private' && x.State !== 'deleted')) {
      const az = (g.SubnetId && subnetById.get(g.SubnetId)?.AvailabilityZone) || undefined;
      add({
        severity: 'info',
        check: 'nat',
        ...(az ? { az } : {}),
        resource: g.NatGatewayId,
        message: `Private NAT gateway ${g.NatGatewayId} (${g.State ?? 'unknown'}): listed for information; private NAT gateways give no internet egress and are not checked`,
      });
    }
    for (const az of azs) {
      if (az.natIds.length > 0 || mode === 'none') continue;
      const served = az.egressNatIds.some((id) => allNats.find((n) => n.id === id)?.healthy);
      if (!served) {
        add({
          severity: 'error',
          check: 'nat',
          az: az.az,
          message: `No ${mode === 'instance' ? 'running NAT instance' : 'available NAT gateway'} in ${az.az}, and its private subnets do not reach one elsewhere`,
        });
      }
    }
    if (options.expectedIps.length > 0) {
      for (const ip of sorted(expected)) {
        if (natPublicIps.includes(ip)) continue;
        const holder = addresses.find((a) => a.publicIp === ip)?.associatedWith;
        const why = !allocated.has(ip)
          ? ' and is no longer allocated in this region (released?)'
          : holder
            ? ` (it is associated with ${holder})`
            : ' (it is allocated but not associated)';
        add({
          severity: 'error',
          check: 'addresses',
          resource: ip,
          message: `Expected egress IP ${ip} is not on any NAT${why}: SPF, allow-lists and reverse DNS depend on it`,
        });
      }
      for (const ip of natPublicIps) {
        if (expected.has(ip)) continue;
        const nat = nats.find((n) => n.publicIp === ip) as NatSummary;
        add({
          severity: 'error',
          check: 'addresses',
          az: nat.az,
          resource: nat.id,
          message: `${natLabel(nat)} egresses from ${ip}, which is not in expected-ips`,
        });
      }
    }
  }

  const probeTargets = probeTargetsOf(snap, rtBySubnet, publicSubnets, allNats, add);
  const model = modelFromEc2(snap);
  const analysis: TopologyAnalysis = {
    model,
    region: snap.region,
    vpcId: snap.vpc.VpcId as string,
    mode,
    modeSource,
    quiesced: options.expectQuiesced && !findings.some((f) => f.check === 'quiesce' && f.severity === 'error'),
    azs,
    nats,
    routeTables,
    addresses,
    natPublicIps,
    ssmEndpoints: ssmEndpointsOf(snap),
    probeTargets,
    findings,
  };
  const vpcName = tagValue(snap.vpc.Tags, 'Name');
  if (vpcName !== undefined) analysis.vpcName = vpcName;
  return analysis;
}

function probeTargetsOf(
  snap: TopologySnapshot,
  rtBySubnet: Map<string, RouteTable | undefined>,
  publicSubnets: Set<string>,
  nats: NatSummary[],
  add: (f: Finding) => void,
): ProbeTarget[] {
  const byAz = new Map<string, ProbeTarget>();
  const candidates = [...snap.probeInstances].sort((a, b) => String(a.InstanceId).localeCompare(String(b.InstanceId)));
  for (const instance of candidates) {
    const id = instance.InstanceId as string;
    const az = instance.Placement?.AvailabilityZone ?? 'unknown';
    if (instance.State?.Name !== 'running') {
      add({
        severity: 'info',
        check: 'probe',
        az,
        resource: id,
        message: `Probe instance ${id} is ${instance.State?.Name ?? 'in an unknown state'}: not used`,
      });
      continue;
    }
    if (instance.SubnetId && publicSubnets.has(instance.SubnetId)) {
      add({
        severity: 'warning',
        check: 'probe',
        az,
        resource: id,
        message: `Probe instance ${id} is in public subnet ${instance.SubnetId}: it egresses through the internet gateway, not a NAT, so it is not used`,
      });
      continue;
    }
    if (byAz.has(az)) continue;
    const table = instance.SubnetId ? rtBySubnet.get(instance.SubnetId) : undefined;
    const target: ProbeTarget = { instanceId: id, az };
    if (instance.SubnetId) target.subnetId = instance.SubnetId;
    if (table?.RouteTableId) target.routeTableId = table.RouteTableId;
    if (table) {
      const route = defaultRouteOf(table);
      const nat =
        route.kind === 'nat-gateway'
          ? nats.find((n) => n.id === route.target)
          : route.kind === 'instance'
            ? nats.find((n) => n.id === route.target || n.eniIds.includes(route.target))
            : undefined;
      if (nat) {
        target.natId = nat.id;
        // A regional gateway answers from its address in the probe's AZ.
        const ips = egressIpsOf(nat, az);
        if (ips[0]) target.expectedIp = ips[0];
        if (ips.length > 1) target.acceptedIps = ips;
      }
    }
    byAz.set(az, target);
  }
  return sorted(byAz.keys()).map((az) => byAz.get(az) as ProbeTarget);
}
