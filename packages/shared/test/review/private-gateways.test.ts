import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { privateGateway } from '../../src/review/rules/private-gateways';
import { topologies, zonalGateway } from '../support/topology-plans';
import { findingsOf, kinds } from '../support/review';

describe('rules/private-gateways: NAT gateways without internet egress', () => {
  it('a created and a deleted private gateway are low, with the verb of the change', () => {
    const f = findingsOf([privateGateway], topologies.privateGateways());
    expect(kinds(f)).toEqual(['low:private-nat-gateway-changed', 'low:private-nat-gateway-changed']);
    expect(f.map((x) => x.title)).toEqual(['Private NAT gateway created', 'Private NAT gateway deleted']);
    expect(f[0]?.why).toContain('connectivity_type = private');
  });

  it('an update is judged by the before side; a public gateway is not selected', () => {
    const updated = zonalGateway(0, ['update'], 'aws_nat_gateway.to_onprem[0]', {
      connectivity_type: 'private',
      allocation_id: '',
    });
    expect(kinds(findingsOf([privateGateway], [updated]))).toEqual(['low:private-nat-gateway-changed']);
    expect(findingsOf([privateGateway], [zonalGateway(0, ['delete'])])).toEqual([]);
  });

  it('deleting private gateways is no quiesce and no mode switch', () => {
    const a = classifyChanges(topologies.privateGateways());
    expect(a.risk).toBe('low');
    expect(a.modeSwitch).toBe('none');
    expect(a.affected).toEqual([]);
  });
});
