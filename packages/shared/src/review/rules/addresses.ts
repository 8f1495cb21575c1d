/**
 * Elastic IPs deleted or replaced: the outbound addresses everything outside depends on (SPF, reverse DNS,
 * allow-lists, the port-25 unblock). Critical when the plan shows the address to be NAT egress, or the operator
 * names it (nat-address-patterns eip=…); medium otherwise.
 */
import { eipHeldByNat, natNamed, shownPublicIp } from '../../nat/index';
import type { ItemRule } from '../claim';
import type { ReviewContext } from '../context';
import type { Draft, Item } from '../types';

/** Is the Elastic IP shown by anything in the plan to be NAT egress (named by a pattern or so, held by a NAT)? */
function natEgressEip(it: Item, ctx: ReviewContext): boolean {
  return !!ctx.options.patterns?.eip || natNamed(it.rc) || eipHeldByNat(it.rc, ctx.evidence);
}

function natEipGone(it: Item, ip: string | undefined): Draft {
  const gone = it.kind === 'delete' ? 'deleted' : 'replaced';
  return {
    severity: 'critical',
    kind: `eip-${gone}`,
    title: `NAT Elastic IP ${gone}${ip ? ` (${ip})` : ''}`,
    group: [it],
    why:
      `${it.rc.address} is ${it.kind === 'delete' ? 'destroyed' : 'destroyed and re-created'}: ` +
      `the outbound IP${ip ? ` ${ip}` : ''} is released for good, breaking SPF records, reverse DNS, ` +
      'partner allow-lists and the AWS port-25 unblock.',
    action:
      'Do not apply unless the IP change is intended: keep the EIP (prevent_destroy, or `terraform state mv` ' +
      'for a rename). If intended, update SPF, reverse DNS, allow-lists and request the port-25 unblock for ' +
      'the new IP first.',
  };
}

function otherEipGone(it: Item, ip: string | undefined): Draft {
  const gone = it.kind === 'delete' ? 'deleted' : 'replaced';
  return {
    severity: 'medium',
    kind: `other-eip-${gone}`,
    title: `Elastic IP ${gone}${ip ? ` (${ip})` : ''}, not shown to be NAT egress`,
    group: [it],
    why:
      `${it.rc.address} is ${it.kind === 'delete' ? 'released' : 'released and re-allocated'}; ` +
      "nothing in this plan shows it to be a NAT's outbound address (no NAT gateway, NAT instance or NAT " +
      'interface holds it), so NAT egress is not affected. Whatever uses the address loses it for good.',
    action:
      'Confirm nothing allow-lists this address. If it is NAT egress, name it in nat-address-patterns ' +
      '(eip=…) so plan-guard rates its loss critical.',
  };
}

/** An aws_eip deleted or replaced. */
export const eipDeletedOrReplaced: ItemRule = {
  over: 'item',
  name: 'eip-deleted-or-replaced',
  selects: (i) => i.role === 'eip' && (i.kind === 'delete' || i.kind === 'replace'),
  review: (it, ctx) => {
    const ip = shownPublicIp(it.rc, 'before');
    return natEgressEip(it, ctx) ? natEipGone(it, ip) : otherEipGone(it, ip);
  },
};
