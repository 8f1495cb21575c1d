/**
 * Named reads of the NAT attributes plan-guard's rules need from a plan's resource changes, so that nat/ stays
 * the only reader of NAT attributes in plan JSON. Where plan.ts already reads an attribute (natGatewayOf,
 * natInstanceOf, claimOf, natRouteOf), the reader here is a thin view of it; what remains raw here is what plan.ts
 * has no reader for (an aws_eip's allocation_id and id both, the inline route blocks as a whole).
 * Two kinds, as plan/values.ts has them: `shown…` and `…Text` return text for a person (through `shownValue`: a
 * value terraform marks sensitive comes back "(sensitive)"); every other reader returns values for matching and
 * decisions only, never to be put into text.
 *
 * Attribute names are the hashicorp/aws provider's: aws_instance (ami, availability_zone, source_dest_check),
 * aws_nat_gateway (connectivity_type), aws_eip (allocation_id, id, public_ip, instance, network_interface),
 * aws_launch_template (image_id), aws_route (nat_gateway_id, network_interface_id, instance_id) and
 * aws_route_table's inline `route` blocks.
 */
import { canonicalJson } from '../plan/digest';
import { replacePaths } from '../plan/change';
import type { ResourceChange } from '../plan/types';
import { rawString, rawValue, shownValue, unknownAt, type Side } from '../plan/values';
import { NAT_TARGETS, claimOf, natGatewayOf, natInstanceOf, natRouteOf } from './plan';
import type { NatTopology } from './types';

/** The availability_zone of an aws_instance change, for display: the after side's, else the before side's. */
export function shownAvailabilityZone(rc: ResourceChange): string | undefined {
  return shownValue(rc, 'after', ['availability_zone']) ?? shownValue(rc, 'before', ['availability_zone']);
}

/** Is the aws_nat_gateway on `side` a private NAT gateway (connectivity_type = "private": no internet egress)? */
export function isPrivateGateway(rc: ResourceChange, side: Side): boolean {
  return natGatewayOf(rc, side)?.connectivityType === 'private';
}

/** An aws_eip's public_ip on `side`, for display. */
export function shownPublicIp(rc: ResourceChange, side: Side): string | undefined {
  return shownValue(rc, side, ['public_ip']);
}

/** The allocation ids an aws_eip change names on `side` (allocation_id, then id; empty ones left out). Matching. */
export function eipAllocationIds(rc: ResourceChange, side: Side): string[] {
  return [rawString(rc, side, ['allocation_id']), rawString(rc, side, ['id'])].filter((a): a is string => !!a);
}

/** The instance / network interface an aws_eip is associated with on `side` (its claim's known targets). Matching. */
export function eipTargetIds(rc: ResourceChange, side: Side): string[] {
  return (claimOf(rc, side)?.targets ?? []).flatMap((t) => (t.id ? [t.id] : []));
}

/** What shows an Elastic IP to be NAT egress, gathered from NAT topologies (matching only). */
export interface NatEgressEvidence {
  /** Allocation ids NAT gateways, instances and interfaces hold, or that are associated with a NAT. */
  allocations: Set<string>;
  /** Ids of the NATs an address can be associated with (gateway, instance and interface ids). */
  natIds: Set<string>;
}

/** The NAT egress evidence of one or more topologies (a plan's before and after side). */
export function natEgressEvidence(models: readonly NatTopology[]): NatEgressEvidence {
  const allocations = new Set<string>();
  const natIds = new Set<string>();
  for (const m of models) {
    for (const n of m.nats) {
      n.allocationIds.forEach((a) => allocations.add(a));
      n.ids.forEach((i) => natIds.add(i));
    }
  }
  for (const m of models)
    for (const c of m.claims)
      if (c.allocationId && c.targetIds.some((t) => natIds.has(t))) allocations.add(c.allocationId);
  return { allocations, natIds };
}

/** Is the aws_eip (before side) held by a NAT, or associated with one, according to `evidence`? */
export function eipHeldByNat(rc: ResourceChange, evidence: NatEgressEvidence): boolean {
  return (
    eipAllocationIds(rc, 'before').some((a) => evidence.allocations.has(a)) ||
    eipTargetIds(rc, 'before').some((t) => evidence.natIds.has(t))
  );
}

/** The ami of an aws_instance change on `side` (natInstanceOf; undefined when absent or empty). Matching only. */
export function amiOf(rc: ResourceChange, side: Side): string | undefined {
  return natInstanceOf(rc, side)?.ami;
}

/** The ami of an aws_instance change on `side`, for display. */
export function shownAmi(rc: ResourceChange, side: Side): string | undefined {
  return shownValue(rc, side, ['ami']);
}

/**
 * Does the aws_instance change launch from another AMI? True when replace_paths names `ami`, when the ami is
 * unknown until apply, or when both sides give an ami and they differ.
 */
export function amiChanges(rc: ResourceChange): boolean {
  const [before, after] = [amiOf(rc, 'before'), amiOf(rc, 'after')];
  return (
    replacePaths(rc).includes('ami') ||
    unknownAt(rc, ['ami']) ||
    (before !== undefined && after !== undefined && before !== after)
  );
}

/** Does the instance or interface on `side` have source_dest_check = true (EC2 then drops forwarded traffic)? */
export function sourceDestCheckOn(rc: ResourceChange, side: Side): boolean {
  return natInstanceOf(rc, side)?.sourceDestCheck === true;
}

/** The image_id of an aws_launch_template change on `side`, for display. */
export function shownImageId(rc: ResourceChange, side: Side): string | undefined {
  return shownValue(rc, side, ['image_id']);
}

/**
 * "nat_gateway_id=…" (or network_interface_id / instance_id): the first NAT target set on a route's `side`, with
 * its value for display; for an aws_route_table, its inline 0.0.0.0/0 NAT route's. '' when there is none.
 */
export function routeTargetText(rc: ResourceChange, side: Side): string {
  const route = natRouteOf(rc, side);
  if (!route) return '';
  for (const t of NAT_TARGETS) {
    const v = shownValue(rc, side, [...route.path, t]);
    if (v) return `${t}=${v}`;
  }
  return '';
}

/**
 * Is the NAT route there on `side`? An aws_route: the route exists on that side. An aws_route_table: it has an
 * inline 0.0.0.0/0 route through a NAT.
 */
export function hasNatRoute(rc: ResourceChange, side: Side): boolean {
  return natRouteOf(rc, side) !== undefined;
}

/**
 * Does a route update move the NAT route to another target? An aws_route: a NAT target attribute is among
 * `changed` (plan/change.ts changedAttributes). An aws_route_table: its inline `route` blocks differ.
 */
export function natRouteRetargeted(rc: ResourceChange, changed: readonly string[]): boolean {
  if (rc.type !== 'aws_route_table') return NAT_TARGETS.some((t) => changed.includes(t));
  return (
    canonicalJson(rawValue(rc, 'before', ['route']) ?? null) !== canonicalJson(rawValue(rc, 'after', ['route']) ?? null)
  );
}
