/** nat/compare.ts: mode switch, handovers, expected applies and failures, contested allocations. */
import { describe, expect, it } from '@jest/globals';
import { compareModels, modelFromPlan, natRoles } from '@nat-egress/shared/nat';
import type { ResourceChange } from '@nat-egress/shared/plan';
import { change } from '../support/plans';
import { alloc, regionalGateway, zonalGateway } from '../support/topology-plans';

function compare(changes: ResourceChange[]) {
  const roles = natRoles(changes);
  return compareModels(modelFromPlan(changes, roles, 'before'), modelFromPlan(changes, roles, 'after'));
}

const natInstance = (i: number) =>
  change(
    `module.vpc.aws_instance.nat[${i}]`,
    ['create'],
    null,
    { source_dest_check: false, ami: 'ami-1' },
    { after_unknown: { id: true, primary_network_interface_id: true } },
  );
const association = (i: number, allocation?: string) =>
  change(
    `module.vpc.aws_eip_association.nat[${i}]`,
    ['create'],
    null,
    allocation ? { allocation_id: allocation } : {},
    { after_unknown: { instance_id: true, ...(allocation ? {} : { allocation_id: true }) } },
  );

describe('compareModels', () => {
  it('gateway → instance: the association takes the deleted gateway’s address; two applies; contested allocation', () => {
    const cmp = compare([zonalGateway(0, ['delete']), natInstance(0), association(0, alloc(0))]);
    expect(cmp.modeSwitch).toBe('gateway-to-instance');
    expect(cmp.handovers).toEqual([
      expect.objectContaining({ to: 'module.vpc.aws_eip_association.nat[0]', allocationIds: [alloc(0)] }),
    ]);
    expect(cmp.handovers[0]?.from.ref).toBe('module.vpc.aws_nat_gateway.this[0]');
    expect(cmp.expectedApplies).toBe(2);
    expect(cmp.expectedFailures).toEqual(['module.vpc.aws_eip_association.nat[0]']);
    expect(cmp.contested).toEqual([alloc(0)]);
  });

  it('a taker whose allocation is unknown still hands over on a gateway → instance switch, but contests nothing known', () => {
    const cmp = compare([zonalGateway(0, ['delete']), natInstance(0), association(0)]);
    expect(cmp.expectedApplies).toBe(2);
    expect(cmp.handovers[0]?.allocationIds).toEqual([]);
    expect(cmp.contested).toEqual([]);
  });

  it('a secondary allocation of a deleted gateway is contested when a new gateway takes it', () => {
    const old = zonalGateway(0, ['delete'], 'aws_nat_gateway.old', { secondary_allocation_ids: [alloc(4)] });
    const fresh = zonalGateway(1, ['create'], 'aws_nat_gateway.new', { allocation_id: alloc(4) });
    const cmp = compare([old, fresh]);
    expect(cmp.modeSwitch).toBe('none');
    expect(cmp.handovers.map((h) => [h.from.ref, h.to, h.allocationIds])).toEqual([
      ['aws_nat_gateway.old', 'aws_nat_gateway.new', [alloc(4)]],
    ]);
    expect(cmp.contested).toEqual([alloc(4)]);
  });

  it('zonal → regional: the regional gateway’s per-AZ addresses are taken from the deleted zonal gateways', () => {
    const cmp = compare([
      zonalGateway(0, ['delete']),
      zonalGateway(1, ['delete']),
      regionalGateway(['create'], [0, 1]),
    ]);
    expect(cmp.modeSwitch).toBe('gateway-to-regional-gateway');
    expect(cmp.expectedFailures).toEqual(['aws_nat_gateway.regional']);
    expect(cmp.contested).toEqual([alloc(0), alloc(1)]);
    expect(cmp.perKey.map((e) => [e.key, e.before.length, e.after.length])).toEqual([
      ['0', 1, 0],
      ['1', 1, 0],
      ['-', 0, 1],
    ]);
  });

  it('nothing changes hands: one apply, no failures, nothing contested', () => {
    const cmp = compare([zonalGateway(0, ['no-op']), zonalGateway(1, ['create'])]);
    expect(cmp).toMatchObject({ modeSwitch: 'none', handovers: [], expectedApplies: 1, expectedFailures: [] });
    expect(cmp.contested).toEqual([]);
    expect(cmp.added.map((n) => n.ref)).toEqual(['module.vpc.aws_nat_gateway.this[1]']);
  });
});
