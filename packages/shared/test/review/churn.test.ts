/**
 * Provider churn (nat/churn.ts): on an existing gateway, attributes hashicorp/aws ≥ 6.24 computes itself and shows
 * as known after apply are at most low and never a mode switch; a real change of a known value still is. Plans
 * written after the 6.x schema (support/provider6.ts): the local provider is 5.100.0.
 */
import { describe, expect, it } from '@jest/globals';
import { PROVIDER_CHURN, modelFromPlan, natRoles, providerChurn } from '@nat-egress/shared/nat';
import { classifyChanges } from '@nat-egress/shared/review';
import { gatewayUpdate, zonalState } from '../support/provider6';
import { sections } from '../support/sections';
import { regionalGateway } from '../support/topology-plans';

const kinds = (a: ReturnType<typeof classifyChanges>) => a.findings.map((f) => `${f.severity}:${f.kind}`);

describe('provider churn on NAT gateways', () => {
  it('availability_mode and regional_nat_gateway_address known after apply on a zonal gateway: low, no switch', () => {
    const plan = [0, 1].map((i) => gatewayUpdate(i, ['availability_mode', 'regional_nat_gateway_address']));
    const a = classifyChanges(plan);
    expect([a.risk, a.modeSwitch, a.affected]).toEqual(['low', 'none', []]);
    expect(kinds(a)).toEqual(['low:nat-provider-churn', 'low:nat-provider-churn']);
    expect(a.findings[0]!.title).toBe(
      'NAT gateway: provider-computed attributes only (availability_mode, regional_nat_gateway_address known after apply)',
    );
    expect(a.findings[0]!.action).toBe('No egress impact expected.');
  });

  it('a regional gateway whose availability_mode is known only after apply stays regional (no mode switch)', () => {
    const regional = regionalGateway(['update'], [0, 1]);
    const before = regional.change.before as Record<string, unknown>;
    const plan = [gatewayUpdate(0, ['availability_mode'], {}, before, regional.address)];
    const roles = natRoles(plan);
    expect(modelFromPlan(plan, roles, 'after').nats.map((n) => n.kind)).toEqual(['regional-gateway']);
    const a = classifyChanges(plan);
    expect([a.modeSwitch, kinds(a)]).toEqual(['none', ['low:nat-provider-churn']]);
  });

  it('set in the configuration, an unknown availability_mode is a change to review (medium), not churn', () => {
    const plan = [gatewayUpdate(0, ['availability_mode'])];
    const config = {
      address: 'module.vpc.aws_nat_gateway.this',
      moduleAddress: 'module.vpc',
      mode: 'managed',
      type: 'aws_nat_gateway',
      name: 'this',
      expressions: { availability_mode: { references: ['var.mode'] } },
    };
    expect(providerChurn(plan[0]!, config)).toEqual([]);
    const a = classifyChanges(plan, { sections: sections([], [config]) });
    expect(kinds(a)).toEqual(['medium:nat-gateway-changed']);
  });

  it('a real change of a known value is still one: zonal → regional is a mode switch, churn beside it is named', () => {
    const known = classifyChanges([gatewayUpdate(0, [], { availability_mode: 'regional', subnet_id: '' })]);
    expect(known.modeSwitch).toBe('gateway-to-regional-gateway');
    const mixed = classifyChanges([
      gatewayUpdate(0, ['regional_nat_gateway_address'], { secondary_allocation_ids: ['eipalloc-09'] }),
    ]);
    expect(kinds(mixed)).toEqual(['medium:nat-gateway-changed']);
    expect(mixed.findings[0]!.title).toBe('NAT gateway updated in place (secondary_allocation_ids)');
    expect(mixed.findings[0]!.why).toContain('regional_nat_gateway_address is only provider churn');
  });

  it('an optional attribute unknown after apply without a known value before is not assumed churn', () => {
    const before = { ...zonalState(0), vpc_id: null };
    expect(providerChurn(gatewayUpdate(0, ['vpc_id'], {}, before))).toEqual([]);
    expect(providerChurn(gatewayUpdate(0, ['vpc_id']))).toEqual(['vpc_id']);
  });

  it('every row of the table names its schema and its source', () => {
    expect(PROVIDER_CHURN.length).toBeGreaterThan(0);
    for (const row of PROVIDER_CHURN) {
      expect(row.source).toMatch(/hashicorp|simpleinfra|schema/);
      expect(['computed', 'optional+computed']).toContain(row.schema);
    }
  });
});
