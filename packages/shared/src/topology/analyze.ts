/**
 * Pure analysis of a VPC's NAT topology (no AWS calls): which subnets are private, where their default
 * routes lead, which NAT serves which AZ, whether each NAT can forward with its Elastic IP, and what the
 * addresses should be. Produces findings for the NAT, routes, addresses and quiesce checks.
 */
import type { Instance, NatGateway, RouteTable, Subnet, Tag } from '@aws-sdk/client-ec2';
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

function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

function sorted<T>(items: Iterable<T>): T[] {
  return [...items].sort();
}

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

function instanceSummary(instance: Instance, snap: TopologySnapshot, publicSubnets: Set<string>): NatSummary {
  const id = instance.InstanceId as string;
  const eniIds = (instance.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId).filter((e): e is string => !!e);
  const address = snap.addresses.find((a) => a.InstanceId === id || (a.NetworkInterfaceId && eniIds.includes(a.NetworkInterfaceId)));
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
  if (instance.ImageId) summary.imageId = instance.ImageId;
  if (image) {
    summary.imageRole = tagValue(image.Tags, 'Role') ?? null;
    if (image.Name) summary.imageName = image.Name;
  }
  return summary;
}

function gatewaySummary(gateway: NatGateway, subnets: Map<string, Subnet>, publicSubnets: Set<string>): NatSummary {
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
  return summary;
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

const LIVE_INSTANCE = new Set(['pending', 'running']);
const LIVE_GATEWAY = new Set(['pending', 'available']);

function describeTarget(route: DefaultRoute): string {
  return `${route.target}${route.state && route.state !== 'active' ? ` (${route.state})` : ''}`;
}

function natLabel(nat: NatSummary): string {
  return `${nat.kind === 'instance' ? 'NAT instance' : 'NAT gateway'} ${nat.id}${nat.name ? ` (${nat.name})` : ''}`;
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
  const instanceNats = snap.natInstances.map((i) => instanceSummary(i, snap, publicSubnets));
  const gatewayNats = snap.natGateways
    .filter((g) => g.State !== 'deleted' && (g.ConnectivityType ?? 'public') === 'public')
    .map((g) => gatewaySummary(g, subnetById, publicSubnets));
  const allNats = [...instanceNats, ...gatewayNats];
  const privateGateways = new Set(snap.natGateways.filter((g) => g.ConnectivityType === 'private').map((g) => g.NatGatewayId));
  const natForRoute = (route: DefaultRoute): NatSummary | undefined => {
    if (route.kind === 'nat-gateway') return gatewayNats.find((n) => n.id === route.target);
    if (route.kind === 'instance') return instanceNats.find((n) => n.id === route.target || n.eniIds.includes(route.target));
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
      privateSubnetIds: sorted(privateSubnets.filter((s) => (s.AvailabilityZone ?? 'unknown') === az).map((s) => s.SubnetId as string)),
      routeTableIds: tables.map((rt) => rt.id),
      natIds: nats.filter((n) => active(n) && n.az === az).map((n) => n.id),
      egressNatIds,
      egressIps: sorted(new Set(egressNatIds.map((id) => allNats.find((n) => n.id === id)?.publicIp).filter((ip): ip is string => !!ip))),
    };
  });

  // Addresses.
  const expected = new Set(options.expectedIps);
  const addresses: AddressSummary[] = snap.addresses
    .filter((a) => a.PublicIp)
    .map((a) => {
      const nat = allNats.find((n) => (n.allocationId && n.allocationId === a.AllocationId) || (n.publicIp && n.publicIp === a.PublicIp));
      const summary: AddressSummary = { publicIp: a.PublicIp as string, expected: expected.has(a.PublicIp as string) };
      if (a.AllocationId) summary.allocationId = a.AllocationId;
      const name = tagValue(a.Tags, 'Name');
      if (name !== undefined) summary.name = name;
      const ptr = a.AllocationId ? ptrByAllocation.get(a.AllocationId) : undefined;
      if (ptr) summary.ptr = ptr;
      if (nat) summary.natId = nat.id;
      else if (a.InstanceId || a.NetworkInterfaceId) summary.associatedWith = (a.InstanceId ?? a.NetworkInterfaceId) as string;
      return summary;
    })
    .filter((a) => a.natId || a.expected)
    .sort((x, y) => x.publicIp.localeCompare(y.publicIp));
  const allocated = new Set(snap.addresses.map((a) => a.PublicIp));
  const natPublicIps = sorted(new Set(nats.filter(active).map((n) => n.publicIp).filter((ip): ip is string => !!ip)));

  if (snap.addressAttributesError) {
    add({ severity: 'warning', check: 'addresses', message: `Reverse DNS of the Elastic IPs could not be read: ${snap.addressAttributesError}` });
  }

  if (options.expectQuiesced) {
    quiesceFindings(add, instanceNats, gatewayNats, routeTables);
    for (const ip of sorted(expected)) {
      if (!allocated.has(ip)) {
        add({ severity: 'error', check: 'addresses', resource: ip, message: `Expected Elastic IP ${ip} is no longer allocated in ${snap.region}: it must survive quiesce (SPF, reverse DNS and allow-lists depend on it)` });
      }
    }
  } else {
    if (privateSubnets.length === 0) {
      add({ severity: 'warning', check: 'vpc', message: `VPC ${snap.vpc.VpcId} has no private subnets (every subnet routes 0.0.0.0/0 to an internet gateway): nothing egresses through a NAT` });
    }
    for (const subnet of subnetsWithoutTable) {
      add({ severity: 'error', check: 'routes', az: subnet.AvailabilityZone, resource: subnet.SubnetId, message: `Subnet ${subnet.SubnetId} has no route table (and the VPC has no main route table)` });
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
    for (const az of azs) {
      if (az.natIds.length > 0 || mode === 'none') continue;
      const served = az.egressNatIds.some((id) => allNats.find((n) => n.id === id)?.healthy);
      if (!served) {
        add({ severity: 'error', check: 'nat', az: az.az, message: `No ${mode === 'instance' ? 'running NAT instance' : 'available NAT gateway'} in ${az.az}, and its private subnets do not reach one elsewhere` });
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
        add({ severity: 'error', check: 'addresses', resource: ip, message: `Expected egress IP ${ip} is not on any NAT${why}: SPF, allow-lists and reverse DNS depend on it` });
      }
      for (const ip of natPublicIps) {
        if (expected.has(ip)) continue;
        const nat = nats.find((n) => n.publicIp === ip) as NatSummary;
        add({ severity: 'error', check: 'addresses', az: nat.az, resource: nat.id, message: `${natLabel(nat)} egresses from ${ip}, which is not in expected-ips` });
      }
    }
  }

  const probeTargets = probeTargetsOf(snap, rtBySubnet, publicSubnets, allNats, add);
  const analysis: TopologyAnalysis = {
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

function quiesceFindings(add: (f: Finding) => void, instanceNats: NatSummary[], gatewayNats: NatSummary[], routeTables: RouteTableSummary[]): void {
  for (const nat of [...instanceNats, ...gatewayNats]) {
    const live = nat.kind === 'instance' ? LIVE_INSTANCE.has(nat.state) : LIVE_GATEWAY.has(nat.state);
    if (live) {
      add({ severity: 'error', check: 'quiesce', az: nat.az, resource: nat.id, message: `expect-quiesced is true but ${natLabel(nat)} is ${nat.state}` });
    } else if (nat.kind === 'instance' || nat.state !== 'deleting') {
      add({ severity: 'info', check: 'quiesce', az: nat.az, resource: nat.id, message: `${natLabel(nat)} exists but is ${nat.state}` });
    }
  }
  for (const rt of routeTables) {
    if (rt.defaultRoute.kind === 'none') continue;
    add({
      severity: 'error',
      check: 'quiesce',
      resource: rt.id,
      az: rt.azs.join(', '),
      message: `expect-quiesced is true but private route table ${rt.id} still has 0.0.0.0/0 → ${describeTarget(rt.defaultRoute)}`,
    });
  }
}

function routeFindings(add: (f: Finding) => void, routeTables: RouteTableSummary[], allNats: NatSummary[], mode: DetectedMode, privateGateways: Set<string | undefined>): void {
  for (const rt of routeTables) {
    const where = `private route table ${rt.id}${rt.main ? ' (main)' : ''} (${rt.subnetIds.length} subnet${rt.subnetIds.length === 1 ? '' : 's'} in ${rt.azs.join(', ')})`;
    const az = rt.azs.join(', ');
    const route = rt.defaultRoute;
    if (route.kind === 'none') {
      add({ severity: 'error', check: 'routes', az, resource: rt.id, message: `${capital(where)} has no 0.0.0.0/0 route: subnets ${rt.subnetIds.join(', ')} have no internet egress` });
      continue;
    }
    if (route.state === 'blackhole') {
      add({ severity: 'error', check: 'routes', az, resource: rt.id, message: `${capital(where)}: 0.0.0.0/0 → ${route.target} is a blackhole (the target was deleted, stopped or detached)` });
      continue;
    }
    if (route.kind === 'other') {
      add({ severity: 'warning', check: 'routes', az, resource: rt.id, message: `${capital(where)}: 0.0.0.0/0 → ${route.target} is not a NAT; egress through it is not verified here` });
      continue;
    }
    const nat = route.natId ? allNats.find((n) => n.id === route.natId) : undefined;
    if (!nat) {
      const what =
        route.kind === 'nat-gateway'
          ? privateGateways.has(route.target)
            ? `private NAT gateway ${route.target} (private NAT gateways give no internet egress)`
            : `NAT gateway ${route.target}, which is deleted or not in this VPC`
          : `${route.target}, which is not an instance named like the NAT pattern`;
      add({ severity: 'error', check: 'routes', az, resource: rt.id, message: `${capital(where)}: 0.0.0.0/0 → ${what}` });
      continue;
    }
    if (mode !== 'none' && nat.kind !== mode) {
      add({ severity: 'warning', check: 'routes', az, resource: rt.id, message: `${capital(where)} routes to ${natLabel(nat)} while the mode is ${mode} (a mode switch in progress?)` });
    }
    const usable = nat.kind === 'instance' ? nat.state === 'running' : nat.state === 'available';
    if (!usable) {
      add({ severity: 'error', check: 'routes', az, resource: rt.id, message: `${capital(where)} routes to ${natLabel(nat)}, which is ${nat.state}` });
    }
    const otherAzs = rt.azs.filter((a) => a !== nat.az);
    if (otherAzs.length > 0) {
      add({
        severity: 'warning',
        check: 'routes',
        az: otherAzs.join(', '),
        resource: rt.id,
        message: `${capital(where)} routes to ${natLabel(nat)} in ${nat.az}: cross-AZ egress (data charges, and ${otherAzs.join(', ')} fails with ${nat.az})`,
      });
    }
  }
}

function natFindings(add: (f: Finding) => void, nats: NatSummary[], routeTables: RouteTableSummary[]): void {
  for (const nat of nats) {
    const at = { check: 'nat' as const, az: nat.az, resource: nat.id };
    const label = natLabel(nat);
    if (nat.kind === 'instance') {
      if (nat.state !== 'running') add({ ...at, severity: 'error', message: `${label} is ${nat.state}` });
      if (nat.sourceDestCheck !== false) {
        add({ ...at, severity: 'error', message: `${label} has source/destination check enabled: it drops the traffic it should forward (set source_dest_check = false)` });
      }
      if (!nat.publicIp) add({ ...at, severity: 'error', message: `${label} has no Elastic IP associated: it cannot reach the internet (a gateway→instance cutover may need its second apply)` });
      else if (!nat.elasticIp) add({ ...at, severity: 'error', message: `${label} egresses from ${nat.publicIp}, an auto-assigned public IP rather than an Elastic IP` });
      if (nat.imageRole === null) {
        add({ ...at, severity: 'error', message: `${label} runs AMI ${nat.imageId}${nat.imageName ? ` (${nat.imageName})` : ''}, which has no Role tag: its Image Builder test stage did not pass` });
      } else if (nat.imageRole === undefined && nat.imageId) {
        add({ ...at, severity: 'warning', message: `${label} runs AMI ${nat.imageId}, which could not be described (deregistered?): its Role tag is not verified` });
      }
    } else {
      if (nat.state !== 'available') {
        add({ ...at, severity: 'error', message: `${label} is ${nat.state}${nat.failureMessage ? `: ${nat.failureMessage}` : ''}` });
      }
      if (!nat.publicIp) add({ ...at, severity: 'error', message: `${label} has no Elastic IP` });
    }
    if (!nat.inPublicSubnet) {
      add({ ...at, severity: 'error', message: `${label} sits in subnet ${nat.subnetId}, which has no internet-gateway default route` });
    }
    const served = sorted(new Set(routeTables.filter((rt) => rt.defaultRoute.natId === nat.id).flatMap((rt) => rt.azs)));
    if (served.length === 0) {
      add({ ...at, severity: 'warning', message: `${label} is not the default route of any private route table` });
    } else if (served.length > 1) {
      add({ ...at, severity: 'warning', message: `${label} serves ${served.length} AZs (${served.join(', ')}): a single point of failure for all of them` });
    }
  }
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
      add({ severity: 'info', check: 'probe', az, resource: id, message: `Probe instance ${id} is ${instance.State?.Name ?? 'in an unknown state'}: not used` });
      continue;
    }
    if (instance.SubnetId && publicSubnets.has(instance.SubnetId)) {
      add({ severity: 'warning', check: 'probe', az, resource: id, message: `Probe instance ${id} is in public subnet ${instance.SubnetId}: it egresses through the internet gateway, not a NAT, so it is not used` });
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
        if (nat.publicIp) target.expectedIp = nat.publicIp;
      }
    }
    byAz.set(az, target);
  }
  return sorted(byAz.keys()).map((az) => byAz.get(az) as ProbeTarget);
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
