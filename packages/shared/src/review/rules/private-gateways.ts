/** Private NAT gateways (connectivity_type = private): they translate private traffic and give no internet egress. */
import { isPrivateGateway } from '../../nat/index';
import type { ItemRule } from '../claim';
import { verb } from '../text';

/** A private NAT gateway created, deleted, updated or replaced: low, whatever the change. */
export const privateGateway: ItemRule = {
  over: 'item',
  name: 'private-gateway',
  selects: (i) => i.role === 'gateway' && isPrivateGateway(i.rc, i.kind === 'create' ? 'after' : 'before'),
  review: (it) => ({
    severity: 'low',
    kind: 'private-nat-gateway-changed',
    title: `Private NAT gateway ${verb(it.kind)}`,
    group: [it],
    why:
      `${it.rc.address} is a private NAT gateway (connectivity_type = private): it gives no internet egress, ` +
      'so this is not an egress risk.',
    action: 'Check the private (VPC-to-VPC or on-premises) traffic it translates.',
  }),
};
