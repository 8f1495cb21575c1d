/**
 * Comparing two NAT topologies (a plan's before and after side): NATs and NAT routes that go and come, the
 * mode switch, and the Elastic IPs that change hands inside one apply (handovers → expected applies).
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
  const families = new Set(nodes.map((n) => modeOf(n.kind)).filter((f): f is NatMode => !!f && f !== exclude));
  return MODE_ORDER.find((f) => families.has(f));
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
export function compareModels(before: NatTopology, after: NatTopology): ModelComparison {
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
  const from = pickMode(fromNodes);
  const to = pickMode(toNodes, from);
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
  for (const n of before.nats) if (modeOf(n.kind)) entry(n.key).before.push(n);
  for (const n of after.nats) if (modeOf(n.kind)) entry(n.key).after.push(n);
  const changed = (e: { before: NatNode[]; after: NatNode[] }) =>
    e.before.map(id).sort().join() !== e.after.map(id).sort().join() ||
    e.before.some((n) => deletes(n.rc)) ||
    e.after.some((n) => creates(n.rc));
  const perKey = [...byKey.values()].filter(changed);
  return { removed, added, removedRoutes, addedRoutes, modeSwitch, handovers, perKey };
}
