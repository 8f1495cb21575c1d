/**
 * The live checks of a VPC's NAT topology: quiesce, private default routes, and each NAT's health. Pure
 * functions over the NAT model's nodes (built from EC2, so every node has its live facts) and the private route
 * tables topology.ts summarises; every finding's message is plain text.
 */
import { azOf, isLive, liveModeOf, type DefaultRoute, type NatLive, type NatNode } from '../nat/index';
import type { Finding, RouteTableSummary, TopologyAnalysis } from './types';

/** A NAT node built from EC2 (it has its live facts). */
export type LiveNat = NatNode & { live: NatLive };
export const isLiveNat = (n: NatNode): n is LiveNat => n.live !== undefined;

type Add = (f: Finding) => void;

export const sorted = <T>(items: Iterable<T>): T[] => [...items].sort();

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function describeTarget(route: DefaultRoute): string {
  return `${route.target}${route.state && route.state !== 'active' ? ` (${route.state})` : ''}`;
}

const KIND_LABEL: Record<NatNode['kind'], string> = {
  interface: 'NAT network interface',
  instance: 'NAT instance',
  'regional-gateway': 'regional NAT gateway',
  'zonal-gateway': 'NAT gateway',
  'private-gateway': 'NAT gateway',
};

/** "NAT instance i-… (cabal-nat-0)", "regional NAT gateway nat-…", "NAT network interface eni-…". */
export function natLabel(nat: LiveNat): string {
  return `${KIND_LABEL[nat.kind]} ${nat.ref}${nat.live.name ? ` (${nat.live.name})` : ''}`;
}

/** Every NAT that exists while quiesce is expected: live ones are errors, stopped or deleting ones are notes. */
export function quiesceFindings(add: Add, nats: LiveNat[], routeTables: RouteTableSummary[]): void {
  for (const nat of nats) {
    const { state } = nat.live;
    const at = (severity: Finding['severity']) => ({
      severity,
      check: 'quiesce' as const,
      az: azOf(nat),
      resource: nat.ref,
    });
    if (isLive(nat)) {
      add({ ...at('error'), message: `expect-quiesced is true but ${natLabel(nat)} is ${state}` });
    } else if (liveModeOf(nat) === 'instance' || state !== 'deleting') {
      add({ ...at('info'), message: `${natLabel(nat)} exists but is ${state}` });
    }
  }
  for (const rt of routeTables) {
    if (rt.defaultRoute.kind === 'none') continue;
    add({
      severity: 'error',
      check: 'quiesce',
      resource: rt.id,
      az: rt.azs.join(', '),
      message:
        `expect-quiesced is true but private route table ${rt.id} still has 0.0.0.0/0 → ` +
        describeTarget(rt.defaultRoute),
    });
  }
}

interface RouteContext {
  add: Add;
  rt: RouteTableSummary;
  /** "Private route table rtb-… (main) (2 subnets in eu-west-1a, eu-west-1b)" */
  where: string;
  /** A routes finding about this table (`az`: its AZs unless given). */
  at: (severity: Finding['severity'], message: string, az?: string) => Finding;
}

/** A default route that reaches no usable NAT: missing, blackhole, not a NAT, or an unknown NAT. */
function unroutedFinding(c: RouteContext, nat: LiveNat | undefined, privateGateways: Set<string>): Finding | undefined {
  const { rt, where, at } = c;
  const route = rt.defaultRoute;
  if (route.kind === 'none') {
    const message = `${where} has no 0.0.0.0/0 route: subnets ${rt.subnetIds.join(', ')} have no internet egress`;
    return at('error', message);
  }
  if (route.state === 'blackhole') {
    const why = 'is a blackhole (the target was deleted, stopped or detached)';
    return at('error', `${where}: 0.0.0.0/0 → ${route.target} ${why}`);
  }
  if (route.kind === 'other') {
    return at('warning', `${where}: 0.0.0.0/0 → ${route.target} is not a NAT; egress through it is not verified here`);
  }
  if (nat) return undefined;
  const what =
    route.kind === 'nat-gateway'
      ? privateGateways.has(route.target)
        ? `private NAT gateway ${route.target} (private NAT gateways give no internet egress)`
        : `NAT gateway ${route.target}, which is deleted or not in this VPC`
      : `${route.target}, which is not an instance named like the NAT pattern`;
  return at('error', `${where}: 0.0.0.0/0 → ${what}`);
}

/** A route to a NAT: of the other mode, to a NAT that is not up, or to a NAT in another AZ. */
function routedFindings(c: RouteContext, nat: LiveNat, mode: TopologyAnalysis['mode']): void {
  const { add, rt, where, at } = c;
  const natMode = liveModeOf(nat);
  if (mode !== 'none' && natMode !== mode) {
    add(at('warning', `${where} routes to ${natLabel(nat)} while the mode is ${mode} (a mode switch in progress?)`));
  }
  const usable = natMode === 'instance' ? nat.live.state === 'running' : nat.live.state === 'available';
  if (!usable) add(at('error', `${where} routes to ${natLabel(nat)}, which is ${nat.live.state}`));
  // Every AZ's route points at the one regional gateway: that is its design, not a cross-AZ route.
  const natAz = azOf(nat);
  const otherAzs = nat.kind === 'regional-gateway' ? [] : rt.azs.filter((a) => a !== natAz);
  if (otherAzs.length > 0) {
    const others = otherAzs.join(', ');
    const message =
      `${where} routes to ${natLabel(nat)} in ${natAz}: cross-AZ egress (data charges, and ${others} ` +
      `fails with ${natAz})`;
    add(at('warning', message, others));
  }
}

/** Each private route table's default route: present, active, to a usable NAT of the mode in its own AZ. */
export function routeFindings(
  add: Add,
  routeTables: RouteTableSummary[],
  allNats: LiveNat[],
  mode: TopologyAnalysis['mode'],
  privateGateways: Set<string>,
): void {
  for (const rt of routeTables) {
    const n = rt.subnetIds.length;
    const where = capital(
      `private route table ${rt.id}${rt.main ? ' (main)' : ''} ` +
        `(${n} subnet${n === 1 ? '' : 's'} in ${rt.azs.join(', ')})`,
    );
    const at = (severity: Finding['severity'], message: string, az = rt.azs.join(', ')): Finding => ({
      severity,
      check: 'routes',
      az,
      resource: rt.id,
      message,
    });
    const c: RouteContext = { add, rt, where, at };
    const natId = rt.defaultRoute.natId;
    const nat = natId ? allNats.find((x) => x.ref === natId) : undefined;
    const problem = unroutedFinding(c, nat, privateGateways);
    if (problem) add(problem);
    else if (nat) routedFindings(c, nat, mode);
  }
}

/** The AZs whose private route tables lead to `nat`, sorted. */
function servedAzs(nat: NatNode, routeTables: RouteTableSummary[]): string[] {
  return sorted(new Set(routeTables.filter((rt) => rt.defaultRoute.natId === nat.ref).flatMap((rt) => rt.azs)));
}

/** Each NAT of the mode: up, with its Elastic IP, in a public subnet, serving some AZ (and not all from one). */
export function natFindings(add: Add, nats: LiveNat[], routeTables: RouteTableSummary[]): void {
  for (const nat of nats) {
    const at = { check: 'nat' as const, az: azOf(nat), resource: nat.ref };
    const label = natLabel(nat);
    if (liveModeOf(nat) === 'instance') {
      instanceFindings(add, nat, routeTables);
    } else {
      if (nat.live.state !== 'available') {
        const failure = nat.live.failureMessage ? `: ${nat.live.failureMessage}` : '';
        add({ ...at, severity: 'error', message: `${label} is ${nat.live.state}${failure}` });
      }
      if (!nat.live.publicIp) add({ ...at, severity: 'error', message: `${label} has no Elastic IP` });
    }
    if (!nat.live.inPublicSubnet) {
      const message = `${label} sits in subnet ${nat.subnetId}, which has no internet-gateway default route`;
      add({ ...at, severity: 'error', message });
    }
    const served = servedAzs(nat, routeTables);
    if (served.length === 0) {
      add({ ...at, severity: 'warning', message: `${label} is not the default route of any private route table` });
    } else if (served.length > 1 && nat.kind !== 'regional-gateway') {
      const message =
        `${label} serves ${served.length} AZs (${served.join(', ')}): ` + 'a single point of failure for all of them';
      add({ ...at, severity: 'warning', message });
    }
  }
}

/**
 * How long an Auto Scaling group of one takes to bring a NAT interface back after replacing its instance:
 * launch, boot and the attach at boot. The fck-nat documentation gives "about a minute" of downtime for the
 * HA mode's failover after a health check fails; health check grace periods add a few minutes on top.
 */
export const INTERFACE_RECOVERY = 'about 5 minutes (a new instance launches, boots and attaches the interface)';

/** Not running (an interface NAT: detached, or its instance not running). */
function stateFinding(nat: LiveNat, label: string): string | undefined {
  const interfaceBased = nat.kind === 'interface';
  if (interfaceBased && nat.live.state === 'detached') {
    return (
      `${label} is detached: no instance is behind it, so egress through it is down (its Auto Scaling group is ` +
      `replacing the NAT instance). Expected back within ${INTERFACE_RECOVERY}; verify again with wait: 10m, and ` +
      "if it stays detached read the group's activity history"
    );
  }
  if (nat.live.state === 'running') return undefined;
  return interfaceBased
    ? `${label}: the instance behind it (${nat.live.instanceId}) is ${nat.live.state}`
    : `${label} is ${nat.live.state}`;
}

/** The interfaces that forward with source/dest check on: the routed ones ('' = the instance's own setting). */
function checkingInterfaces(nat: LiveNat, routeTables: RouteTableSummary[]): string[] {
  // The routed interface's source/dest check is what matters (a two-interface NAT routes to its second interface).
  const perInterface = nat.live.interfaceSourceDestCheck;
  const routed = routeTables
    .filter((rt) => rt.defaultRoute.natId === nat.ref)
    .map((rt) => rt.defaultRoute.target)
    .filter((t) => perInterface?.[t] !== undefined);
  if (routed.length > 0) return [...new Set(routed)].filter((t) => perInterface?.[t] !== false);
  return nat.live.sourceDestCheck !== false ? [''] : [];
}

/** The AMI's Role tag (aws_instance NAT only: an interface NAT's image is its launch template's). */
function imageFinding(nat: LiveNat, label: string): Finding | undefined {
  const at = { check: 'nat' as const, az: azOf(nat), resource: nat.ref };
  const { imageRole, imageId, imageName } = nat.live;
  if (imageRole === null) {
    const message =
      `${label} runs AMI ${imageId}${imageName ? ` (${imageName})` : ''}, which has no Role tag: ` +
      'its Image Builder test stage did not pass';
    return { ...at, severity: 'error', message };
  }
  if (imageRole === undefined && imageId) {
    const message =
      `${label} runs AMI ${imageId}, which could not be described (deregistered?): ` + 'its Role tag is not verified';
    return { ...at, severity: 'warning', message };
  }
  return undefined;
}

function instanceFindings(add: Add, nat: LiveNat, routeTables: RouteTableSummary[]): void {
  const at = { check: 'nat' as const, az: azOf(nat), resource: nat.ref };
  const label = natLabel(nat);
  const state = stateFinding(nat, label);
  if (state) add({ ...at, severity: 'error', message: state });
  for (const eni of checkingInterfaces(nat, routeTables)) {
    const other = !!eni && eni !== nat.ref;
    add({
      ...at,
      severity: 'error',
      message:
        `${label}${other ? `: its routed interface ${eni}` : ''} has source/destination check enabled: it drops ` +
        `the traffic it should forward (set source_dest_check = false${other ? ' on that interface' : ''})`,
    });
  }
  if (!nat.live.publicIp) {
    const message =
      `${label} has no Elastic IP associated: it cannot reach the internet ` +
      '(a gateway→instance cutover may need its second apply)';
    add({ ...at, severity: 'error', message });
  } else if (!nat.live.elasticIp) {
    const message = `${label} egresses from ${nat.live.publicIp}, an auto-assigned public IP rather than an Elastic IP`;
    add({ ...at, severity: 'error', message });
  }
  if (nat.kind === 'interface') return; // the group's launch template picks the image; the Role tag is the baked AMI's
  const image = imageFinding(nat, label);
  if (image) add(image);
}

/**
 * Regional NAT gateways: every AZ whose private subnets route to one needs an address there (manual mode:
 * one availability_zone_address block per AZ); in automatic mode AWS chooses, and may add, the addresses.
 */
export function regionalFindings(
  add: Add,
  nats: LiveNat[],
  routeTables: RouteTableSummary[],
  expectedIps: boolean,
): void {
  for (const nat of nats) {
    if (nat.kind !== 'regional-gateway') continue;
    const manual = nat.regionalMode !== 'automatic';
    const label = capital(natLabel(nat));
    for (const az of servedAzs(nat, routeTables)) {
      if ((nat.zones?.find((z) => z.az === az)?.publicIps ?? []).length > 0) continue;
      add({
        severity: manual ? 'error' : 'warning',
        check: 'nat',
        az,
        resource: nat.ref,
        message:
          `${label} has no address in ${az}, yet private subnets there route to it` +
          (manual
            ? ': in manual mode add an availability_zone_address block for this AZ with its allocation_ids'
            : ' (automatic mode: AWS has not expanded to this AZ yet)'),
      });
    }
    if (!manual && expectedIps) {
      add({
        severity: 'warning',
        check: 'addresses',
        resource: nat.ref,
        message:
          `${label} is in automatic mode: AWS chooses its outbound addresses` +
          `${nat.autoScalingIps ? ' and adds more under load' : ''}, so expected-ips can go stale; use manual mode ` +
          '(availability_zone_address per AZ) for allow-listed IPs',
      });
    }
  }
}
