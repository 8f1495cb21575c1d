/**
 * Elastic IP associations, Elastic IP updates and private default routes that no NAT event above explained: an
 * address leaving or moving between NATs, a route deleted, replaced, added or pointed elsewhere. Associations and
 * routes created with a new NAT of their AZ key are left to that NAT's capacity finding (rules/capacity.ts).
 */
import { hasNatRoute, natRouteRetargeted, routeTargetText } from '../../nat/index';
import type { ItemRule } from '../claim';
import { tagsOnly, type ReviewContext } from '../context';
import { MAINTENANCE, NO_IMPACT, ROLLBACK, tagsOnlyDraft } from '../text';
import type { Draft, Item } from '../types';

const BLIP = 'Expect a brief egress blip in this AZ; run verify-egress after the apply.';

function one(it: Item, severity: Draft['severity'], kind: string, title: string, why: string, action: string): Draft {
  return { severity, kind, title, group: [it], why, action };
}

/** Does the plan create a NAT of one of these roles in the item's AZ key? */
function natCreatedInKey(ctx: ReviewContext, it: Item, roles: readonly string[]): boolean {
  return ctx.items.some((o) => roles.includes(o.role) && o.kind === 'create' && o.key === it.key);
}

/** An aws_eip_association / aws_nat_gateway_eip_association deleted, or created or changed (the EIP moves). */
export const associationChanged: ItemRule = {
  over: 'item',
  name: 'association-changed',
  selects: (i) => i.role === 'association',
  review: (it, ctx) => {
    const address = it.rc.address;
    if (it.kind === 'delete')
      return one(
        it,
        'high',
        'eip-disassociated',
        'NAT Elastic IP disassociated',
        `${address} is destroyed: the NAT loses its public IP, so egress in this AZ stops.`,
        `${MAINTENANCE} ${ROLLBACK}`,
      );
    if (it.kind === 'create' && natCreatedInKey(ctx, it, ['instance'])) return undefined; // with the new instance
    const done = it.kind === 'update' ? 'updated' : it.kind === 'create' ? 'created' : 're-created';
    return one(
      it,
      'medium',
      'eip-reassociated',
      'NAT Elastic IP re-associated',
      `${address} is ${done}: the EIP moves, and the NAT has no public IP for a moment.`,
      BLIP,
    );
  },
};

/** An aws_eip updated in place: tags only, moved to another instance or interface, or another attribute. */
export const eipUpdated: ItemRule = {
  over: 'item',
  name: 'eip-updated',
  selects: (i) => i.role === 'eip' && i.kind === 'update',
  review: (it) => {
    if (tagsOnly(it)) return tagsOnlyDraft(it, 'NAT Elastic IP');
    if (it.changed.some((a) => a === 'instance' || a === 'network_interface' || a === 'associate_with_private_ip'))
      return one(
        it,
        'medium',
        'eip-reassociated',
        'NAT Elastic IP re-associated',
        `${it.rc.address} moves to another ${it.changed.includes('instance') ? 'instance' : 'network interface'}: ` +
          'the old NAT loses its public IP.',
        'Expect a brief egress blip; run verify-egress after the apply.',
      );
    return one(
      it,
      'low',
      'eip-changed',
      `NAT Elastic IP updated in place (${it.changed.join(', ')})`,
      `${it.rc.address} changes in place; its address stays.`,
      NO_IMPACT,
    );
  },
};

function routeRetargeted(it: Item, label: string): Draft | undefined {
  if (!natRouteRetargeted(it.rc, it.changed)) return undefined;
  const [from, to] = [routeTargetText(it.rc, 'before'), routeTargetText(it.rc, 'after')];
  return one(
    it,
    'medium',
    'route-retargeted',
    'Private default route target changed',
    `${label} moves ${from ? `from ${from} ` : ''}${to ? `to ${to}` : 'to a target known after apply'}: ` +
      'connections through the old target are cut.',
    BLIP,
  );
}

function routeChange(it: Item, ctx: ReviewContext): Draft | undefined {
  const table = it.rc.type === 'aws_route_table';
  const [had, has] = [hasNatRoute(it.rc, 'before'), hasNatRoute(it.rc, 'after')];
  const label = table ? `the inline 0.0.0.0/0 route of ${it.rc.address}` : it.rc.address;
  if (it.kind === 'delete' || (had && !has && it.kind !== 'create'))
    return one(
      it,
      'high',
      'route-deleted',
      'Private default route deleted',
      `${label} is destroyed: the private subnets using it have no way out.`,
      `${MAINTENANCE} If NAT is being removed on purpose, this is a quiesce.`,
    );
  if (it.kind === 'replace')
    return one(
      it,
      'high',
      'route-replaced',
      'Private default route replaced',
      `${label} is destroyed and re-created: egress for its subnets is down in between.`,
      MAINTENANCE,
    );
  if (it.kind === 'create' || (!had && has)) {
    if (!table && natCreatedInKey(ctx, it, ['instance', 'gateway'])) return undefined; // with the new NAT
    const why = `${label} is created: egress capacity is only added.`;
    return one(
      it,
      'low',
      'nat-capacity-added',
      'Private default route added',
      why,
      'Run verify-egress after the apply.',
    );
  }
  return it.kind === 'update' ? routeRetargeted(it, label) : undefined;
}

/** A private default route (aws_route, or an aws_route_table's inline one) deleted, replaced, added or retargeted. */
export const routeChanged: ItemRule = {
  over: 'item',
  name: 'route-changed',
  selects: (i) => i.role === 'route',
  review: (it, ctx) => routeChange(it, ctx),
};
