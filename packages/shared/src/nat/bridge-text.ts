/**
 * What plan-guard's report and the cutover's summary say up front about a plan's strategy: which one runs, why,
 * and the egress outage to expect — one wording for both (nat/bridge.ts decides what the plan allows). Built
 * from AZ keys and fixed text only, never from plan values. Facts: a route change drops the connections open
 * through the old target and a route to another AZ's NAT costs inter-AZ data transfer (VPC user guide, NAT
 * gateways, "Route tables"); a NAT gateway takes "a few minutes" from `deleting` to `deleted` and its Elastic IP
 * is released after that (VPC user guide, "Delete a NAT gateway").
 */
import type { BridgePlan } from './bridge';

export type StrategyInput = 'auto' | 'bridge' | 'in-place';

/** What a cutover with `input` will run for this plan: bridge, in-place, or refused (bridge asked, cannot apply). */
export function plannedStrategy(plan: BridgePlan, input: StrategyInput): 'bridge' | 'in-place' | 'refused' {
  if (input === 'in-place') return 'in-place';
  if (plan.applies) return 'bridge';
  return input === 'bridge' ? 'refused' : 'in-place';
}

/** What a bridge costs, in one sentence. */
export const BRIDGE_COST =
  'while an AZ is bridged its traffic crosses AZs (inter-AZ data transfer is charged) and the serving NAT carries ' +
  "two AZs' traffic; each route change drops the connections open through the old target";

/** The AZ keys named in an outage text: at most this many, then "and N more". */
const KEYS_SHOWN = 6;

function keysText(keys: readonly string[]): string {
  const shown = keys.slice(0, KEYS_SHOWN).join(', ');
  return keys.length > KEYS_SHOWN ? `${shown} and ${keys.length - KEYS_SHOWN} more` : shown;
}

/**
 * The outage to expect, per AZ, for the strategy that runs. `losing`: the AZ keys the caller's model says lose
 * egress (plan-guard: its `affected` keys, the keys of its high and critical findings); when given, the in-place
 * text names them and never says "none" while one loses egress. Without it, the plan alone decides.
 */
export function expectedOutage(plan: BridgePlan, strategy: 'bridge' | 'in-place', losing?: readonly string[]): string {
  if (strategy === 'bridge')
    return (
      `none in any AZ: each AZ's private route moves to a serving NAT of another AZ while its own NAT is replaced, ` +
      `then to its new NAT once it passes verify-egress's checks (${BRIDGE_COST})`
    );
  const keys = losing ?? [];
  if (!plan.takesNatAway && keys.length === 0) return 'none expected: the plan takes no NAT away';
  const each = keys.length > 0 ? `AZ keys ${keysText(keys)} lose egress: each` : 'each affected AZ';
  if (!plan.takesNatAway)
    return (
      `${each} is without egress from the change that breaks its route until the route reaches a serving NAT ` +
      '(see the findings)'
    );
  if (!plan.natComesBack)
    return (
      `${each} is without egress from its NAT's deletion: the plan deletes NATs and creates none, so egress ` +
      'comes back only where a route points at another serving NAT'
    );
  if (plan.handover)
    return (
      `${each} is without egress from its NAT gateway's deletion until its Elastic IP is on the new NAT: ` +
      'the time AWS holds the address (a few minutes in AWS); cutover associates it the moment it is free'
    );
  if (plan.modeSwitch === 'instance-to-gateway')
    return `${each} is without egress from its NAT instance's removal until its new NAT gateway is available`;
  return `${each} is without egress while its NAT is replaced (until the new NAT has its address and route)`;
}

/**
 * "bridge: …" / "in-place (why): …" — the strategy line plan-guard and the cutover print first. `losing`: the AZ keys
 * that lose egress in the caller's model (expectedOutage).
 */
export function strategyLine(plan: BridgePlan, input: StrategyInput, why?: string, losing?: readonly string[]): string {
  const chosen = plannedStrategy(plan, input);
  const azs = plan.azs.map((a) => a.key).join(', ');
  if (chosen === 'bridge')
    return `bridge, one AZ at a time (${azs}); expected outage: ${expectedOutage(plan, 'bridge')}`;
  if (chosen === 'refused')
    return `strategy: bridge cannot apply (${why ?? plan.reason}): cutover refuses before changing anything`;
  const reason = input === 'in-place' ? 'strategy: in-place' : `bridging cannot apply: ${why ?? plan.reason}`;
  return `in-place (${reason}); expected outage: ${expectedOutage(plan, 'in-place', losing)}`;
}
