/**
 * Comparing two NAT topologies (a plan's before and after side): NATs and NAT routes that go and come, the
 * mode switch, the Elastic IPs that change hands inside one apply (handovers → expected applies and failures),
 * and the contested allocations.
 */
import type { ResourceChange } from '../plan/types';
import {
  modeOf,
  type Handover,
  type ModeSwitch,
  type ModelComparison,
  type NatMode,
  type NatNode,
  type NatTopology,
} from './types';

const MODE_ORDER: NatMode[] = ['instance', 'regional-gateway', 'gateway'];

function pickMode(nodes: NatNode[], exclude?: NatMode): NatMode | undefined {
  const modes = new Set(nodes.map((n) => modeOf(n.kind)).filter((f): f is NatMode => !!f && f !== exclude));
  return MODE_ORDER.find((f) => modes.has(f));
}

const deletes = (rc: ResourceChange | undefined) => !!rc && rc.change.actions.includes('delete');
const creates = (rc: ResourceChange | undefined) => !!rc && rc.change.actions.includes('create');
const isGateway = (n: NatNode) => n.kind === 'zonal-gateway' || n.kind === 'regional-gateway';
const nodeId = (n: NatNode) => `${n.ref}|${n.kind}`;

/** NATs that go without coming back, and come without having been there: a replacement is neither. */
function modeSwitchOf(removed: NatNode[], added: NatNode[]): ModeSwitch {
  const addedIds = new Set(added.map(nodeId));
  const removedIds = new Set(removed.map(nodeId));
  const from = pickMode(removed.filter((n) => !addedIds.has(nodeId(n))));
  const to = pickMode(
    added.filter((n) => !removedIds.has(nodeId(n))),
    from,
  );
  return from && to ? `${from}-to-${to}` : 'none';
}

interface Taker {
  ref: string;
  allocationIds: string[];
  unknown: boolean;
}

/** What takes an address in this apply: created gateways, created associations, associated Elastic IPs. */
function takersOf(after: NatTopology): Taker[] {
  return [
    ...after.nats
      .filter((n) => isGateway(n) && creates(n.rc))
      .map((n) => ({ ref: n.ref, allocationIds: n.allocationIds, unknown: false })),
    ...after.claims
      .filter((c) => creates(c.rc) || (c.rc && c.rc.change.actions.includes('update') && c.rc.type === 'aws_eip'))
      .map((c) => ({ ref: c.ref, allocationIds: c.allocationId ? [c.allocationId] : [], unknown: !c.allocationId })),
  ];
}

/**
 * Handovers: each taker whose allocation a NAT gateway being deleted holds (another one first, the taker's own
 * deleted object last), or, on a gateway → instance switch, a taker whose allocation is unknown until apply.
 * One handover per taker; its allocationIds are all of the taker's allocations some deleting gateway holds.
 */
function handoversOf(before: NatTopology, after: NatTopology, modeSwitch: ModeSwitch): Handover[] {
  const holders = before.nats.filter((n) => isGateway(n) && deletes(n.rc));
  const byAllocation = new Map<string, NatNode[]>();
  for (const h of holders) for (const a of h.allocationIds) byAllocation.set(a, [...(byAllocation.get(a) ?? []), h]);
  const handovers: Handover[] = [];
  for (const taker of takersOf(after)) {
    const holding = taker.allocationIds.flatMap((a) => byAllocation.get(a) ?? []);
    const holder =
      holding.find((h) => h.ref !== taker.ref) ??
      holding[0] ??
      (modeSwitch === 'gateway-to-instance' && taker.unknown ? holders[0] : undefined);
    if (!holder) continue;
    const allocationIds = taker.allocationIds.filter((a) => byAllocation.has(a));
    handovers.push({ from: holder, to: taker.ref, allocationIds });
  }
  return handovers;
}

/** Per AZ key, the NATs (private gateways left out) of each side, where they differ or the plan changes them. */
function perKeyOf(before: NatTopology, after: NatTopology): ModelComparison['perKey'] {
  const byKey = new Map<string, { key: string; before: NatNode[]; after: NatNode[] }>();
  const entry = (key: string) => byKey.get(key) ?? byKey.set(key, { key, before: [], after: [] }).get(key)!;
  for (const n of before.nats) if (modeOf(n.kind)) entry(n.key).before.push(n);
  for (const n of after.nats) if (modeOf(n.kind)) entry(n.key).after.push(n);
  const changed = (e: { before: NatNode[]; after: NatNode[] }) =>
    e.before.map(nodeId).sort().join() !== e.after.map(nodeId).sort().join() ||
    e.before.some((n) => deletes(n.rc)) ||
    e.after.some((n) => creates(n.rc));
  return [...byKey.values()].filter(changed);
}

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
export function compareModels(before: NatTopology, after: NatTopology): ModelComparison {
  const afterRefs = new Set(after.nats.map(nodeId));
  const beforeRefs = new Set(before.nats.map(nodeId));
  const removed = before.nats.filter((n) => !afterRefs.has(nodeId(n)) || deletes(n.rc));
  const added = after.nats.filter((n) => !beforeRefs.has(nodeId(n)) || creates(n.rc));
  const beforeRoutes = new Set(before.routes.map((r) => r.ref));
  const afterRoutes = new Set(after.routes.map((r) => r.ref));
  const modeSwitch = modeSwitchOf(removed, added);
  const handovers = handoversOf(before, after, modeSwitch);
  return {
    removed,
    added,
    removedRoutes: before.routes.filter((r) => !afterRoutes.has(r.ref)),
    addedRoutes: after.routes.filter((r) => !beforeRoutes.has(r.ref)),
    modeSwitch,
    handovers,
    expectedApplies: handovers.length > 0 ? 2 : 1,
    expectedFailures: [...new Set(handovers.map((h) => h.to))],
    contested: [...new Set(handovers.flatMap((h) => h.allocationIds))].sort(),
    perKey: perKeyOf(before, after),
  };
}
