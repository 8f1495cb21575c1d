/**
 * Regional NAT gateways (EC2 AvailabilityMode=regional; hashicorp/aws ≥ 6.24): in automatic mode AWS chooses
 * (and may add) the outbound addresses; in manual mode each AZ's address block is the egress of that AZ.
 */
import type { NatNode } from '../../nat/index';
import type { ItemRule, PlanRule } from '../claim';
import type { ReviewContext } from '../context';
import { MAINTENANCE } from '../text';
import type { Draft, Item } from '../types';

function automaticDraft(ctx: ReviewContext, n: NatNode, it: Item): Draft {
  const eipsDestroyed = ctx.items.some((i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'));
  return {
    severity: eipsDestroyed ? 'critical' : 'high',
    kind: 'regional-automatic-addresses',
    title:
      'Regional NAT gateway in automatic mode: outbound IPs chosen by AWS' +
      (eipsDestroyed ? ', and the old Elastic IPs are destroyed' : ''),
    group: [it],
    why:
      `${it.rc.address} has no availability_zone_address blocks, so AWS picks the AZs and the Elastic IPs` +
      (n.autoScalingIps ? ' and adds addresses under load (auto_scaling_ips)' : '') +
      ': the outbound addresses are not yours to choose and can change or grow, which breaks allow-lists, SPF ' +
      'and reverse DNS that name specific IPs.' +
      (eipsDestroyed ? ' This plan also destroys Elastic IPs, so the old outbound addresses are gone for good.' : ''),
    action:
      'For an environment whose outbound IPs are allow-listed, use manual mode: one availability_zone_address ' +
      'block per AZ with the existing allocation_ids (see the runbook, zonal → regional migration).',
  };
}

/**
 * Every regional gateway in automatic mode on the after side that the plan creates or moves to automatic mode
 * (already claimed or not: the address choice is a risk of its own).
 */
export const regionalAutomaticAddresses: PlanRule = {
  over: 'plan',
  name: 'regional-automatic-addresses',
  review: (ctx) => {
    const drafts: Draft[] = [];
    for (const n of ctx.after.nats.filter((x) => x.kind === 'regional-gateway' && x.regionalMode === 'automatic')) {
      const it = ctx.itemOf(n);
      const was = ctx.before.nats.find((b) => b.ref === n.ref);
      if (!it || (was && was.regionalMode === 'automatic' && !it.rc.change.actions.includes('create'))) continue;
      drafts.push(automaticDraft(ctx, n, it));
    }
    return drafts;
  },
};

/** AZs whose address block a regional gateway update drops, and AZs whose Elastic IPs it changes. */
export function zoneChanges(ctx: ReviewContext, it: Item): { manual: boolean; dropped: string[]; moved: string[] } {
  const [was, will] = [ctx.before.nats.find((n) => n.rc === it.rc), ctx.after.nats.find((n) => n.rc === it.rc)];
  const zones = (n: NatNode | undefined) =>
    new Map((n?.zones ?? []).map((z) => [z.az, [...z.allocationIds].sort().join()]));
  const [zb, za] = [zones(was), zones(will)];
  return {
    manual: will?.regionalMode === 'manual',
    dropped: [...zb.keys()].filter((az) => !za.has(az)),
    moved: [...zb.keys()].filter((az) => za.has(az) && za.get(az) !== zb.get(az)),
  };
}

function zoneChangedDraft(ctx: ReviewContext, it: Item): Draft {
  const { dropped, moved } = zoneChanges(ctx, it);
  const droppedText =
    `no longer has an availability_zone_address for ${dropped.length} AZ(s): private subnets there that route ` +
    'to it lose egress (manual mode does not expand to unlisted AZs)';
  const movedText = `changes the Elastic IPs of ${moved.length} AZ(s): their outbound address changes`;
  return {
    severity: 'high',
    kind: 'regional-zone-changed',
    title:
      'Regional NAT gateway: ' + (dropped.length ? `AZ address removed (${dropped.length})` : 'AZ addresses changed'),
    group: [it],
    why:
      `${it.rc.address} ${dropped.length ? droppedText : ''}${dropped.length && moved.length ? '; and ' : ''}` +
      `${moved.length ? movedText : ''}.`,
    action:
      'Keep one availability_zone_address per AZ with private subnets, on the allow-listed Elastic IPs. ' + MAINTENANCE,
  };
}

/** A manual-mode regional gateway updated so that an AZ loses its address block or gets other Elastic IPs. */
export const regionalZoneChanged: ItemRule = {
  over: 'item',
  name: 'regional-zone-changed',
  selects: (i, ctx) => {
    if (i.role !== 'gateway' || i.kind !== 'update') return false;
    const { manual, dropped, moved } = zoneChanges(ctx, i);
    return manual && (dropped.length > 0 || moved.length > 0);
  },
  review: (it, ctx) => zoneChangedDraft(ctx, it),
};
