/**
 * NAT attributes of plan JSON (`terraform show -json`), one side of one resource change at a time, and the NAT
 * model of one side of a plan built from them (`modelFromPlan`). Sources (hashicorp/aws):
 * - aws_nat_gateway: id, connectivity_type, subnet_id, allocation_id, secondary_allocation_ids; ≥ 6.24 regional:
 *   availability_mode, availability_zone_address {allocation_ids, availability_zone | availability_zone_id},
 *   regional_nat_gateway_address {allocation_id, …} (computed: the addresses it has), auto_provision_zones,
 *   auto_scaling_ips.
 * - aws_instance: id, primary_network_interface_id, ami, instance_type, availability_zone, subnet_id,
 *   source_dest_check;
 *   aws_network_interface: id, subnet_id, source_dest_check.
 * - aws_eip_association: id, allocation_id, instance_id, network_interface_id, private_ip_address;
 *   aws_nat_gateway_eip_association: allocation_id, nat_gateway_id; aws_eip: allocation_id / id, instance,
 *   network_interface, associate_with_private_ip, association_id.
 * - aws_route: destination_cidr_block, route_table_id and its targets; aws_route_table: id and its inline `route`
 *   set (cidr_block).
 * Every value read here is for matching only (plan/values.ts rawValue): text shows plan values through
 * `shownValue` alone. Which attributes change, actions, replace_paths and sensitivity marks are plan/'s.
 */
import { actionKind } from '../plan/load';
import type { ResourceChange } from '../plan/types';
import { SENSITIVE_TEXT, asObj, markedAt, rawString, rawValue, shownValue, unknownAt } from '../plan/values';
import type { Obj, Side, ValuePath } from '../plan/values';
import { churnCarriedValue } from './churn';
import { azKeyOf } from './keys';
import type { Claim, NatNode, NatTopology, RegionalZone, Role, RouteNode } from './types';

/** Route targets that lead to a NAT (a NAT gateway, or an instance / interface that may be a NAT instance). */
export const NAT_TARGETS = ['nat_gateway_id', 'network_interface_id', 'instance_id'] as const;
/** Route targets that are never a NAT. */
const OTHER_TARGETS = [
  'gateway_id',
  'transit_gateway_id',
  'vpc_peering_connection_id',
  'egress_only_gateway_id',
  'vpc_endpoint_id',
  'carrier_gateway_id',
  'local_gateway_id',
  'core_network_arn',
];

const set = (o: Obj | undefined, k: string) => typeof o?.[k] === 'string' && o[k] !== '';

/**
 * Is this route (an aws_route, or one entry of an aws_route_table's inline `route`) a 0.0.0.0/0 route through
 * a NAT? 'nat' when a NAT target is set; 'maybe' when a NAT target is unknown until apply and no other target
 * is set or coming (the provider leaves network_interface_id / instance_id unknown on every new route, an
 * internet-gateway route included, so an unknown NAT target alone proves nothing); 'no' otherwise.
 */
export function natRouteState(route: Obj | undefined, unknown?: Obj): 'nat' | 'maybe' | 'no' {
  if (!route) return 'no';
  const dest = route.destination_cidr_block ?? route.cidr_block;
  if (dest !== '0.0.0.0/0') return 'no';
  if (set(route, 'nat_gateway_id')) return 'nat';
  if (OTHER_TARGETS.some((t) => set(route, t) || unknown?.[t] === true)) return 'no';
  if (NAT_TARGETS.some((t) => set(route, t))) return 'nat';
  return NAT_TARGETS.some((t) => unknown?.[t] === true) ? 'maybe' : 'no';
}

/** Index of the inline 0.0.0.0/0 NAT route of an aws_route_table side, or -1. */
export function inlineNatRouteIndex(table: Obj | undefined): number {
  const routes = table?.route;
  if (!Array.isArray(routes)) return -1;
  return routes.findIndex((r) => natRouteState(asObj(r)) === 'nat');
}

export type NatTarget = (typeof NAT_TARGETS)[number];

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const unique = (ids: (string | undefined)[]) => [...new Set(ids.filter((x): x is string => !!x))];

/** An aws_nat_gateway's NAT attributes on one side. */
export interface GatewayFacts {
  id?: string;
  /** 'public' | 'private' as written; absent means public. */
  connectivityType?: string;
  /** 'zonal' | 'regional' as written; absent means zonal. */
  availabilityMode?: string;
  subnetId?: string;
  allocationId?: string;
  secondaryAllocationIds: string[];
  /** availability_zone_address: the per-AZ addresses given (manual regional mode). */
  zones: RegionalZone[];
  /** regional_nat_gateway_address[].allocation_id: the addresses a regional gateway has (computed). */
  regionalAllocationIds: string[];
  autoProvisionZones?: string;
  autoScalingIps?: string;
  /** Every allocation above, unique, in that order (allocation_id, secondaries, zones, regional addresses). */
  allocationIds: string[];
}

const CHURN_MODE_ATTRS = ['availability_mode', 'auto_provision_zones', 'auto_scaling_ips'] as const;

/** The NAT gateway attributes of `rc` on `side`; undefined when it is no aws_nat_gateway or the side is absent. */
export function natGatewayOf(rc: ResourceChange, side: Side): GatewayFacts | undefined {
  if (rc.type !== 'aws_nat_gateway') return undefined;
  const read = asObj(rawValue(rc, side, []));
  if (!read) return undefined;
  // Provider churn (nat/churn.ts): an attribute the provider recomputes keeps its before value, never a switch.
  const o = side === 'after' ? { ...read } : read;
  for (const a of CHURN_MODE_ATTRS)
    if (side === 'after' && (o[a] === undefined || o[a] === null)) o[a] = churnCarriedValue(rc, a) ?? o[a];
  const list = (v: unknown) => (Array.isArray(v) ? v.map(asObj).filter((x): x is Obj => !!x) : []);
  const zones = list(o.availability_zone_address).map((z) => ({
    az: String(z.availability_zone ?? z.availability_zone_id ?? ''),
    allocationIds: strings(z.allocation_ids),
  }));
  const regionalAllocationIds = unique(list(o.regional_nat_gateway_address).map((a) => str(a.allocation_id)));
  const facts: GatewayFacts = {
    secondaryAllocationIds: strings(o.secondary_allocation_ids),
    zones,
    regionalAllocationIds,
    allocationIds: [],
  };
  const fields = {
    id: 'id',
    connectivityType: 'connectivity_type',
    availabilityMode: 'availability_mode',
    subnetId: 'subnet_id',
    allocationId: 'allocation_id',
    autoProvisionZones: 'auto_provision_zones',
    autoScalingIps: 'auto_scaling_ips',
  } as const;
  for (const [k, attr] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const v = str(o[attr]);
    if (v !== undefined) facts[k] = v;
  }
  facts.allocationIds = unique([
    facts.allocationId,
    ...facts.secondaryAllocationIds,
    ...zones.flatMap((z) => z.allocationIds),
    ...regionalAllocationIds,
  ]);
  return facts;
}

/** Every Elastic IP allocation an aws_nat_gateway holds on `side` (zonal, secondary, regional per-AZ, regional). */
export function gatewayAllocationIds(rc: ResourceChange, side: Side): string[] {
  return natGatewayOf(rc, side)?.allocationIds ?? [];
}

/** An aws_instance's or aws_network_interface's NAT attributes on one side. */
export interface NatInstanceFacts {
  id?: string;
  primaryNetworkInterfaceId?: string;
  /** The ids a route or an association can name: id, then primary_network_interface_id. */
  ids: string[];
  ami?: string;
  /** instance_type (aws_instance). */
  instanceType?: string;
  availabilityZone?: string;
  subnetId?: string;
  sourceDestCheck?: boolean;
}

/** The NAT instance / interface attributes of `rc` on `side`; undefined for other types or an absent side. */
export function natInstanceOf(rc: ResourceChange, side: Side): NatInstanceFacts | undefined {
  if (rc.type !== 'aws_instance' && rc.type !== 'aws_network_interface') return undefined;
  const o = asObj(rawValue(rc, side, []));
  if (!o) return undefined;
  const facts: NatInstanceFacts = { ids: [] };
  const fields = {
    id: 'id',
    primaryNetworkInterfaceId: 'primary_network_interface_id',
    ami: 'ami',
    instanceType: 'instance_type',
    availabilityZone: 'availability_zone',
    subnetId: 'subnet_id',
  } as const;
  for (const [k, attr] of Object.entries(fields) as [keyof typeof fields, string][]) {
    const v = str(o[attr]);
    if (v !== undefined) facts[k] = v;
  }
  if (typeof o.source_dest_check === 'boolean') facts.sourceDestCheck = o.source_dest_check;
  facts.ids = unique([facts.id, facts.primaryNetworkInterfaceId]);
  return facts;
}

/** One target of an address claim: known (id) or known only after apply (after side). */
export interface ClaimTarget {
  kind: 'instance' | 'network-interface' | 'nat-gateway';
  /** The attribute it is read from (instance_id, network_interface_id, nat_gateway_id, instance, network_interface). */
  attribute: string;
  id?: string;
  unknown: boolean;
}

/** What an aws_eip_association, aws_nat_gateway_eip_association or aws_eip's own association claims on one side. */
export interface ClaimFacts {
  /** allocation_id (an aws_eip: allocation_id, else its id). */
  allocationId?: string;
  /** The targets that are set or unknown until apply, in attribute order; none for an unassociated address. */
  targets: ClaimTarget[];
  /** private_ip_address (association) / associate_with_private_ip (aws_eip). */
  privateIp?: string;
  /** The association's id (an aws_eip_association's id, an aws_eip's association_id), when known. */
  associationId?: string;
}

const CLAIM_ATTRS: Record<string, { targets: [string, ClaimTarget['kind']][]; privateIp: string }> = {
  aws_eip_association: {
    targets: [
      ['instance_id', 'instance'],
      ['network_interface_id', 'network-interface'],
    ],
    privateIp: 'private_ip_address',
  },
  aws_nat_gateway_eip_association: { targets: [['nat_gateway_id', 'nat-gateway']], privateIp: '' },
  aws_eip: {
    targets: [
      ['instance', 'instance'],
      ['network_interface', 'network-interface'],
    ],
    privateIp: 'associate_with_private_ip',
  },
};

/** The claim of `rc` on `side`; undefined for other types or an absent side. */
export function claimOf(rc: ResourceChange, side: Side): ClaimFacts | undefined {
  const attrs = CLAIM_ATTRS[rc.type];
  if (!attrs || !asObj(rawValue(rc, side, []))) return undefined;
  const targets: ClaimTarget[] = [];
  for (const [attribute, kind] of attrs.targets) {
    const id = rawString(rc, side, [attribute]);
    const unknown = side === 'after' && markedAt(rc.change.after_unknown, [attribute]);
    if (id || unknown) targets.push({ kind, attribute, ...(id ? { id } : {}), unknown });
  }
  const allocationId =
    rawString(rc, side, ['allocation_id']) ?? (rc.type === 'aws_eip' ? rawString(rc, side, ['id']) : undefined);
  const privateIp = attrs.privateIp ? rawString(rc, side, [attrs.privateIp]) : undefined;
  const associationId = rc.type === 'aws_eip' ? rawString(rc, side, ['association_id']) : rawString(rc, side, ['id']);
  return {
    ...(allocationId ? { allocationId } : {}),
    targets,
    ...(privateIp ? { privateIp } : {}),
    ...(associationId ? { associationId } : {}),
  };
}

/**
 * The claim attributes (allocation_id and the target attributes, in that order) terraform marks sensitive on
 * either side: values a person must never see, so the cutover does not act on them itself.
 */
export function sensitiveClaimAttributes(rc: ResourceChange): string[] {
  const attrs = CLAIM_ATTRS[rc.type];
  if (!attrs) return [];
  return ['allocation_id', ...attrs.targets.map(([a]) => a)].filter(
    (k) => shownValue(rc, 'after', [k]) === SENSITIVE_TEXT || shownValue(rc, 'before', [k]) === SENSITIVE_TEXT,
  );
}

/** A private default route (aws_route, or an aws_route_table's inline NAT route) on one side. */
export interface RouteFacts {
  /** 'nat': a NAT target is set; 'maybe': a NAT target is unknown until apply and nothing else is set; 'no'. */
  state: 'nat' | 'maybe' | 'no';
  /** Where the route object is on this side: [] for an aws_route, ['route', i] for a table's inline route. */
  path: ValuePath;
  /** Its known NAT targets (nat_gateway_id, network_interface_id, instance_id order). Matching only. */
  targets: { attribute: NatTarget; id: string }[];
  /** The NAT target is known only after apply (after side). */
  unknown: boolean;
  /** The route table it is in (an aws_route's route_table_id, an aws_route_table's id). Matching only. */
  routeTableId?: string;
}

/**
 * The route of `rc` on `side`: undefined for other types, when the side is absent, or when an aws_route_table
 * has no inline 0.0.0.0/0 NAT route on that side.
 */
export function natRouteOf(rc: ResourceChange, side: Side): RouteFacts | undefined {
  const table = rc.type === 'aws_route_table';
  if (!table && rc.type !== 'aws_route') return undefined;
  const obj = asObj(rawValue(rc, side, []));
  if (!obj) return undefined;
  const index = table ? inlineNatRouteIndex(obj) : -1;
  if (table && index < 0) return undefined;
  const route = table ? asObj((obj.route as unknown[])[index]) : obj;
  const unknownSide = side === 'after' && !table ? asObj(rc.change.after_unknown) : undefined;
  const state = natRouteState(route, unknownSide);
  const targets = NAT_TARGETS.flatMap((attribute) => {
    const id = str(route?.[attribute]);
    return id ? [{ attribute, id }] : [];
  });
  const unknown = state === 'maybe' || (side === 'after' && table && unknownAt(rc, ['route']));
  const routeTableId = str(table ? obj.id : obj.route_table_id);
  return { state, path: table ? ['route', index] : [], targets, unknown, ...(routeTableId ? { routeTableId } : {}) };
}

function refOf(rc: ResourceChange): string {
  return rc.deposed ? `${rc.address} (deposed ${rc.deposed})` : rc.address;
}

/** Does this side of the change exist (before: it existed; after: it will exist)? */
export function sideExists(rc: ResourceChange, side: Side): boolean {
  const kind = actionKind(rc.change.actions);
  if (kind === 'read' || kind === 'forget') return side === 'before';
  if (side === 'before') return kind !== 'create';
  return kind !== 'delete';
}

function gatewayNode(rc: ResourceChange, side: Side): NatNode {
  const g = natGatewayOf(rc, side);
  const base = {
    ref: refOf(rc),
    key: azKeyOf(rc),
    rc,
    ids: g?.id ? [g.id] : [],
    ...(g?.subnetId ? { subnetId: g.subnetId } : {}),
  };
  if (g?.connectivityType === 'private') return { ...base, kind: 'private-gateway', allocationIds: [] };
  if (g?.availabilityMode === 'regional') {
    const manual = g.zones.length > 0 || g.autoProvisionZones === 'disabled';
    return {
      ...base,
      kind: 'regional-gateway',
      regionalMode: manual ? 'manual' : 'automatic',
      zones: g.zones,
      autoScalingIps: g.autoScalingIps === 'enabled' || (!manual && g.autoScalingIps !== 'disabled'),
      allocationIds: unique([...g.zones.flatMap((z) => z.allocationIds), ...g.regionalAllocationIds]),
    };
  }
  return {
    ...base,
    kind: 'zonal-gateway',
    allocationIds: unique([g?.allocationId, ...(g?.secondaryAllocationIds ?? [])]),
  };
}

function instanceNode(rc: ResourceChange, side: Side): NatNode {
  const i = natInstanceOf(rc, side);
  return {
    ref: refOf(rc),
    kind: rc.type === 'aws_network_interface' ? 'interface' : 'instance',
    key: azKeyOf(rc),
    ...(i?.availabilityZone ? { az: i.availabilityZone } : {}),
    ids: i?.ids ?? [],
    allocationIds: [],
    ...(i?.subnetId ? { subnetId: i.subnetId } : {}),
    rc,
  };
}

function routeNode(rc: ResourceChange, side: Side): RouteNode | undefined {
  const r = natRouteOf(rc, side);
  if (!r || r.state === 'no') return undefined;
  return { ref: refOf(rc), key: azKeyOf(rc), targetIds: r.targets.map((t) => t.id), unknown: r.unknown, rc };
}

function claimNode(rc: ResourceChange, side: Side, role: Role): Claim | undefined {
  const c = claimOf(rc, side);
  const targetIds = (c?.targets ?? []).flatMap((t) => (t.id ? [t.id] : []));
  if (role === 'eip' && targetIds.length === 0) return undefined; // an unassociated address claims nothing
  return { ref: refOf(rc), ...(c?.allocationId ? { allocationId: c.allocationId } : {}), targetIds, rc };
}

/** NAT instances and interfaces hold the addresses associated with them. */
function holdClaimedAddresses(model: NatTopology): void {
  for (const nat of model.nats) {
    if (nat.kind !== 'instance' && nat.kind !== 'interface') continue;
    for (const claim of model.claims) {
      const a = claim.allocationId;
      if (a && claim.targetIds.some((t) => nat.ids.includes(t)) && !nat.allocationIds.includes(a))
        nat.allocationIds.push(a);
    }
  }
}

/**
 * The model of one side of a plan. `roles` is the classifier's role map (roles.ts natRoles), so the model
 * and the findings agree on what NAT is. Deposed objects are part of the before side. Routes are the 0.0.0.0/0
 * routes that lead or may lead to a NAT; claims are associations and associated Elastic IPs.
 */
export function modelFromPlan(
  changes: readonly ResourceChange[],
  roles: ReadonlyMap<ResourceChange, Role>,
  side: Side,
): NatTopology {
  const model: NatTopology = { nats: [], routes: [], claims: [] };
  for (const [rc, role] of roles) {
    if (!sideExists(rc, side)) continue;
    if (role === 'gateway') model.nats.push(gatewayNode(rc, side));
    else if (role === 'instance') model.nats.push(instanceNode(rc, side));
    else if (role === 'route') {
      const route = routeNode(rc, side);
      if (route) model.routes.push(route);
    } else if (role === 'association' || role === 'eip') {
      const claim = claimNode(rc, side, role);
      if (claim) model.claims.push(claim);
    }
  }
  holdClaimedAddresses(model);
  return model;
}
