/**
 * The NAT topology model: per AZ key, which NAT serves it (a zonal NAT gateway, a regional NAT gateway, a NAT
 * instance, or a network interface that NAT instances attach to), with which Elastic IPs, and which private
 * default routes lead to it. One model, three builders: a plan's before side and after side
 * (`modelFromPlan`) and EC2 (`modelFromEc2`). plan-guard compares the two plan sides (`compareModels`);
 * verify-egress checks the EC2 one.
 *
 * Ids and allocation ids held in the model are for matching only: nothing here puts a value into text
 * (what a person reads is built from resource addresses and plan/values.ts `shownValue`).
 *
 * Sources: aws_nat_gateway (hashicorp/aws ≥ 6.24: `availability_mode`, `availability_zone_address`
 * {allocation_ids, availability_zone}, `regional_nat_gateway_address`, `auto_provision_zones`,
 * `auto_scaling_ips`); EC2 API NatGateway (AvailabilityMode, AutoProvisionZones, AutoScalingIps,
 * NatGatewayAddresses[].AvailabilityZone).
 */
import type { Address, Instance, NatGateway, NetworkInterface } from '@aws-sdk/client-ec2';
import { actionKind } from '../plan/load';
import { NAT_TARGETS, inlineNatRouteIndex, natRouteState, type Role } from '../plan/roles';
import type { ResourceChange } from '../plan/types';
import { asObj, rawString, rawValue, unknownAt, type Side } from '../plan/values';

export type NatKind = 'zonal-gateway' | 'regional-gateway' | 'instance' | 'interface' | 'private-gateway';
/** The NAT modes an environment switches between (an interface-based NAT is an instance NAT). */
export type NatFamily = 'gateway' | 'regional-gateway' | 'instance';

export function familyOf(kind: NatKind): NatFamily | undefined {
  if (kind === 'zonal-gateway') return 'gateway';
  if (kind === 'regional-gateway') return 'regional-gateway';
  if (kind === 'instance' || kind === 'interface') return 'instance';
  return undefined; // private NAT gateways give no internet egress
}

export interface RegionalZone {
  /** AZ name as configured (matching only). */
  az: string;
  allocationIds: string[];
}

export interface NatNode {
  /** Terraform address (with " (deposed <key>)" for a deposed object) or the EC2 id. */
  ref: string;
  kind: NatKind;
  /** AZ key: the indexed module instance (`module.nat[1]`), else the resource's count index / for_each key, else "-". */
  key: string;
  /** EC2 ids a route or association can name (gateway id, instance id, interface ids). Matching only. */
  ids: string[];
  /** Elastic IP allocation ids the NAT holds. Matching only. */
  allocationIds: string[];
  /** Regional gateway: manual (per-AZ addresses given) or automatic (AWS picks AZs and addresses). */
  regionalMode?: 'manual' | 'automatic';
  /** Regional gateway: the per-AZ addresses. */
  zones?: RegionalZone[];
  /** Regional gateway: AWS may add addresses under load (auto_scaling_ips / AutoScalingIps enabled). */
  autoScalingIps?: boolean;
  /** The plan change this node was read from (plan builders only). */
  rc?: ResourceChange;
}

export interface RouteNode {
  ref: string;
  key: string;
  /** Target ids (matching only); empty with `unknown` when the target is known only after apply. */
  targetIds: string[];
  unknown: boolean;
  rc?: ResourceChange;
}

/** A holder of an Elastic IP that is not itself a NAT: an aws_eip_association, or an aws_eip's own association. */
export interface Claim {
  ref: string;
  allocationId?: string;
  /** The instance / interface / gateway it targets (matching only); unknown targets are empty. */
  targetIds: string[];
  rc?: ResourceChange;
}

export interface TopologyModel {
  nats: NatNode[];
  routes: RouteNode[];
  claims: Claim[];
}

/** Keys of an address's indexed module instances, e.g. `module.nat[1]` or `module.fck_nat["us-east-1a"]`. */
export function azKeyOf(rc: ResourceChange): string {
  const mod = rc.module_address ?? '';
  if (/\]/.test(mod)) return mod;
  return rc.index === undefined || rc.index === null ? '-' : String(rc.index);
}

function refOf(rc: ResourceChange): string {
  return rc.deposed ? `${rc.address} (deposed ${rc.deposed})` : rc.address;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** Does this side of the change exist (before: it existed; after: it will exist)? */
export function sideExists(rc: ResourceChange, side: Side): boolean {
  const kind = actionKind(rc.change.actions);
  if (kind === 'read' || kind === 'forget') return side === 'before';
  if (side === 'before') return kind !== 'create';
  return kind !== 'delete';
}

function gatewayNode(rc: ResourceChange, side: Side): NatNode {
  const get = (path: (string | number)[]) => rawValue(rc, side, path);
  const base = {
    ref: refOf(rc),
    key: azKeyOf(rc),
    rc,
    ids: [rawString(rc, side, ['id'])].filter((x): x is string => !!x),
  };
  if (get(['connectivity_type']) === 'private') return { ...base, kind: 'private-gateway', allocationIds: [] };
  if (get(['availability_mode']) === 'regional') {
    const zones: RegionalZone[] = (
      Array.isArray(get(['availability_zone_address'])) ? (get(['availability_zone_address']) as unknown[]) : []
    )
      .map(asObj)
      .filter((z): z is Record<string, unknown> => !!z)
      .map((z) => ({
        az: String(z.availability_zone ?? z.availability_zone_id ?? ''),
        allocationIds: strings(z.allocation_ids),
      }));
    const current = (
      Array.isArray(get(['regional_nat_gateway_address'])) ? (get(['regional_nat_gateway_address']) as unknown[]) : []
    ).map(asObj);
    const manual = zones.length > 0 || get(['auto_provision_zones']) === 'disabled';
    return {
      ...base,
      kind: 'regional-gateway',
      regionalMode: manual ? 'manual' : 'automatic',
      zones,
      autoScalingIps: get(['auto_scaling_ips']) === 'enabled' || (!manual && get(['auto_scaling_ips']) !== 'disabled'),
      allocationIds: [
        ...new Set([
          ...zones.flatMap((z) => z.allocationIds),
          ...current.map((a) => String(a?.allocation_id ?? '')).filter(Boolean),
        ]),
      ],
    };
  }
  const allocation = rawString(rc, side, ['allocation_id']);
  return {
    ...base,
    kind: 'zonal-gateway',
    allocationIds: [...(allocation ? [allocation] : []), ...strings(get(['secondary_allocation_ids']))],
  };
}

/**
 * The model of one side of a plan. `roles` is the classifier's role map (plan/roles.ts natRoles), so the model
 * and the findings agree on what NAT is. Deposed objects are part of the before side.
 */
export function modelFromPlan(
  changes: readonly ResourceChange[],
  roles: ReadonlyMap<ResourceChange, Role>,
  side: Side,
): TopologyModel {
  const model: TopologyModel = { nats: [], routes: [], claims: [] };
  for (const [rc, role] of roles) {
    if (!sideExists(rc, side)) continue;
    const key = azKeyOf(rc);
    if (role === 'gateway') model.nats.push(gatewayNode(rc, side));
    else if (role === 'instance') {
      const ids = ['id', 'primary_network_interface_id']
        .map((k) => rawString(rc, side, [k]))
        .filter((x): x is string => !!x);
      model.nats.push({
        ref: refOf(rc),
        kind: rc.type === 'aws_network_interface' ? 'interface' : 'instance',
        key,
        ids,
        allocationIds: [],
        rc,
      });
    } else if (role === 'route') {
      const unknownSide = side === 'after' ? asObj(rc.change.after_unknown) : undefined;
      const obj = asObj(rawValue(rc, side, []));
      const route =
        rc.type === 'aws_route_table' ? asObj((obj?.route as unknown[] | undefined)?.[inlineNatRouteIndex(obj)]) : obj;
      const state = natRouteState(route, rc.type === 'aws_route_table' ? undefined : unknownSide);
      if (state === 'no') continue;
      const targetIds = NAT_TARGETS.map((t) => route?.[t]).filter(
        (x): x is string => typeof x === 'string' && x !== '',
      );
      model.routes.push({
        ref: refOf(rc),
        key,
        targetIds,
        unknown: state === 'maybe' || (side === 'after' && rc.type === 'aws_route_table' && unknownAt(rc, ['route'])),
        rc,
      });
    } else if (role === 'association' || role === 'eip') {
      const targets = ['instance_id', 'network_interface_id', 'nat_gateway_id', 'instance', 'network_interface']
        .map((k) => rawString(rc, side, [k]))
        .filter((x): x is string => !!x);
      const allocationId =
        rawString(rc, side, ['allocation_id']) ?? (role === 'eip' ? rawString(rc, side, ['id']) : undefined);
      if (role === 'eip' && targets.length === 0) continue; // an unassociated address claims nothing
      model.claims.push({ ref: refOf(rc), ...(allocationId ? { allocationId } : {}), targetIds: targets, rc });
    }
  }
  // NAT instances and interfaces hold the addresses associated with them.
  for (const nat of model.nats) {
    if (nat.kind !== 'instance' && nat.kind !== 'interface') continue;
    for (const claim of model.claims) {
      if (
        claim.allocationId &&
        claim.targetIds.some((t) => nat.ids.includes(t)) &&
        !nat.allocationIds.includes(claim.allocationId)
      )
        nat.allocationIds.push(claim.allocationId);
    }
  }
  return model;
}

/** Plan attributes that tie a resource to one AZ's NAT path (matching only), per role. */
const LINK_ATTRS: Partial<Record<Role, string[]>> = {
  gateway: ['subnet_id', 'allocation_id'],
  instance: ['subnet_id', 'id', 'primary_network_interface_id'],
  route: ['route_table_id'], // not its target: one NAT serving several AZs does not make them one AZ
  association: ['allocation_id', 'instance_id', 'network_interface_id'],
  eip: ['allocation_id', 'instance', 'network_interface'],
  asg: ['vpc_zone_identifier'],
};

const AZ_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

/**
 * AZ keys that name the same AZ: resources of different keys are linked when they share a subnet, a private
 * route table, an Elastic IP allocation or a NAT id on either side of the plan (a gateway-per-index module
 * replaced by an instance-per-AZ module keeps the same subnets, route tables and addresses). Regional gateways
 * span AZs and link nothing. Returns key → the linked group's name: an AZ name when one of its keys is one,
 * else an indexed module instance, else the first key in key order.
 */
export function linkKeys(
  roles: ReadonlyMap<ResourceChange, Role>,
  compare: (a: string, b: string) => number,
): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(k, r);
    return r;
  };
  const owner = new Map<string, string>();
  for (const [rc, role] of roles) {
    const key = azKeyOf(rc);
    if (!parent.has(key)) parent.set(key, key);
    if (
      role === 'gateway' &&
      (rawValue(rc, 'before', ['availability_mode']) === 'regional' ||
        rawValue(rc, 'after', ['availability_mode']) === 'regional')
    )
      continue;
    for (const side of ['before', 'after'] as const) {
      for (const attr of LINK_ATTRS[role] ?? []) {
        const v = rawValue(rc, side, [attr]);
        for (const value of Array.isArray(v) ? v : [v]) {
          if (typeof value !== 'string' || value === '') continue;
          const other = owner.get(value);
          if (other === undefined) owner.set(value, key);
          else if (find(other) !== find(key)) parent.set(find(other), find(key));
        }
      }
    }
  }
  const groups = new Map<string, string[]>();
  for (const k of parent.keys()) groups.set(find(k), [...(groups.get(find(k)) ?? []), k]);
  const out = new Map<string, string>();
  for (const keys of groups.values()) {
    keys.sort(compare);
    const name = keys.find((k) => AZ_NAME.test(k)) ?? keys.find((k) => k.startsWith('module.')) ?? (keys[0] as string);
    for (const k of keys) out.set(k, name);
  }
  return out;
}

/** The EC2 side: what `readTopology` saw, as the same model (routes are per route table, keyed by AZ). */
export function modelFromEc2(input: {
  natGateways: NatGateway[];
  natInstances: Instance[];
  natInterfaces?: NetworkInterface[];
  addresses: Address[];
  /** AZ of each subnet (gateway placement). */
  subnetAz: ReadonlyMap<string, string>;
  routes: { tableId: string; azs: string[]; target: string }[];
}): TopologyModel {
  const model: TopologyModel = { nats: [], routes: [], claims: [] };
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

/** The NAT a route leads to, if the model has it. */
export function natOfRoute(model: TopologyModel, route: RouteNode): NatNode | undefined {
  return model.nats.find((n) => route.targetIds.some((t) => n.ids.includes(t)));
}

/**
 * The output `mode-switch`: 'none', or `<from>-to-<to>` between gateway (zonal NAT gateways), regional-gateway
 * and instance (NAT instances, whether aws_instance or an Auto Scaling group behind a network interface).
 */
export type ModeSwitch = 'none' | `${NatFamily}-to-${NatFamily}`;

export interface Handover {
  /** The NAT gateway (being deleted) that holds the address when the apply starts. */
  from: NatNode;
  /** What takes the address in the same apply (address of an association, gateway or Elastic IP). */
  to: string;
}

export interface ModelComparison {
  /** NAT families that lose NATs / gain NATs. */
  removed: NatNode[];
  added: NatNode[];
  removedRoutes: RouteNode[];
  addedRoutes: RouteNode[];
  /** `<from>-to-<to>` when the NAT mode changes (gateway, regional-gateway, instance), else 'none'. */
  modeSwitch: ModeSwitch;
  /** Addresses that change hands inside one apply while a deleting NAT gateway still holds them. */
  handovers: Handover[];
  /** Per AZ key whose NATs differ between the sides: the NATs before and after (private gateways left out). */
  perKey: { key: string; before: NatNode[]; after: NatNode[] }[];
}

const FAMILY_ORDER: NatFamily[] = ['instance', 'regional-gateway', 'gateway'];

function pickFamily(nodes: NatNode[], exclude?: NatFamily): NatFamily | undefined {
  const families = new Set(nodes.map((n) => familyOf(n.kind)).filter((f): f is NatFamily => !!f && f !== exclude));
  return FAMILY_ORDER.find((f) => families.has(f));
}

const deletes = (rc: ResourceChange | undefined) => !!rc && rc.change.actions.includes('delete');
const creates = (rc: ResourceChange | undefined) => !!rc && rc.change.actions.includes('create');

/**
 * Compares a plan's before and after models: what NATs and NAT routes go and come, whether the NAT mode
 * changes, and which Elastic IPs change hands inside one apply. A handover is an allocation held by a NAT
 * gateway (zonal or regional, deposed included) that this plan deletes, taken by something this plan creates
 * (an aws_eip_association to an instance or interface, a gateway or a regional gateway's
 * availability_zone_address with the same allocation). EC2 keeps the address associated for a while after
 * the gateway is deleted, so the taker fails ("AuthFailure" for an association; a gateway creation that
 * ends `failed`) and a second apply is needed (the race cutover handles). When the taker's allocation is
 * unknown until apply, a gateway → instance switch is still assumed to hand over (the reference layout).
 */
export function compareModels(before: TopologyModel, after: TopologyModel): ModelComparison {
  const id = (n: NatNode) => `${n.ref}|${n.kind}`;
  const afterRefs = new Set(after.nats.map(id));
  const beforeRefs = new Set(before.nats.map(id));
  const removed = before.nats.filter((n) => !afterRefs.has(id(n)) || deletes(n.rc));
  const added = after.nats.filter((n) => !beforeRefs.has(id(n)) || creates(n.rc));
  const beforeRoutes = new Set(before.routes.map((r) => r.ref));
  const afterRoutes = new Set(after.routes.map((r) => r.ref));
  const removedRoutes = before.routes.filter((r) => !afterRoutes.has(r.ref));
  const addedRoutes = after.routes.filter((r) => !beforeRoutes.has(r.ref));

  // NATs that go without coming back (and come without having been there): a replacement is neither.
  const addedIds = new Set(added.map(id));
  const removedIds = new Set(removed.map(id));
  const fromNodes = removed.filter((n) => !addedIds.has(id(n)));
  const toNodes = added.filter((n) => !removedIds.has(id(n)));
  const from = pickFamily(fromNodes);
  const to = pickFamily(toNodes, from);
  const modeSwitch: ModeSwitch = from && to ? `${from}-to-${to}` : 'none';

  const handovers: Handover[] = [];
  const holders = before.nats.filter(
    (n) => (n.kind === 'zonal-gateway' || n.kind === 'regional-gateway') && deletes(n.rc),
  );
  const takers: { ref: string; allocationIds: string[]; unknown: boolean }[] = [
    ...after.nats
      .filter((n) => (n.kind === 'zonal-gateway' || n.kind === 'regional-gateway') && creates(n.rc))
      .map((n) => ({ ref: n.ref, allocationIds: n.allocationIds, unknown: false })),
    ...after.claims
      .filter((c) => creates(c.rc) || (c.rc && c.rc.change.actions.includes('update') && c.rc.type === 'aws_eip'))
      .map((c) => ({ ref: c.ref, allocationIds: c.allocationId ? [c.allocationId] : [], unknown: !c.allocationId })),
  ];
  const holdersByAllocation = new Map<string, NatNode[]>();
  for (const h of holders)
    for (const a of h.allocationIds) holdersByAllocation.set(a, [...(holdersByAllocation.get(a) ?? []), h]);
  for (const taker of takers) {
    const holding = taker.allocationIds.flatMap((a) => holdersByAllocation.get(a) ?? []);
    const holder =
      holding.find((h) => h.ref !== taker.ref) ??
      holding[0] ??
      (modeSwitch === 'gateway-to-instance' && taker.unknown ? holders[0] : undefined);
    if (holder) handovers.push({ from: holder, to: taker.ref });
  }

  const byKey = new Map<string, { key: string; before: NatNode[]; after: NatNode[] }>();
  const entry = (key: string) => byKey.get(key) ?? byKey.set(key, { key, before: [], after: [] }).get(key)!;
  for (const n of before.nats) if (familyOf(n.kind)) entry(n.key).before.push(n);
  for (const n of after.nats) if (familyOf(n.kind)) entry(n.key).after.push(n);
  const changed = (e: { before: NatNode[]; after: NatNode[] }) =>
    e.before.map(id).sort().join() !== e.after.map(id).sort().join() ||
    e.before.some((n) => deletes(n.rc)) ||
    e.after.some((n) => creates(n.rc));
  const perKey = [...byKey.values()].filter(changed);
  return { removed, added, removedRoutes, addedRoutes, modeSwitch, handovers, perKey };
}
