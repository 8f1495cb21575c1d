/**
 * Per-AZ egress gaps of an in-place cutover, from the apply streams' own `@timestamp`s (timeline.ts egressGap, one
 * AZ at a time): the egress roles of the plan's NAT changes (timeline.ts egressRoles) split by AZ key (nat/ linkKeys,
 * as plan-guard links them), then each AZ's first breaking change → its last restoring change.
 */
import { azKeyOf, compareAzKeys, linkKeys, natRoles } from '../nat/index';
import type { ResourceChange } from '../plan/index';
import type { HookEvent } from '../terraform/index';
import type { AzGap } from './switch-types';
import { egressGap, egressRoles, type EgressRoles } from './timeline';

/** The egress roles of each AZ key (supporting resources play none). */
export function egressRolesByAz(changes: readonly ResourceChange[]): Map<string, EgressRoles> {
  const roles = natRoles(changes);
  const linked = linkKeys(roles, compareAzKeys);
  const all = egressRoles(changes);
  const out = new Map<string, EgressRoles>();
  const keyOf = new Map([...roles.keys()].map((rc) => [rc.address, linked.get(azKeyOf(rc)) ?? azKeyOf(rc)]));
  const slot = (address: string) => {
    const key = keyOf.get(address) ?? '-';
    return out.get(key) ?? out.set(key, { breaking: new Set(), restoring: new Set() }).get(key)!;
  };
  for (const a of all.breaking) slot(a).breaking.add(a);
  for (const a of all.restoring) slot(a).restoring.add(a);
  return new Map([...out].sort(([a], [b]) => compareAzKeys(a, b)));
}

/** Each AZ's gap over the hooks (only AZs with a change that breaks egress). */
export function azGaps(
  hooks: readonly HookEvent[],
  byAz: ReadonlyMap<string, EgressRoles>,
  restored: boolean,
): AzGap[] {
  const out: AzGap[] = [];
  for (const [az, roles] of byAz) {
    const gap = egressGap(hooks, roles, restored);
    if (!gap) continue;
    const routeChanges = hooks.filter(
      (h) => h.type === 'apply_complete' && h.resourceType === 'aws_route' && roles.breaking.has(h.address),
    ).length;
    out.push({
      az,
      ...(gap.seconds !== undefined ? { seconds: gap.seconds } : {}),
      from: gap.from,
      fromWhat: gap.fromAddress,
      ...(gap.to ? { to: gap.to } : {}),
      ...(gap.toAddress ? { toWhat: gap.toAddress } : {}),
      routeChanges,
    });
  }
  return out;
}

/**
 * How many times terraform changed a route in these hooks: `apply_complete` events of `address` (an aws_route).
 * Each one drops the connections open through the old target, as an EC2 ReplaceRoute does (VPC user guide).
 */
export function routeApplies(hooks: readonly HookEvent[], address: string): number {
  return hooks.filter((h) => h.type === 'apply_complete' && h.address === address).length;
}

/** The worst AZ's seconds; undefined when there is none or one AZ's egress is not restored. */
export function worstGap(gaps: readonly AzGap[]): number | undefined {
  if (gaps.length === 0 || gaps.some((g) => g.seconds === undefined)) return undefined;
  return Math.max(...gaps.map((g) => g.seconds as number));
}
