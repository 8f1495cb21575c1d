/**
 * The rehearsal's data plane: does a private subnet have egress right now, and from which public IP? moto has no
 * packets, so this answers from the control plane, the way EC2 forwards (VPC user guide: route tables, NAT
 * gateways, NAT instances):
 *
 * - the subnet's route table (its explicit association, else the VPC's main table) has a 0.0.0.0/0 route;
 * - to a NAT gateway that is `available` (not `pending`, `deleting`, `deleted` or `failed`), public, with a public
 *   address: egress from that address; or
 * - to an interface (or an instance's primary interface) attached to a `running` instance, with its
 *   source/destination check off, a public address, and security groups that let the subnet's traffic in (an
 *   ingress rule whose CIDR covers the subnet's) and out to anywhere (an egress rule to 0.0.0.0/0): egress from
 *   that address.
 *
 * Deliberately independent of the toolkit's own NAT model (packages/shared/src/nat): it is the oracle the cutover is
 * measured against. Pure: `egressOf` reads one snapshot, `egressReport` a series of them.
 */
import type {
  Instance,
  IpPermission,
  NatGateway,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  Subnet,
} from '@aws-sdk/client-ec2';

/** One read of the VPC (dataplane-watch.ts makes it through the proxy: what EC2 clients see). */
export interface EgressSnapshot {
  subnets: Subnet[];
  routeTables: RouteTable[];
  natGateways: NatGateway[];
  interfaces: NetworkInterface[];
  instances: Instance[];
  securityGroups: SecurityGroup[];
}

export interface SubnetEgress {
  subnetId: string;
  az: string;
  routeTableId: string;
  /** Does the subnet's internet traffic leave through a NAT? */
  forwards: boolean;
  /** The public IP it leaves from (when it forwards). */
  ip?: string;
  /** The route's target (nat-…, eni-…, i-…). */
  via?: string;
  /** The instance behind an interface target. */
  instanceId?: string;
  /** Why it does not forward, in a few words. */
  why?: string;
}

/** Is IPv4 CIDR `inner` inside `outer`? */
export function cidrCovers(outer: string, inner: string): boolean {
  const parse = (c: string): [number, number] | undefined => {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(c);
    if (!m) return undefined;
    const ip = m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0);
    return [ip, Number(m[5])];
  };
  const [o, i] = [parse(outer), parse(inner)];
  if (!o || !i || o[1] > i[1]) return false;
  const size = 2 ** (32 - o[1]);
  return Math.floor(o[0] / size) === Math.floor(i[0] / size);
}

const coversAny = (perms: IpPermission[] | undefined, cidr: string) =>
  (perms ?? []).some((p) => (p.IpRanges ?? []).some((r) => !!r.CidrIp && cidrCovers(r.CidrIp, cidr)));

function routeTableOf(s: EgressSnapshot, subnetId: string, vpcId: string | undefined): RouteTable | undefined {
  const explicit = s.routeTables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnetId));
  return explicit ?? s.routeTables.find((t) => t.VpcId === vpcId && (t.Associations ?? []).some((a) => a.Main));
}

function viaGateway(s: EgressSnapshot, id: string): Pick<SubnetEgress, 'forwards' | 'ip' | 'why'> {
  const g = s.natGateways.find((n) => n.NatGatewayId === id);
  if (!g) return { forwards: false, why: `${id} not found` };
  if (g.State !== 'available') return { forwards: false, why: `${id} ${g.State ?? 'in no state'}` };
  if (g.ConnectivityType === 'private') return { forwards: false, why: `${id} is a private NAT gateway` };
  const ip = (g.NatGatewayAddresses ?? []).find((a) => a.PublicIp)?.PublicIp;
  return ip ? { forwards: true, ip } : { forwards: false, why: `${id} has no public address` };
}

function viaInterface(
  s: EgressSnapshot,
  eni: NetworkInterface,
  cidr: string,
): Pick<SubnetEgress, 'forwards' | 'ip' | 'why'> {
  const id = eni.NetworkInterfaceId ?? '?';
  const instanceId = eni.Attachment?.Status === 'attached' ? eni.Attachment.InstanceId : undefined;
  if (!instanceId) return { forwards: false, why: `${id} is not attached` };
  const state = s.instances.find((i) => i.InstanceId === instanceId)?.State?.Name ?? 'gone';
  if (state !== 'running') return { forwards: false, why: `${instanceId} ${state}` };
  if (eni.SourceDestCheck !== false) return { forwards: false, why: `${id} has its source/destination check on` };
  const ip = eni.Association?.PublicIp;
  if (!ip) return { forwards: false, why: `${id} has no public address` };
  const groups = (eni.Groups ?? []).map((g) => s.securityGroups.find((sg) => sg.GroupId === g.GroupId));
  if (!groups.some((g) => coversAny(g?.IpPermissions, cidr)))
    return { forwards: false, why: `${id}: no security group lets ${cidr} in` };
  if (!groups.some((g) => coversAny(g?.IpPermissionsEgress, '0.0.0.0/0')))
    return { forwards: false, why: `${id}: no security group lets traffic out to 0.0.0.0/0` };
  return { forwards: true, ip };
}

/** The egress of every subnet associated with one of `routeTableIds` (the private tables), in subnet order. */
export function egressOf(s: EgressSnapshot, routeTableIds: readonly string[]): SubnetEgress[] {
  const out: SubnetEgress[] = [];
  for (const subnet of s.subnets) {
    const subnetId = subnet.SubnetId ?? '';
    const table = routeTableOf(s, subnetId, subnet.VpcId);
    if (!table?.RouteTableId || !routeTableIds.includes(table.RouteTableId)) continue;
    const base = { subnetId, az: subnet.AvailabilityZone ?? '?', routeTableId: table.RouteTableId };
    const route = (table.Routes ?? []).find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    const cidr = subnet.CidrBlock ?? '0.0.0.0/32';
    if (!route) {
      out.push({ ...base, forwards: false, why: 'no default route' });
    } else if (route.NatGatewayId) {
      out.push({ ...base, via: route.NatGatewayId, ...viaGateway(s, route.NatGatewayId) });
    } else if (route.NetworkInterfaceId || route.InstanceId) {
      const eni = route.NetworkInterfaceId
        ? s.interfaces.find((n) => n.NetworkInterfaceId === route.NetworkInterfaceId)
        : s.interfaces.find((n) => n.Attachment?.InstanceId === route.InstanceId && n.Attachment?.DeviceIndex === 0);
      const via = (route.NetworkInterfaceId ?? route.InstanceId) as string;
      const instanceId = eni?.Attachment?.InstanceId;
      out.push({
        ...base,
        via,
        ...(instanceId ? { instanceId } : {}),
        ...(eni ? viaInterface(s, eni, cidr) : { forwards: false, why: `${via} not found` }),
      });
    } else {
      const target = route.GatewayId ?? route.TransitGatewayId ?? route.VpcPeeringConnectionId ?? 'no target';
      out.push({ ...base, forwards: false, why: `default route to ${target}, not a NAT` });
    }
  }
  return out.sort((a, b) => (a.az < b.az ? -1 : a.az > b.az ? 1 : a.subnetId < b.subnetId ? -1 : 1));
}

/** What the subnets had from `t` until the next sample (or the end of the watch). */
export interface EgressSample {
  /** ms since the epoch: when the change happened (the call or event that made it; see dataplane-watch.ts). */
  t: number;
  subnets: SubnetEgress[];
}

export interface Interval {
  from: number;
  to: number;
}

export interface AzEgress {
  az: string;
  subnets: string[];
  /** Their route tables. */
  routeTableIds: string[];
  /** Each period some private subnet of the AZ had no egress, with the first reason seen. */
  outages: Array<Interval & { why: string }>;
  longestSeconds: number;
  totalSeconds: number;
  /** Each period some subnet of the AZ had egress from an IP outside the allow-list, and the IP. */
  foreign: Array<Interval & { ip: string }>;
  foreignSeconds: number;
  /** The public IPs the AZ's egress came from, with the seconds each (a bridge shows another AZ's IP). */
  ips: Array<{ ip: string; seconds: number }>;
}

const secs = (ms: number) => Math.round(ms) / 1000;

/** Per AZ, over [samples[0].t, end]: outages and egress from IPs outside `allowedIps`. */
export function egressReport(samples: readonly EgressSample[], allowedIps: readonly string[], end: number): AzEgress[] {
  const azs = [...new Set(samples.flatMap((s) => s.subnets.map((x) => x.az)))].sort();
  return azs.map((az) => {
    const outages: AzEgress['outages'] = [];
    const foreign: AzEgress['foreign'] = [];
    const ips = new Map<string, number>();
    const subnets = new Set<string>();
    const tables = new Set<string>();
    samples.forEach((sample, i) => {
      const to = Math.max(sample.t, i + 1 < samples.length ? (samples[i + 1] as EgressSample).t : end);
      const mine = sample.subnets.filter((x) => x.az === az);
      for (const x of mine) {
        subnets.add(x.subnetId);
        tables.add(x.routeTableId);
      }
      const down = mine.find((x) => !x.forwards);
      const extend = <T extends Interval>(list: T[], item: T, same: (a: T) => boolean) => {
        const last = list[list.length - 1];
        if (last && last.to === sample.t && same(last)) last.to = to;
        else list.push(item);
      };
      if (down) extend(outages, { from: sample.t, to, why: down.why ?? '?' }, () => true);
      for (const x of mine) {
        if (!x.forwards || !x.ip) continue;
        ips.set(x.ip, (ips.get(x.ip) ?? 0) + (to - sample.t));
        const ip = x.ip;
        if (!allowedIps.includes(ip)) extend(foreign, { from: sample.t, to, ip }, (f) => f.ip === ip);
      }
    });
    const len = (l: Interval[]) => l.map((o) => o.to - o.from);
    return {
      az,
      subnets: [...subnets].sort(),
      routeTableIds: [...tables].sort(),
      outages,
      longestSeconds: secs(Math.max(0, ...len(outages))),
      totalSeconds: secs(len(outages).reduce((a, b) => a + b, 0)),
      foreign,
      foreignSeconds: secs(len(foreign).reduce((a, b) => a + b, 0)),
      ips: [...ips].map(([ip, ms]) => ({ ip, seconds: secs(ms) })).sort((a, b) => b.seconds - a.seconds),
    };
  });
}

/** Do two reads give the same egress (forwarding, IP, target) for every subnet? */
export function sameEgress(a: readonly SubnetEgress[], b: readonly SubnetEgress[]): boolean {
  const key = (x: SubnetEgress) => `${x.subnetId}|${x.routeTableId}|${x.forwards}|${x.ip ?? ''}|${x.via ?? ''}`;
  return a.length === b.length && a.every((x, i) => key(x) === key(b[i] as SubnetEgress));
}
