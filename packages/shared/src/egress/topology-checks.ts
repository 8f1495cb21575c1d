/**
 * The live checks of a VPC's NAT topology: quiesce, private default routes, and each NAT's health. Pure
 * functions over the summaries analyze.ts builds; every finding's message is plain text.
 */
import { describeTarget, LIVE_GATEWAY, LIVE_INSTANCE, natLabel, sorted } from './nats';
import type { DetectedMode, Finding, NatSummary, RouteTableSummary } from './types';

export function quiesceFindings(
  add: (f: Finding) => void,
  instanceNats: NatSummary[],
  gatewayNats: NatSummary[],
  routeTables: RouteTableSummary[],
): void {
  for (const nat of [...instanceNats, ...gatewayNats]) {
    const live = nat.kind === 'instance' ? LIVE_INSTANCE.has(nat.state) : LIVE_GATEWAY.has(nat.state);
    if (live) {
      add({
        severity: 'error',
        check: 'quiesce',
        az: nat.az,
        resource: nat.id,
        message: `expect-quiesced is true but ${natLabel(nat)} is ${nat.state}`,
      });
    } else if (nat.kind === 'instance' || nat.state !== 'deleting') {
      add({
        severity: 'info',
        check: 'quiesce',
        az: nat.az,
        resource: nat.id,
        message: `${natLabel(nat)} exists but is ${nat.state}`,
      });
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

export function routeFindings(
  add: (f: Finding) => void,
  routeTables: RouteTableSummary[],
  allNats: NatSummary[],
  mode: DetectedMode,
  privateGateways: Set<string | undefined>,
): void {
  for (const rt of routeTables) {
    const where = `private route table ${rt.id}${rt.main ? ' (main)' : ''} (${rt.subnetIds.length} subnet${rt.subnetIds.length === 1 ? '' : 's'} in ${rt.azs.join(', ')})`;
    const az = rt.azs.join(', ');
    const route = rt.defaultRoute;
    if (route.kind === 'none') {
      add({
        severity: 'error',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)} has no 0.0.0.0/0 route: subnets ${rt.subnetIds.join(', ')} have no internet egress`,
      });
      continue;
    }
    if (route.state === 'blackhole') {
      add({
        severity: 'error',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)}: 0.0.0.0/0 → ${route.target} is a blackhole (the target was deleted, stopped or detached)`,
      });
      continue;
    }
    if (route.kind === 'other') {
      add({
        severity: 'warning',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)}: 0.0.0.0/0 → ${route.target} is not a NAT; egress through it is not verified here`,
      });
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
      add({
        severity: 'error',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)}: 0.0.0.0/0 → ${what}`,
      });
      continue;
    }
    if (mode !== 'none' && nat.kind !== mode) {
      add({
        severity: 'warning',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)} routes to ${natLabel(nat)} while the mode is ${mode} (a mode switch in progress?)`,
      });
    }
    const usable = nat.kind === 'instance' ? nat.state === 'running' : nat.state === 'available';
    if (!usable) {
      add({
        severity: 'error',
        check: 'routes',
        az,
        resource: rt.id,
        message: `${capital(where)} routes to ${natLabel(nat)}, which is ${nat.state}`,
      });
    }
    // Every AZ's route points at the one regional gateway: that is its design, not a cross-AZ route.
    const otherAzs = nat.regional ? [] : rt.azs.filter((a) => a !== nat.az);
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

export function natFindings(add: (f: Finding) => void, nats: NatSummary[], routeTables: RouteTableSummary[]): void {
  for (const nat of nats) {
    const at = { check: 'nat' as const, az: nat.az, resource: nat.id };
    const label = natLabel(nat);
    if (nat.kind === 'instance') {
      instanceFindings(add, nat, routeTables);
    } else {
      if (nat.state !== 'available') {
        add({
          ...at,
          severity: 'error',
          message: `${label} is ${nat.state}${nat.failureMessage ? `: ${nat.failureMessage}` : ''}`,
        });
      }
      if (!nat.publicIp) add({ ...at, severity: 'error', message: `${label} has no Elastic IP` });
    }
    if (!nat.inPublicSubnet) {
      add({
        ...at,
        severity: 'error',
        message: `${label} sits in subnet ${nat.subnetId}, which has no internet-gateway default route`,
      });
    }
    const served = sorted(
      new Set(routeTables.filter((rt) => rt.defaultRoute.natId === nat.id).flatMap((rt) => rt.azs)),
    );
    if (served.length === 0) {
      add({ ...at, severity: 'warning', message: `${label} is not the default route of any private route table` });
    } else if (served.length > 1 && !nat.regional) {
      add({
        ...at,
        severity: 'warning',
        message: `${label} serves ${served.length} AZs (${served.join(', ')}): a single point of failure for all of them`,
      });
    }
  }
}

/**
 * How long an Auto Scaling group of one takes to bring a NAT interface back after replacing its instance:
 * launch, boot and the attach at boot. The fck-nat documentation gives "about a minute" of downtime for the
 * HA mode's failover after a health check fails; health check grace periods add a few minutes on top.
 */
export const INTERFACE_RECOVERY = 'about 5 minutes (a new instance launches, boots and attaches the interface)';

function instanceFindings(add: (f: Finding) => void, nat: NatSummary, routeTables: RouteTableSummary[]): void {
  const at = { check: 'nat' as const, az: nat.az, resource: nat.id };
  const label = natLabel(nat);
  const interfaceBased = nat.attachment !== undefined;
  if (interfaceBased && nat.state === 'detached') {
    add({
      ...at,
      severity: 'error',
      message: `${label} is detached: no instance is behind it, so egress through it is down (its Auto Scaling group is replacing the NAT instance). Expected back within ${INTERFACE_RECOVERY}; verify again with wait: 10m, and if it stays detached read the group's activity history`,
    });
  } else if (nat.state !== 'running') {
    add({
      ...at,
      severity: 'error',
      message: `${label}${interfaceBased ? `: the instance behind it (${nat.instanceId}) is ${nat.state}` : ` is ${nat.state}`}`,
    });
  }
  // The routed interface's source/dest check is what matters (a two-interface NAT routes to its second interface).
  const routed = routeTables
    .filter((rt) => rt.defaultRoute.natId === nat.id)
    .map((rt) => rt.defaultRoute.target)
    .filter((t) => nat.interfaceSourceDestCheck?.[t] !== undefined);
  const checking =
    routed.length > 0
      ? [...new Set(routed)].filter((t) => nat.interfaceSourceDestCheck?.[t] !== false)
      : nat.sourceDestCheck !== false
        ? ['']
        : [];
  for (const eni of checking) {
    add({
      ...at,
      severity: 'error',
      message: `${label}${eni && eni !== nat.id ? `: its routed interface ${eni}` : ''} has source/destination check enabled: it drops the traffic it should forward (set source_dest_check = false${eni && eni !== nat.id ? ' on that interface' : ''})`,
    });
  }
  if (!nat.publicIp)
    add({
      ...at,
      severity: 'error',
      message: `${label} has no Elastic IP associated: it cannot reach the internet (a gateway→instance cutover may need its second apply)`,
    });
  else if (!nat.elasticIp)
    add({
      ...at,
      severity: 'error',
      message: `${label} egresses from ${nat.publicIp}, an auto-assigned public IP rather than an Elastic IP`,
    });
  if (interfaceBased) return; // the group's launch template picks the image; the Role tag is the baked AMI's (aws_instance NAT)
  if (nat.imageRole === null) {
    add({
      ...at,
      severity: 'error',
      message: `${label} runs AMI ${nat.imageId}${nat.imageName ? ` (${nat.imageName})` : ''}, which has no Role tag: its Image Builder test stage did not pass`,
    });
  } else if (nat.imageRole === undefined && nat.imageId) {
    add({
      ...at,
      severity: 'warning',
      message: `${label} runs AMI ${nat.imageId}, which could not be described (deregistered?): its Role tag is not verified`,
    });
  }
}

/**
 * Regional NAT gateways: every AZ whose private subnets route to one needs an address there (manual mode:
 * one availability_zone_address block per AZ); in automatic mode AWS chooses, and may add, the addresses.
 */
export function regionalFindings(
  add: (f: Finding) => void,
  nats: NatSummary[],
  routeTables: RouteTableSummary[],
  expectedIps: boolean,
): void {
  for (const nat of nats) {
    const regional = nat.regional;
    if (!regional) continue;
    const routedAzs = sorted(
      new Set(routeTables.filter((rt) => rt.defaultRoute.natId === nat.id).flatMap((rt) => rt.azs)),
    );
    for (const az of routedAzs) {
      if ((regional.ipsByAz[az] ?? []).length > 0) continue;
      add({
        severity: regional.mode === 'manual' ? 'error' : 'warning',
        check: 'nat',
        az,
        resource: nat.id,
        message: `${capital(natLabel(nat))} has no address in ${az}, yet private subnets there route to it${regional.mode === 'manual' ? ': in manual mode add an availability_zone_address block for this AZ with its allocation_ids' : ' (automatic mode: AWS has not expanded to this AZ yet)'}`,
      });
    }
    if (regional.mode === 'automatic' && expectedIps) {
      add({
        severity: 'warning',
        check: 'addresses',
        resource: nat.id,
        message: `${capital(natLabel(nat))} is in automatic mode: AWS chooses its outbound addresses${regional.autoScalingIps ? ' and adds more under load' : ''}, so expected-ips can go stale; use manual mode (availability_zone_address per AZ) for allow-listed IPs`,
      });
    }
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
