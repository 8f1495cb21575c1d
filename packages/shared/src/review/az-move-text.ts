/**
 * What plan-guard says about a NAT the plan moves into another AZ (nat/subnets.ts azMoveOf): from which AZ to
 * which, why (another subnet, or its subnet re-created elsewhere), and what it means for the private subnets of
 * its AZ key: their egress crosses AZs (inter-AZ data transfer is charged) and an outage of the new AZ takes their
 * egress with it (AZ independence lost). Source of the cost and routing facts: DOMAIN.md, "Route tables may target
 * a NAT gateway, instance or interface in another AZ (inter-AZ transfer is charged; a route change drops existing
 * connections)".
 */
import { routeTableOf, subnetsOfRouteTable, type AzMove } from '../nat/index';
import type { ReviewContext } from './context';
import type { Item } from './types';

/** The private subnets that route through the key's NAT: the subnets of its NAT routes' tables (after side). */
function privateSubnets(ctx: ReviewContext, it: Item): { routes: string[]; subnets: string[] } {
  const routes = ctx.items.filter((o) => o.key === it.key && o.role === 'route');
  const subnets = routes.flatMap((r) => {
    const table = routeTableOf(r.rc, 'before') ?? routeTableOf(r.rc, 'after');
    return table ? subnetsOfRouteTable(table, 'after', ctx.subnets) : [];
  });
  return {
    routes: routes.map((r) => r.rc.address),
    subnets: [...new Set(subnets.map((s) => `${s.address}${s.azText ? ` (${s.azText})` : ''}`))],
  };
}

/** " — moves from AZ us-east-1b to us-east-1a" for a title. */
export function azMoveTitle(move: AzMove | undefined): string {
  return move ? ` — moves from AZ ${move.from} to ${move.to}` : '';
}

/** The move, its cause and its meaning, as sentences to append to a finding's why; '' without a move. */
export function azMoveText(move: AzMove | undefined, ctx: ReviewContext, it: Item): string {
  if (!move) return '';
  const cause = move.subnetReplaced
    ? `its subnet ${move.subnetBefore} is re-created in ${move.to}` +
      (move.associations.length ? `, with ${move.associations.join(', ')}` : '')
    : `its subnet changes from ${move.subnetBefore ?? 'its old subnet'} to ${move.subnetAfter ?? 'a subnet'} in ` +
      move.to;
  const { routes, subnets } = privateSubnets(ctx, it);
  const via = routes.length ? `, via ${routes.join(', ')}` : '';
  const who = subnets.length
    ? `The private subnets routed through it (${subnets.join(', ')}${via})`
    : `The private subnets of AZ key ${it.key === '-' ? '(unindexed)' : it.key} that route through it`;
  return (
    ` It moves from AZ ${move.from} to ${move.to}: ${cause}. ${who} then egress across AZs, to ${move.to}: ` +
    'inter-AZ data transfer is charged per GB, and an outage of ' +
    `${move.to} also takes away the egress of ${move.from} (the AZs are no longer independent). Keep each AZ's NAT ` +
    'in a public subnet of that AZ (check the subnet list the module derives).'
  );
}

/** The replaced subnet and its route table associations a move names beside the NAT (the finding's resources). */
export function azMoveRelated(move: AzMove | undefined): string[] {
  if (!move?.subnetReplaced) return []; // an unchanged subnet is no change of this plan
  return [...new Set([move.subnetBefore, ...move.associations].filter((a): a is string => !!a))];
}
