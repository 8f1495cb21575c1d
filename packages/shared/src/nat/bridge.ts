/**
 * The bridged switch, as far as a plan tells (plan-guard and cutover both read it here): whether a reviewed plan
 * can be applied one AZ at a time while that AZ's private default route points at a NAT of another AZ, and the
 * `-target` sets of each AZ's steps, computed from the NAT roles (roles.ts) and the AZ keys (keys.ts linkKeys),
 * never from resource names.
 *
 * What the sets are made of (measured with terraform 1.11.4 and hashicorp/aws 5.100.0, /work/notes/research-18.md):
 * `-target` pulls a dependency in at resource level (every instance of it) unless each instance is targeted by
 * index, so an AZ's NAT step targets every NAT-path resource of that AZ by index (gateway, instance, association)
 * and its route step targets the route with the AZ's gateway and instance. Supporting resources nothing depends on
 * (the NAT security group's rules) are targeted in the first NAT step when they are created, and every supporting
 * resource the plan deletes (security group, rules, IAM role and profile) in the last route step: a targeted plan
 * of an earlier route would delete them while other AZs' NAT instances still use them, so with such deletes every
 * AZ but the last changes its route with EC2 ReplaceRoute to the NAT terraform just created (`routeByEc2`).
 */
import { actionKind, type ResourceChange } from '../plan/index';
import { azKeyOf, linkKeys } from './keys';
import { claimOf, gatewayAllocationIds, natGatewayOf, natInstanceOf, natRouteOf } from './plan';
import { natRoles, type ClassifyOptions } from './roles';
import { compareModels } from './compare';
import { eipAllocationIds } from './facts';
import { modelFromPlan } from './plan';
import type { ModeSwitch, Role } from './types';

/** One AZ of a bridged switch: its private default route and the NAT-path resources the plan changes there. */
export interface BridgeAz {
  /** The AZ key (linked: keys.ts), e.g. "0" or `module.nat["us-east-1a"]`. */
  key: string;
  /** The aws_route address of the AZ's private default route. */
  route: string;
  /** Its route table (before side, else after). Matching and EC2 calls only. */
  routeTableId?: string;
  /** Does the plan change the route itself? */
  routeChanges: boolean;
  /** The AZ's gateway, instance and association changes that do something, in plan order: the NAT step's targets. */
  natPath: string[];
  /** Of those, the ones the plan replaces on request (`terraform plan -replace`): the NAT step passes -replace. */
  replace: string[];
  /**
   * Every gateway and instance address of the AZ in the plan (no-ops included), and the AZ's index of every other
   * gateway or instance resource keyed like the AZs (siblingAddresses): the route step's extra targets.
   */
  natAddresses: string[];
  /** The mode the AZ's NAT is in after the plan ('gateway' or 'instance'); undefined when the plan leaves it. */
  afterMode?: 'gateway' | 'instance';
  /** The instance type of the AZ's NAT instance after the plan (instance_type), when it is one. */
  afterInstanceType?: string;
  /** The Elastic IP allocations of the AZ's NAT on the after side (its gateway's, its association's). Matching. */
  allocationIds: string[];
  /** The ids of the AZ's NATs on the before side (gateway id; instance and interface ids). Matching and EC2 only. */
  beforeIds: string[];
  /** The instance ids among them. */
  beforeInstanceIds: string[];
}

export interface BridgePlan {
  /** Can the plan be applied one AZ at a time behind a bridge? */
  applies: boolean;
  /** Why not, in one line (when `applies` is false). */
  reason?: string;
  /** Every AZ key with a private NAT default route in the plan (no-ops included), sorted. */
  azKeys: string[];
  /** Every such AZ (those the plan leaves alone too: their NATs can carry a bridge), in key order. */
  allAzs: BridgeAz[];
  /** Every Elastic IP allocation of the plan's aws_eip resources (the NAT addresses allow-listed together). */
  eipAllocationIds: string[];
  /** The AZs whose NAT path the plan changes, in key order. */
  azs: BridgeAz[];
  /** Supporting resources (security, IAM) the plan creates or updates: targeted in the first NAT step. */
  supportingFirst: string[];
  /** Supporting resources the plan deletes: targeted in the last route step. */
  supportingLast: string[];
  /** Every AZ but the last changes its route with EC2 ReplaceRoute (the plan deletes supporting resources). */
  routeByEc2: boolean;
  modeSwitch: ModeSwitch;
  /**
   * The plan deletes or replaces a NAT (or its association) anywhere, in an AZ with a private default route or not
   * (a NAT whose routes the plan re-points elsewhere counts too): applied in place, egress stops there.
   */
  takesNatAway: boolean;
  /** The plan creates a NAT (or a replacement) somewhere; false when it only takes NATs away (quiescing). */
  natComesBack: boolean;
  /** An Elastic IP held by a NAT gateway being deleted is taken in the same apply (the race: two applies). */
  handover: boolean;
}

/** Numbers numerically, then the rest in code-point order (count indexes first). */
export function compareAzKeys(a: string, b: string): number {
  const [na, nb] = [/^\d+$/.test(a) ? Number(a) : NaN, /^\d+$/.test(b) ? Number(b) : NaN];
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const kindOf = (rc: ResourceChange) => actionKind(rc.change.actions);
const acts = (rc: ResourceChange) => !['no-op', 'read'].includes(kindOf(rc));
const NAT_PATH: ReadonlySet<Role> = new Set(['gateway', 'instance', 'association']);

interface Parts {
  roles: Map<ResourceChange, Role>;
  keyOf: (rc: ResourceChange) => string;
}

function partsOf(changes: readonly ResourceChange[], options: ClassifyOptions): Parts {
  const roles = natRoles(
    changes.filter((rc) => rc.mode !== 'data'),
    options,
  );
  const linked = linkKeys(roles, compareAzKeys);
  return { roles, keyOf: (rc) => linked.get(azKeyOf(rc)) ?? azKeyOf(rc) };
}

/** A plan-level reason bridging cannot apply, or undefined. */
function blocker(p: Parts): string | undefined {
  for (const [rc, role] of p.roles) {
    if (role === 'gateway') {
      const regional = (['before', 'after'] as const).some((s) => natGatewayOf(rc, s)?.availabilityMode === 'regional');
      if (regional) return `${rc.address} is a regional NAT gateway: one gateway serves every AZ, nothing to bridge to`;
    }
    if (role === 'instance' && rc.type === 'aws_network_interface' && acts(rc))
      return `${rc.address} is an ENI-based NAT (its Auto Scaling group replaces the instance): not bridged`;
    if (role === 'route' && rc.type === 'aws_route_table' && acts(rc))
      return `${rc.address} holds the private default route inline: bridging needs aws_route resources`;
    if (role === 'route' && kindOf(rc) === 'delete') return `${rc.address} is deleted: the plan takes egress away`;
    if (role === 'eip' && ['delete', 'replace'].includes(kindOf(rc)))
      return `${rc.address} is ${kindOf(rc) === 'delete' ? 'deleted' : 'replaced'}: the outbound IPs change`;
    if ((role === 'security' || role === 'iam') && kindOf(rc) === 'replace')
      return `${rc.address} is replaced: the NATs of every AZ depend on it`;
    if (role === 'asg' && acts(rc)) return `${rc.address} changes an Auto Scaling NAT: not bridged`;
  }
  return undefined;
}

/**
 * The AZ's gateway and instance addresses by index for every gateway or instance resource of the plan keyed like
 * the AZs (count index or for_each key = the AZ key), including those the plan no longer lists for this AZ: a NAT
 * an interrupted switch already deleted is refreshed out of the state, and a targeted route plan without its
 * address pulls the resource in at resource level — every other AZ's gateway delete with it (research-18 §0:
 * targeting each by index, present or not, keeps it to this AZ). Rehearsal: a bridged switch killed during its
 * first NAT step; the re-run's route step planned `aws_nat_gateway.nat[1]` delete.
 */
function siblingAddresses(p: Parts, key: string): string[] {
  const out = new Set<string>();
  for (const [rc, role] of p.roles) {
    if ((role !== 'gateway' && role !== 'instance') || rc.index === undefined || rc.index === null) continue;
    if (String(rc.index) !== p.keyOf(rc) || !rc.address.endsWith(']')) continue;
    const base = rc.address.slice(0, rc.address.lastIndexOf('['));
    if (typeof rc.index === 'number') {
      if (/^\d+$/.test(key)) out.add(`${base}[${key}]`);
    } else out.add(`${base}[${JSON.stringify(key)}]`);
  }
  return [...out];
}

/** The AZ of one private route, with the NAT-path changes of its key. */
function azOf(p: Parts, route: ResourceChange, key: string): BridgeAz {
  const r = natRouteOf(route, 'before') ?? natRouteOf(route, 'after');
  const inKey = [...p.roles].filter(([rc, role]) => NAT_PATH.has(role) && p.keyOf(rc) === key);
  const natPath = inKey.filter(([rc]) => acts(rc)).map(([rc]) => rc);
  const after = modelFromPlan(
    inKey.map(([rc]) => rc),
    new Map(inKey),
    'after',
  );
  const afterNat = after.nats.find((n) => n.kind !== 'private-gateway');
  const afterType = afterNat?.rc ? natInstanceOf(afterNat.rc, 'after')?.instanceType : undefined;
  const before = modelFromPlan(
    inKey.map(([rc]) => rc),
    new Map(inKey),
    'before',
  ).nats.filter((n) => n.kind !== 'private-gateway');
  const allocationIds = [
    ...new Set([
      ...after.nats.flatMap((n) => (n.rc ? gatewayAllocationIds(n.rc, 'after') : [])),
      ...after.claims.flatMap((c) => (c.rc ? [claimOf(c.rc, 'after')?.allocationId] : [])),
    ]),
  ].filter((a): a is string => !!a);
  return {
    key,
    route: route.address,
    ...(r?.routeTableId ? { routeTableId: r.routeTableId } : {}),
    routeChanges: acts(route),
    natPath: [...new Set(natPath.map((rc) => rc.address))],
    replace: natPath.filter((rc) => rc.action_reason === 'replace_by_request').map((rc) => rc.address),
    natAddresses: [
      ...new Set([
        ...inKey.filter(([, role]) => role === 'gateway' || role === 'instance').map(([rc]) => rc.address),
        ...siblingAddresses(p, key),
      ]),
    ],
    ...(afterNat ? { afterMode: afterNat.kind === 'zonal-gateway' ? 'gateway' : 'instance' } : {}),
    ...(afterType ? { afterInstanceType: afterType } : {}),
    allocationIds,
    beforeIds: [...new Set(before.flatMap((n) => n.ids))],
    beforeInstanceIds: before.flatMap((n) => (n.kind === 'instance' && n.ids[0] ? [n.ids[0]] : [])),
  };
}

/** Is this change a NAT (or its path) deleted or replaced: something taken away? */
function takenAway(rc: ResourceChange, role: Role): boolean {
  return NAT_PATH.has(role) && ['delete', 'replace'].includes(kindOf(rc)) && !rc.deposed;
}

/** Does the AZ's NAT go away or get replaced in the plan (something is taken away that a bridge covers)? */
function takesAway(p: Parts, az: BridgeAz): boolean {
  return [...p.roles].some(([rc, role]) => p.keyOf(rc) === az.key && takenAway(rc, role));
}

/** The AZs and why the plan cannot be bridged, if it cannot (after the plan-level blockers). */
function azsOf(
  p: Parts,
  onBridge: ReadonlySet<string>,
): { azKeys: string[]; all: BridgeAz[]; azs: BridgeAz[]; reason?: string } {
  const routes = [...p.roles].filter(
    ([rc, role]) =>
      role === 'route' &&
      rc.type === 'aws_route' &&
      !rc.deposed &&
      [natRouteOf(rc, 'before')?.state, natRouteOf(rc, 'after')?.state].some((s) => s === 'nat' || s === 'maybe'),
  );
  const byKey = new Map<string, ResourceChange[]>();
  for (const [rc] of routes) byKey.set(p.keyOf(rc), [...(byKey.get(p.keyOf(rc)) ?? []), rc]);
  const azKeys = [...byKey.keys()].sort(compareAzKeys);
  const several = azKeys.find((k) => (byKey.get(k) ?? []).length > 1);
  if (several)
    return { azKeys, all: [], azs: [], reason: `AZ ${several} has several private default routes: not bridged` };
  const all = azKeys.map((k) => azOf(p, (byKey.get(k) as ResourceChange[])[0] as ResourceChange, k));
  const azs = all.filter((a) => a.routeChanges || a.natPath.length > 0);
  const orphan = [...p.roles].find(([rc, role]) => NAT_PATH.has(role) && acts(rc) && !byKey.has(p.keyOf(rc)));
  if (orphan) return { azKeys, all, azs, reason: `${orphan[0].address} belongs to no AZ with a private default route` };
  if (azs.length === 0) return { azKeys, all, azs, reason: 'the plan changes no NAT' };
  if (azKeys.length < 2) return { azKeys, all, azs, reason: 'one AZ: there is no other AZ whose NAT could carry it' };
  if (!azs.some((a) => takesAway(p, a) || (a.routeChanges && onBridge.has(a.key))))
    return { azKeys, all, azs, reason: 'the plan takes no NAT away: nothing to bridge' };
  const lost = azs.find((a) => !a.afterMode);
  if (lost) return { azKeys, all, azs, reason: `AZ ${lost.key} has no NAT after the plan` };
  return { azKeys, all, azs };
}

export interface BridgePlanOptions extends ClassifyOptions {
  /**
   * AZ keys whose private default route is on a bridge now (EC2: at a serving NAT of another AZ, left by an
   * interrupted bridged switch; the cutover reads it, a plan cannot tell). A plan that moves such a route back
   * has something to bridge even when it takes no NAT away (the AZ's NAT was already deleted): its route must wait
   * on the bridge until the new NAT passes the health checks.
   */
  onBridge?: ReadonlySet<string>;
}

/**
 * The bridged switch of a plan's NAT changes (every NAT candidate change, no-ops included: they show the AZs the
 * plan leaves alone). Pure; reads NAT attributes only through this folder. See the file comment for the sets.
 */
export function bridgePlan(changes: readonly ResourceChange[], options: BridgePlanOptions = {}): BridgePlan {
  const p = partsOf(changes, options);
  const supporting = [...p.roles].filter(([rc, role]) => (role === 'security' || role === 'iam') && acts(rc));
  const supportingFirst = supporting.filter(([rc]) => kindOf(rc) !== 'delete').map(([rc]) => rc.address);
  const supportingLast = supporting.filter(([rc]) => kindOf(rc) === 'delete').map(([rc]) => rc.address);
  const roles = p.roles;
  const cmp = compareModels(modelFromPlan(changes, roles, 'before'), modelFromPlan(changes, roles, 'after'));
  const { azKeys, all, azs, reason: azReason } = azsOf(p, options.onBridge ?? new Set());
  const reason = blocker(p) ?? azReason;
  const eips = [...p.roles].filter(([, role]) => role === 'eip').map(([rc]) => rc);
  return {
    applies: reason === undefined,
    ...(reason ? { reason } : {}),
    azKeys,
    allAzs: all,
    azs,
    eipAllocationIds: [
      ...new Set(eips.flatMap((rc) => [...eipAllocationIds(rc, 'before'), ...eipAllocationIds(rc, 'after')])),
    ],
    supportingFirst,
    supportingLast,
    routeByEc2: supportingLast.length > 0,
    modeSwitch: cmp.modeSwitch,
    takesNatAway: [...p.roles].some(([rc, role]) => takenAway(rc, role)),
    natComesBack: cmp.added.some((n) => n.kind !== 'private-gateway'),
    handover: cmp.expectedApplies === 2,
  };
}
