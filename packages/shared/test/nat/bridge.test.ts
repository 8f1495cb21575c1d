/**
 * nat/bridge.ts on plans real terraform 1.11.4 + hashicorp/aws 5.100.0 wrote (examples/plans, from the rehearsal's
 * module): which switches can be bridged, and each AZ's -target sets (research-18 §1: every NAT-path resource of the
 * AZ by index; the security group rules in the first NAT step; the shared deletes in the last route step, every
 * other AZ's route by EC2 in an instance → gateway switch).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bridgePlan, strategyLine } from '../../src/nat/index';
import type { ResourceChange } from '../../src/plan/types';
import { classifyChanges } from '../../src/review/classify';
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

describe("the strategy line's expected outage agrees with the review's AZ keys losing egress", () => {
  const reported = (name: string) => join(REPO, '..', 'shared', 'fixtures', 'reported', `${name}.json`);
  const present = existsSync(reported('gateway-to-asg-eni-nat'));
  const load = (f: string) =>
    (JSON.parse(readFileSync(f, 'utf8')) as { resource_changes: ResourceChange[] }).resource_changes;
  (present ? it : it.skip)(
    'reported plans: gateways deleted → never "takes no NAT away"; the losing keys named',
    () => {
      for (const [name, keys] of [
        ['gateway-to-asg-eni-nat', ['us-east-1a', 'us-east-1b']],
        ['route-consolidation-2400', ['us-east-1b', 'us-east-1c']],
      ] as const) {
        const changes = load(reported(name));
        const a = classifyChanges(changes);
        expect(a.affected).toEqual(keys);
        expect(bridgePlan(changes).takesNatAway).toBe(true);
        expect(a.strategyLine).not.toMatch(/none expected|takes no NAT away/);
        expect(a.strategyLine).toContain(`expected outage: AZ keys ${keys.join(', ')} lose egress: each`);
      }
      // gateway → instance (2 applies): the address handover; consolidation deletes gateways and creates none.
      expect(classifyChanges(load(reported('gateway-to-asg-eni-nat'))).strategyLine).toMatch(
        /Elastic IP is on the new NAT/,
      );
      const consolidation = classifyChanges(load(reported('route-consolidation-2400'))).strategyLine;
      expect(consolidation).toMatch(/the plan deletes NATs and creates none/);
      expect(consolidation).not.toMatch(/while its NAT is replaced/);
    },
  );
  if (!present) it('skipped: corpus not present', () => expect(present).toBe(false));

  it('quiesce (NATs deleted, none created): in place never "while its NAT is replaced"', () => {
    const p = bridgePlan(example('quiesce-down'));
    expect({ takes: p.takesNatAway, back: p.natComesBack }).toEqual({ takes: true, back: false });
    const line = strategyLine(p, 'auto');
    expect(line).toMatch(/expected outage: each affected AZ is without egress from its NAT's deletion/);
    expect(line).not.toMatch(/while its NAT is replaced/);
    expect(classifyChanges(example('quiesce-down')).strategyLine).toMatch(
      /AZ keys 0, 1 lose egress: each .* creates none/,
    );
  });

  it('a plan that takes nothing away and loses no key: none expected; a losing key is always named', () => {
    const p = bridgePlan(example('unrelated-only'));
    expect(p.takesNatAway).toBe(false);
    expect(strategyLine(p, 'auto', undefined, [])).toMatch(
      /expected outage: none expected: the plan takes no NAT away/,
    );
    expect(strategyLine(p, 'auto', undefined, ['0'])).toMatch(/expected outage: AZ keys 0 lose egress: each .*route/);
    const many = strategyLine(p, 'auto', undefined, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(many).toContain('AZ keys a, b, c, d, e, f and 2 more lose egress');
  });
});
