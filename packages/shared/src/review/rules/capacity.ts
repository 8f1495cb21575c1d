/**
 * NAT capacity added: new NAT instances, interfaces, gateways and Auto Scaling groups (with the associations,
 * routes and groups their AZ key creates alongside), and new Elastic IPs. Low: nothing existing is interrupted.
 */
import type { ItemRule } from '../claim';
import { natLabel } from '../text';

/** A NAT instance, interface, gateway or Auto Scaling group created, with its key's new associations and routes. */
export const natAdded: ItemRule = {
  over: 'item',
  name: 'nat-added',
  selects: (i) => (i.role === 'instance' || i.role === 'gateway' || i.role === 'asg') && i.kind === 'create',
  review: (it, _ctx, free) => {
    const related = free.sameKey(
      it,
      (o) => (o.role === 'association' || o.role === 'route' || o.role === 'asg') && o.kind === 'create',
    );
    return {
      severity: 'low',
      kind: 'nat-capacity-added',
      title:
        `${it.role === 'gateway' ? 'NAT gateway' : it.role === 'asg' ? 'NAT Auto Scaling group' : natLabel(it)}` +
        ' added',
      group: [it, ...related],
      why: `${it.rc.address} is created: egress capacity is only added.`,
      action: 'Run verify-egress after the apply.',
    };
  },
};

/** An Elastic IP created: a new outbound IP to announce. */
export const eipAdded: ItemRule = {
  over: 'item',
  name: 'eip-added',
  selects: (i) => i.role === 'eip' && i.kind === 'create',
  review: (it) => ({
    severity: 'low',
    kind: 'nat-capacity-added',
    title: 'NAT Elastic IP added',
    group: [it],
    why: `${it.rc.address} is created: a new outbound IP.`,
    action: 'Add the new IP to SPF, allow-lists and reverse DNS, and request the port-25 unblock for it.',
  }),
};
