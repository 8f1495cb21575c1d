/**
 * nat/bridge.ts on plans real terraform 1.11.4 + hashicorp/aws 5.100.0 wrote (examples/plans, from the rehearsal's
 * module): which switches can be bridged, and each AZ's -target sets (research-18 §1: every NAT-path resource of the
 * AZ by index; the security group rules in the first NAT step; the shared deletes in the last route step, every
 * other AZ's route by EC2 in an instance → gateway switch).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgePlan, strategyLine } from '../../src/nat/index';
import type { ResourceChange } from '../../src/plan/types';
import { scenarios } from '../support/plans';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');
const example = (name: string) =>
  (
    JSON.parse(readFileSync(join(REPO, 'examples', 'plans', `${name}.json`), 'utf8')) as {
      resource_changes: ResourceChange[];
    }
  ).resource_changes;
const m = (a: string) => `module.vpc.${a}`;

describe('bridgePlan: the bridged switch from the reviewed plan', () => {
  it('gateway → instance: per AZ the gateway, instance and association by index; the SG rules first', () => {
    const p = bridgePlan(example('gateway-to-instance'));
    expect({ applies: p.applies, keys: p.azs.map((a) => a.key), routeByEc2: p.routeByEc2 }).toEqual({
      applies: true,
      keys: ['0', '1'],
      routeByEc2: false,
    });
    for (const [i, az] of p.azs.entries()) {
      expect([...az.natPath].sort()).toEqual(
        [m(`aws_eip_association.nat[${i}]`), m(`aws_instance.nat[${i}]`), m(`aws_nat_gateway.nat[${i}]`)].sort(),
      );
      expect(az.route).toBe(m(`aws_route.private[${i}]`));
      expect(az.afterMode).toBe('instance');
    }
    expect(p.supportingFirst).toEqual(
      expect.arrayContaining([m('aws_security_group_rule.nat_ingress[0]'), m('aws_security_group_rule.nat_egress[0]')]),
    );
    expect(p.supportingLast).toEqual([]);
    expect(strategyLine(p, 'auto')).toMatch(/^bridge, one AZ at a time \(0, 1\); expected outage: none/);
    expect(strategyLine(p, 'in-place')).toMatch(/^in-place \(strategy: in-place\); expected outage: each affected AZ/);
  });

  it("instance → gateway: the shared deletes in the last route step, every other AZ's route by EC2", () => {
    const p = bridgePlan(example('instance-to-gateway'));
    expect({ applies: p.applies, routeByEc2: p.routeByEc2, first: p.supportingFirst }).toEqual({
      applies: true,
      routeByEc2: true,
      first: [],
    });
    expect([...p.supportingLast].sort()).toEqual(
      [
        m('aws_iam_instance_profile.nat[0]'),
        m('aws_iam_role.nat[0]'),
        m('aws_security_group.nat[0]'),
        m('aws_security_group_rule.nat_egress[0]'),
        m('aws_security_group_rule.nat_ingress[0]'),
      ].sort(),
    );
    expect([...(p.azs[1]?.natPath ?? [])].sort()).toEqual(
      [m('aws_eip_association.nat[1]'), m('aws_instance.nat[1]'), m('aws_nat_gateway.nat[1]')].sort(),
    );
  });

  it('NAT AMI adoption: the instance and its association replaced per AZ', () => {
    const p = bridgePlan(example('ami-adoption'));
    expect(p.applies).toBe(true);
    expect([...(p.azs[0]?.natPath ?? [])].sort()).toEqual([m('aws_eip_association.nat[0]'), m('aws_instance.nat[0]')]);
  });

  it('one AZ cannot be bridged: in place, said with why; strategy bridge is refused', () => {
    const p = bridgePlan(scenarios.gatewayToInstance(1));
    expect(p.applies).toBe(false);
    expect(p.reason).toMatch(/AZ/);
    expect(strategyLine(p, 'auto')).toMatch(/^in-place \(bridging cannot apply: .*AZ.*\); expected outage: /);
    expect(strategyLine(p, 'bridge')).toMatch(/^strategy: bridge cannot apply .*cutover refuses before changing/);
  });

  it("a re-plan after a killed bridged switch: the AZ's gateway (refreshed away) still targeted by index", () => {
    // Killed during AZ 0's NAT step: its gateway deleted (gone from the state), its route on AZ 1's gateway.
    const replan = example('gateway-to-instance').filter((rc) => rc.address !== m('aws_nat_gateway.nat[0]'));
    const p = bridgePlan(replan);
    expect({ applies: p.applies, keys: p.azs.map((a) => a.key) }).toEqual({ applies: true, keys: ['0', '1'] });
    // Without aws_nat_gateway.nat[0] the route step's -target of aws_route.private[0] pulls every gateway in.
    expect([...(p.azs[0]?.natAddresses ?? [])].sort()).toEqual([m('aws_instance.nat[0]'), m('aws_nat_gateway.nat[0]')]);
    expect([...(p.azs[1]?.natAddresses ?? [])].sort()).toEqual([m('aws_instance.nat[1]'), m('aws_nat_gateway.nat[1]')]);
  });

  it('AZ 1 left on a bridge, its gateway already gone: nothing is taken away, yet bridged when the AZ is on a bridge', () => {
    // Killed during AZ 1's NAT step: AZ 0 switched (no-op), AZ 1's gateway deleted; AZ 1's route on AZ 0's instance.
    const known = { id: 'i-0aaa', primary_network_interface_id: 'eni-0aaa', network_interface_id: 'eni-0aaa' };
    const noop = (rc: ResourceChange): ResourceChange => {
      const after = rc.change.after as Record<string, unknown> | null;
      const unknown = Object.keys((rc.change.after_unknown as Record<string, unknown> | undefined) ?? {});
      const filled = after
        ? { ...after, ...Object.fromEntries(unknown.filter((k) => k in known).map((k) => [k, known[k as 'id']])) }
        : after;
      return { ...rc, change: { ...rc.change, actions: ['no-op'], before: filled, after: filled, after_unknown: {} } };
    };
    const replan = example('gateway-to-instance')
      .filter((rc) => !/aws_nat_gateway\.nat\[/.test(rc.address))
      .map((rc) => (/\[0\]$/.test(rc.address) || !/nat\[|private\[/.test(rc.address) ? noop(rc) : rc));
    const plain = bridgePlan(replan);
    expect({ applies: plain.applies, reason: plain.reason }).toEqual({
      applies: false,
      reason: 'the plan takes no NAT away: nothing to bridge',
    });
    const p = bridgePlan(replan, { onBridge: new Set(['1']) });
    expect({ applies: p.applies, keys: p.azs.map((a) => a.key) }).toEqual({ applies: true, keys: ['1'] });
    expect([...(p.azs[0]?.natPath ?? [])].sort()).toEqual([m('aws_eip_association.nat[1]'), m('aws_instance.nat[1]')]);
  });

  it('a plan that changes no NAT has nothing to bridge', () => {
    expect(bridgePlan(example('unrelated-only')).applies).toBe(false);
  });
});
