/**
 * Which AZ a NAT and a private subnet are in, from a plan: the plan's aws_subnet changes (terraform lists every
 * managed resource, unchanged ones as no-ops, so each side's subnets are known by id) and its
 * aws_route_table_association changes (which subnets use which route table). A NAT whose after-side subnet_id is
 * known only after apply sits in the replacement of its before-side subnet when the plan replaces that subnet (the
 * subnet replacement carries the NAT, and the route table associations of the subnet go with it). Attribute names
 * are hashicorp/aws's: aws_subnet (id, availability_zone), aws_route_table_association (subnet_id,
 * route_table_id), aws_nat_gateway / aws_instance / aws_network_interface (subnet_id), aws_instance
 * (availability_zone).
 *
 * Ids and AZs in `raw` fields are for matching only; the `…Text` fields are shownValue text for a person.
 */
import { actionKind } from '../plan/load';
import type { ResourceChange } from '../plan/types';
import { rawString, shownValue, unknownAt, type Side } from '../plan/values';

/** The plan's subnets and route table associations, indexed. */
export interface SubnetIndex {
  /** aws_subnet changes by their id on each side. */
  byId: Record<Side, Map<string, ResourceChange>>;
  /** Replaced subnets by their before-side id. */
  replaced: Map<string, ResourceChange>;
  associations: ResourceChange[];
}

const exists = (rc: ResourceChange, side: Side) => {
  const kind = actionKind(rc.change.actions);
  return side === 'before' ? kind !== 'create' : kind !== 'delete' && kind !== 'forget';
};

/** Indexes a plan's aws_subnet and aws_route_table_association changes. */
export function subnetIndex(changes: readonly ResourceChange[]): SubnetIndex {
  const index: SubnetIndex = { byId: { before: new Map(), after: new Map() }, replaced: new Map(), associations: [] };
  for (const rc of changes) {
    if (rc.mode === 'data') continue;
    if (rc.type === 'aws_route_table_association') index.associations.push(rc);
    if (rc.type !== 'aws_subnet') continue;
    for (const side of ['before', 'after'] as const) {
      const id = exists(rc, side) ? rawString(rc, side, ['id']) : undefined;
      if (id) index.byId[side].set(id, rc);
    }
    const beforeId = rawString(rc, 'before', ['id']);
    if (beforeId && actionKind(rc.change.actions) === 'replace') index.replaced.set(beforeId, rc);
  }
  return index;
}

/** Where a resource sits on one side: its subnet change (and on which side of it), and the AZ. */
export interface Placement {
  subnet?: ResourceChange;
  /** The subnet's side that holds the resource (the after side of a replacement). */
  subnetSide?: Side;
  /** Matching only. */
  az?: string;
  /** For display. */
  azText?: string;
}

/**
 * Where a NAT (aws_nat_gateway, aws_instance, aws_network_interface) or a route table association sits on `side`:
 * the subnet its subnet_id names on that side, or on the after side with subnet_id unknown, the replacement of its
 * before subnet; the AZ from that subnet, else (aws_instance) its own availability_zone.
 */
export function placementOf(rc: ResourceChange, side: Side, index: SubnetIndex): Placement {
  let subnet: ResourceChange | undefined;
  let subnetSide: Side = side;
  const id = rawString(rc, side, ['subnet_id']);
  if (id) subnet = index.byId[side].get(id) ?? (side === 'after' ? index.byId.before.get(id) : undefined);
  if (subnet && side === 'after' && !index.byId.after.has(id ?? '')) subnetSide = 'before';
  if (!id && side === 'after' && unknownAt(rc, ['subnet_id'])) {
    const was = rawString(rc, 'before', ['subnet_id']);
    subnet = was ? index.replaced.get(was) : undefined;
  }
  const own = rc.type === 'aws_instance' ? rawString(rc, side, ['availability_zone']) : undefined;
  const az = (subnet ? rawString(subnet, subnetSide, ['availability_zone']) : undefined) ?? own;
  const azText =
    (subnet ? shownValue(subnet, subnetSide, ['availability_zone']) : undefined) ??
    (own ? shownValue(rc, side, ['availability_zone']) : undefined);
  return {
    ...(subnet ? { subnet, subnetSide } : {}),
    ...(az ? { az } : {}),
    ...(azText ? { azText } : {}),
  };
}

/** A NAT that the plan moves into another AZ. */
export interface AzMove {
  rc: ResourceChange;
  /** Display text of the AZs. */
  from: string;
  to: string;
  /** The subnets it sits in before and after (addresses); the same address when a replacement carries it. */
  subnetBefore?: string;
  subnetAfter?: string;
  /** Its subnet is replaced (into the other AZ) rather than the NAT being given another subnet. */
  subnetReplaced: boolean;
  /** Route table associations of its before subnet that the plan replaces or deletes with it (addresses). */
  associations: string[];
}

/** The AZ move of a NAT change, when both sides have a known, different AZ. */
export function azMoveOf(rc: ResourceChange, index: SubnetIndex): AzMove | undefined {
  if (!exists(rc, 'before') || !exists(rc, 'after')) return undefined;
  const [was, will] = [placementOf(rc, 'before', index), placementOf(rc, 'after', index)];
  if (!was.az || !will.az || was.az === will.az) return undefined;
  const subnetReplaced =
    !!was.subnet && was.subnet === will.subnet && actionKind(was.subnet.change.actions) === 'replace';
  const oldId = was.subnet ? rawString(was.subnet, 'before', ['id']) : undefined;
  const associations = index.associations
    .filter((a) => oldId && rawString(a, 'before', ['subnet_id']) === oldId && a.change.actions.includes('delete'))
    .map((a) => a.address);
  return {
    rc,
    from: was.azText ?? '(unknown AZ)',
    to: will.azText ?? '(unknown AZ)',
    ...(was.subnet ? { subnetBefore: was.subnet.address } : {}),
    ...(will.subnet ? { subnetAfter: will.subnet.address } : {}),
    subnetReplaced,
    associations,
  };
}

/**
 * The private subnets that use a route table on `side` (its associations' subnets), with their AZ for display;
 * `routeTableId` is matching only.
 */
export function subnetsOfRouteTable(
  routeTableId: string,
  side: Side,
  index: SubnetIndex,
): { address: string; azText?: string }[] {
  const out: { address: string; azText?: string }[] = [];
  for (const a of index.associations) {
    if (!exists(a, side) || rawString(a, side, ['route_table_id']) !== routeTableId) continue;
    const p = placementOf(a, side, index);
    if (p.subnet) out.push({ address: p.subnet.address, ...(p.azText ? { azText: p.azText } : {}) });
  }
  return out;
}

/** The route table id a NAT route lives in on `side` (aws_route: route_table_id; aws_route_table: id). Matching. */
export function routeTableOf(rc: ResourceChange, side: Side): string | undefined {
  if (rc.type === 'aws_route') return rawString(rc, side, ['route_table_id']);
  return rc.type === 'aws_route_table' ? rawString(rc, side, ['id']) : undefined;
}
