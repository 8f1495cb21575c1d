import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { eipAdded, natAdded } from '../../src/review/rules/capacity';
import { cabal, scenarios } from '../support/plans';
import { findingsOf, kinds } from '../support/review';
import { asgEniNat } from '../support/topology-plans';

describe('rules/capacity: NAT capacity added', () => {
  it('a new AZ: the gateway claims its route; the new Elastic IP asks for SPF and allow-lists', () => {
    const f = findingsOf([natAdded, eipAdded], scenarios.azAdded(2));
    expect(kinds(f)).toEqual(['low:nat-capacity-added', 'low:nat-capacity-added']);
    expect(f[0]?.title).toBe('NAT gateway added');
    expect(f[0]?.addresses).toEqual(['module.vpc.aws_nat_gateway.nat[2]', 'module.vpc.aws_route.private[2]']);
    expect(f[1]?.title).toBe('NAT Elastic IP added');
    expect(f[1]?.action).toContain('request the port-25 unblock');
  });

  it('an interface NAT behind an Auto Scaling group claims the template, group and route of its key', () => {
    const f = findingsOf([natAdded], asgEniNat(0, ['create']));
    // The template and the group were selected when the rule's turn came, so each is also worded on its own.
    expect(f.map((x) => x.title)).toEqual([
      'NAT network interface added',
      'NAT Auto Scaling group added',
      'NAT Auto Scaling group added',
    ]);
    expect(f[0]?.addresses).toEqual([
      'module.fck_nat["us-east-1a"].aws_network_interface.main',
      'module.fck_nat["us-east-1a"].aws_launch_template.main',
      'module.fck_nat["us-east-1a"].aws_autoscaling_group.main[0]',
      'module.fck_nat["us-east-1a"].aws_route.main["0.0.0.0/0"]',
    ]);
    expect(f[1]?.addresses).toEqual(['module.fck_nat["us-east-1a"].aws_launch_template.main']);
    expect(classifyChanges(asgEniNat(0, ['create'])).risk).toBe('low');
  });

  it('a created instance is worded by its type', () => {
    expect(findingsOf([natAdded], [cabal.instance(0, ['create'])])[0]?.title).toBe('NAT instance added');
  });
});
