import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { reviewContext } from '../../src/review/context';
import { regionalAutomaticAddresses, regionalZoneChanged, zoneChanges } from '../../src/review/rules/regional';
import type { Item } from '../../src/review/types';
import { findingsOf, kinds } from '../support/review';
import { AZS, alloc, regionalGateway, topologies } from '../support/topology-plans';

type Obj = Record<string, unknown>;

/** A manual-mode regional gateway (AZs 0–2) updated to the given availability_zone_address blocks. */
function zonesUpdated(zones: { az: number; allocation: number }[]) {
  const rc = regionalGateway(['update'], [0, 1, 2]);
  rc.change.after = {
    ...(rc.change.after as Obj),
    availability_zone_address: zones.map((z) => ({
      allocation_ids: [alloc(z.allocation)],
      availability_zone: AZS[z.az],
      availability_zone_id: '',
    })),
  };
  return rc;
}

describe('rules/regional: regional NAT gateways', () => {
  it('automatic mode on a new gateway: high, outbound IPs chosen by AWS', () => {
    const f = findingsOf([regionalAutomaticAddresses], topologies.zonalToRegionalAutomatic(2));
    expect(kinds(f)).toEqual(['high:regional-automatic-addresses']);
    expect(f[0]?.why).toContain('and adds addresses under load (auto_scaling_ips)');
    expect(f[0]?.action).toContain('use manual mode');
  });

  it('automatic mode while the plan destroys Elastic IPs: critical', () => {
    const a = classifyChanges(topologies.zonalToRegionalAutomatic(2, true));
    const f = a.findings.find((x) => x.kind === 'regional-automatic-addresses');
    expect(f?.severity).toBe('critical');
    expect(f?.title).toContain(', and the old Elastic IPs are destroyed');
  });

  it('manual mode, or a gateway already automatic and kept, makes no automatic-mode finding', () => {
    expect(findingsOf([regionalAutomaticAddresses], topologies.zonalToRegionalManual(2))).toEqual([]);
    expect(findingsOf([regionalAutomaticAddresses], [regionalGateway(['update'], null)])).toEqual([]);
  });

  it('zoneChanges: the AZs whose block goes and those whose Elastic IPs change', () => {
    const rc = zonesUpdated([
      { az: 0, allocation: 0 },
      { az: 1, allocation: 5 },
    ]);
    const ctx = reviewContext([rc]);
    expect(zoneChanges(ctx, ctx.items[0] as Item)).toEqual({ manual: true, dropped: [AZS[2]], moved: [AZS[1]] });
  });

  it('an AZ address removed, or changed, is high', () => {
    const dropped = findingsOf([regionalZoneChanged], [zonesUpdated([0, 1].map((i) => ({ az: i, allocation: i })))]);
    expect(dropped[0]?.title).toBe('Regional NAT gateway: AZ address removed (1)');
    expect(dropped[0]?.why).toBe(
      'aws_nat_gateway.regional no longer has an availability_zone_address for 1 AZ(s): private subnets there ' +
        'that route to it lose egress (manual mode does not expand to unlisted AZs).',
    );
    const moved = findingsOf(
      [regionalZoneChanged],
      [zonesUpdated([0, 1, 2].map((i) => ({ az: i, allocation: 9 - i })))],
    );
    expect(kinds(moved)).toEqual(['high:regional-zone-changed']);
    expect(moved[0]?.title).toBe('Regional NAT gateway: AZ addresses changed');
    expect(moved[0]?.why).toBe(
      'aws_nat_gateway.regional changes the Elastic IPs of 3 AZ(s): their outbound address changes.',
    );
  });

  it('a regional gateway update that keeps every AZ block is left to the gateway update rule', () => {
    const same = zonesUpdated([0, 1, 2].map((i) => ({ az: i, allocation: i })));
    (same.change.after as Obj).tags = { Name: 'renamed' };
    expect(findingsOf([regionalZoneChanged], [same])).toEqual([]);
    expect(kinds(classifyChanges([same]).findings)).toEqual(['low:nat-tags-changed']);
  });
});
