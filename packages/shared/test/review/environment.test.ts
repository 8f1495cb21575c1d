import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { reviewContext } from '../../src/review/context';
import { environment, environmentEvent } from '../../src/review/rules/environment';
import { scenarios } from '../support/plans';
import { findingsOf, kinds } from '../support/review';
import { topologies, zonalGateway } from '../support/topology-plans';

/** A zonal gateway deleted and another resource created on its Elastic IP in the same apply (a rename, no moved block). */
const renamedGateway = () => [
  zonalGateway(0, ['delete'], 'aws_nat_gateway.old[0]'),
  zonalGateway(0, ['create'], 'aws_nat_gateway.new[0]'),
];

describe('rules/environment: whole-environment events from the NAT comparison', () => {
  it('tells the events apart, one per plan', () => {
    const event = (plan: Parameters<typeof reviewContext>[0]) => environmentEvent(reviewContext(plan));
    expect(event(scenarios.gatewayToInstance(2))).toBe('mode-switch');
    expect(event(topologies.zonalToRegionalManual(2))).toBe('mode-switch');
    expect(event(renamedGateway())).toBe('eip-handover');
    expect(event(scenarios.quiesceDownInstance(2))).toBe('quiesce');
    expect(event(scenarios.quiesceUpGateway(2))).toBe('nat-restored');
    expect(event(scenarios.amiAdoption(2))).toBeUndefined();
  });

  it('gateway → instance: high, expect two applies, claims the NATs, routes, associations, SG and IAM', () => {
    const f = findingsOf([environment], scenarios.gatewayToInstance(1));
    expect(kinds(f)).toEqual(['high:mode-switch']);
    expect(f[0]?.title).toBe('NAT mode switch: gateway → instance (expect two applies)');
    expect(f[0]?.addresses).toEqual([
      'module.vpc.aws_nat_gateway.nat[0]',
      'module.vpc.aws_instance.nat[0]',
      'module.vpc.aws_eip_association.nat[0]',
      'module.vpc.aws_security_group.nat[0]',
      'module.vpc.aws_iam_role.nat[0]',
      'module.vpc.aws_iam_instance_profile.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
    expect(f[0]?.action).toContain('A tested cabal-nat-al2023-* AMI tagged Role=cabal-nat must exist first');
  });

  it('gateway → instance bridged (2 AZs, strategy auto): the race per AZ NAT step, restored behind its bridge', () => {
    const [f] = findingsOf([environment], scenarios.gatewayToInstance(2));
    expect(f?.title).toBe('NAT mode switch: gateway → instance (two applies per AZ)');
    expect(f?.why).toContain("take over the same Elastic IPs in each AZ's NAT step.");
    expect(f?.why).toContain(
      "Each AZ's NAT step may meet the address race: its apply can fail at the resource of that AZ that takes " +
        'the address (module.vpc.aws_eip_association.nat[0], module.vpc.aws_eip_association.nat[1]) with "AuthFailure',
    );
    expect(f?.why).toContain(
      "Cutover restores that step in place (the address taken the moment EC2 frees it, or the step applied again) while the AZ's route stays on its bridge.",
    );
    expect(f?.why).not.toMatch(/first apply|second apply|same apply/);
    // the same plan applied in place says it for the one apply
    const [inPlace] = findingsOf([environment], scenarios.gatewayToInstance(2), { strategy: 'in-place' });
    expect(inPlace?.title).toBe('NAT mode switch: gateway → instance (expect two applies)');
    expect(inPlace?.why).toContain('in the same apply. The first apply is expected to fail at');
    expect(inPlace?.why).toContain('A second apply after the release completes the change.');
  });

  it('instance → gateway (one AZ, in place): one apply unless the association race comes, maintenance window', () => {
    const f = findingsOf([environment], scenarios.instanceToGateway(1));
    expect(f[0]?.title).toBe('NAT mode switch: instance → gateway');
    expect(f[0]?.why).toContain('One apply, unless a gateway meets its Elastic IP still on the association');
    expect(f[0]?.action).toBe('Apply in a maintenance window and run verify-egress right after.');
  });

  it('a handover without a mode switch names the holder and the taker, and expects two applies', () => {
    const a = classifyChanges(renamedGateway());
    expect(kinds(a.findings)).toEqual(['high:eip-handover']);
    expect(a.findings[0]?.why).toContain(
      'aws_nat_gateway.old[0] still hold the Elastic IPs that aws_nat_gateway.new[0] take.',
    );
    expect(a.findings[0]?.addresses).toEqual(['aws_nat_gateway.old[0]', 'aws_nat_gateway.new[0]']);
    expect(a.expectedApplies).toBe(2);
    expect(a.expectedFailures).toEqual(['aws_nat_gateway.new[0]']);
  });

  it('quiesce claims NATs, routes and associations; says whether the EIPs are kept', () => {
    const f = findingsOf([environment], scenarios.quiesceDownInstance(1));
    expect(f[0]?.title).toBe('Quiesce: NAT and private default routes destroyed, Elastic IPs kept');
    expect(f[0]?.why).toContain('The NAT instances and');
    expect(f[0]?.addresses).toEqual([
      'module.vpc.aws_instance.nat[0]',
      'module.vpc.aws_eip_association.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
  });

  it('NAT restored is low, and makes nothing when there is no event', () => {
    expect(kinds(findingsOf([environment], scenarios.quiesceUpGateway(1)))).toEqual(['low:nat-restored']);
    expect(findingsOf([environment], scenarios.amiAdoption(1))).toEqual([]);
  });
});
