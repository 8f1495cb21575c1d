/** Wording the rules share: advice lines, verbs, NAT labels, and the first apply's expected failure. */
import type { NatKind, NatMode, NatNode } from '../nat/index';
import type { ResourceChange } from '../plan/types';
import { ROLLBACK_LEVER_LINE } from '../report/index';
import type { Draft, Item } from './types';

export const MAINTENANCE = 'Apply in a maintenance window and run verify-egress right after.';

/** The advice when cutover will switch this plan one AZ at a time behind a bridge (nat/bridge-text.ts). */
export const BRIDGED =
  'Apply through the cutover action: it switches one AZ at a time, each behind a bridge to a serving NAT of ' +
  'another AZ (strategy: auto or bridge), so no maintenance window is needed; while an AZ is bridged its traffic ' +
  "crosses AZs (inter-AZ data transfer) and the serving NAT carries two AZs' traffic, and each route change drops " +
  'the connections open through the old target. Run verify-egress right after.';

/** MAINTENANCE, or BRIDGED when cutover will bridge this plan. */
export function windowText(ctx: { bridged: boolean }): string {
  return ctx.bridged ? BRIDGED : MAINTENANCE;
}
export const ROLLBACK = ROLLBACK_LEVER_LINE;
export const NO_IMPACT = 'No egress impact expected.';

export const MODE_TEXT: Record<NatMode, string> = {
  gateway: 'gateway',
  'regional-gateway': 'regional gateway',
  instance: 'instance',
};

const VERBS: Record<string, string> = {
  create: 'created',
  delete: 'deleted',
  update: 'updated',
  replace: 'replaced',
  forget: 'removed from state',
};

/** The item kind as a past participle ("created", "removed from state"); unknown kinds as they are. */
export function verb(kind: string): string {
  return VERBS[kind] ?? kind;
}

/** "NAT network interface", "NAT gateway" or "NAT instance", by the item's resource type. */
export function natLabel(it: Item): string {
  if (it.rc.type === 'aws_network_interface') return 'NAT network interface';
  return it.rc.type === 'aws_nat_gateway' ? 'NAT gateway' : 'NAT instance';
}

const KIND_TEXT: Record<NatKind, string> = {
  'zonal-gateway': 'NAT gateway',
  'regional-gateway': 'regional NAT gateway',
  instance: 'NAT instance',
  interface: 'NAT interface',
  'private-gateway': 'private NAT gateway',
};

/** "<kind> <address>", with "(replaced)" when the plan replaces it. */
export function natText(n: NatNode): string {
  const replaced = n.rc && n.rc.change.actions.includes('create') && n.rc.change.actions.includes('delete');
  return `${KIND_TEXT[n.kind]} ${n.ref}${replaced ? ' (replaced)' : ''}`;
}

/**
 * What the first apply is expected to do at the resources that take an address still held by a deleting gateway.
 * `bridged` (cutover will switch this plan one AZ at a time, nat/bridge.ts): the race is met per AZ NAT step, not
 * by one apply of the whole plan, and each step is restored in place while that AZ's route stays on its bridge.
 */
export function raceText(takers: string[], changes: readonly ResourceChange[], bridged = false): string {
  const types = new Set(takers.map((t) => changes.find((c) => c.address === t)?.type));
  const messages = [
    types.has('aws_eip_association') || types.has('aws_eip')
      ? '"AuthFailure: You do not have permission to access the specified resource" (not an IAM problem)'
      : '',
    types.has('aws_nat_gateway')
      ? 'a NAT gateway creation that ends `failed` because the Elastic IP is still associated'
      : '',
    types.has('aws_nat_gateway_eip_association')
      ? 'an association error because the Elastic IP is still associated'
      : '',
  ].filter(Boolean);
  const error = messages.join(' or ') || 'an error';
  const why = 'EC2 keeps the Elastic IP on the deleting NAT gateway for a while after terraform deletes it';
  if (bridged)
    return (
      "Each AZ's NAT step may meet the address race: its apply can fail at the resource of that AZ that takes " +
      `the address (${takers.join(', ')}) with ${error} (${why}). Cutover restores that step in place (the ` +
      "address taken the moment EC2 frees it, or the step applied again) while the AZ's route stays on its bridge."
    );
  return (
    `The first apply is expected to fail at ${takers.join(', ')} with ${error}: ${why}. ` +
    'A second apply after the release completes the change.'
  );
}

/**
 * The title suffix of a finding whose change meets the address race: for the one apply in place; bridged, each AZ's
 * NAT step may need two applies (as short as the in-place one: titles stay on one line of an 80-column terminal).
 */
export function twoAppliesText(ctx: { bridged: boolean }): string {
  return ctx.bridged ? ' (two applies per AZ)' : ' (expect two applies)';
}

/** The expected applies as said in the report and the log: bridged, a count above 1 is per AZ NAT step. */
export function appliesText(applies: number, bridged: boolean): string {
  // Bridged, each AZ's NAT step meets the address race on its own: the count is per step, not for one apply.
  return bridged && applies > 1 ? `${applies} per AZ NAT step` : String(applies);
}

/** The finding for an update that changes tags only: "<label>: tags only", low. */
export function tagsOnlyDraft(it: Item, label: string): Draft {
  return {
    severity: 'low',
    kind: 'nat-tags-changed',
    title: `${label}: tags only`,
    group: [it],
    why: `Only tags change on ${it.rc.address}.`,
    action: NO_IMPACT,
  };
}
