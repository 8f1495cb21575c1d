import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { associationChanged, eipUpdated, routeChanged } from '../../src/review/rules/associations-routes';
import { cabal, change } from '../support/plans';
import { findingsOf, kinds } from '../support/review';

type Obj = Record<string, unknown>;

const eipUpdate = (after: Obj) => {
  const rc = cabal.eip(0, ['update']);
  rc.change.after = { ...(rc.change.before as Obj), ...after };
  return rc;
};
const table = (before: Obj[], after: Obj[]) =>
  change('aws_route_table.private[0]', ['update'], { id: 'rtb-0', route: before }, { id: 'rtb-0', route: after });

describe('rules/associations-routes: associations, Elastic IP updates and private default routes', () => {
  it('an association deleted is high; created or replaced is a medium re-association', () => {
    const f = findingsOf([associationChanged], [cabal.association(0, ['delete']), cabal.association(1, ['create'])]);
    expect(kinds(f)).toEqual(['high:eip-disassociated', 'medium:eip-reassociated']);
    expect(f[1]?.why).toBe(
      'module.vpc.aws_eip_association.nat[1] is created: the EIP moves, and the NAT has no public IP for a moment.',
    );
  });

  it('an association created with a new NAT instance of its key is left to the instance (capacity)', () => {
    const plan = [cabal.instance(0, ['create']), cabal.association(0, ['create'])];
    expect(findingsOf([associationChanged], plan)).toEqual([]);
    const a = classifyChanges(plan);
    expect(kinds(a.findings)).toEqual(['low:nat-capacity-added']);
    expect(a.findings[0]?.addresses).toEqual([
      'module.vpc.aws_instance.nat[0]',
      'module.vpc.aws_eip_association.nat[0]',
    ]);
  });

  it('Elastic IP updates: tags only, moved to another instance, or in place', () => {
    const f = findingsOf(
      [eipUpdated],
      [
        eipUpdate({ tags: { a: '1' }, tags_all: { a: '1' } }),
        eipUpdate({ instance: 'i-0new' }),
        eipUpdate({ domain: 'x' }),
      ],
    );
    expect(kinds(f)).toEqual(['low:nat-tags-changed', 'medium:eip-reassociated', 'low:eip-changed']);
    expect(f[1]?.why).toContain('moves to another instance: the old NAT loses its public IP.');
    expect(f[2]?.title).toBe('NAT Elastic IP updated in place (domain)');
  });

  it('routes deleted, replaced and added', () => {
    const f = findingsOf(
      [routeChanged],
      [
        cabal.route(0, ['delete'], 'gateway', null),
        cabal.route(1, ['delete', 'create'], 'gateway', 'gateway'),
        cabal.route(2, ['create'], null, 'gateway'),
      ],
    );
    expect(kinds(f)).toEqual(['high:route-deleted', 'high:route-replaced', 'low:nat-capacity-added']);
    expect(f[2]?.title).toBe('Private default route added');
  });

  it('a route retargeted names both targets; an inline route table change too', () => {
    const f = findingsOf([routeChanged], [cabal.route(0, ['update'], 'gateway', 'instance')]);
    expect(kinds(f)).toEqual(['medium:route-retargeted']);
    expect(f[0]?.why).toBe(
      'module.vpc.aws_route.private[0] moves from nat_gateway_id=nat-000f1e2d3c4b5a6978 to a target known after ' +
        'apply: connections through the old target are cut.',
    );
    const inline = findingsOf(
      [routeChanged],
      [
        table(
          [{ cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-a' }],
          [{ cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-b' }],
        ),
      ],
    );
    expect(inline[0]?.why).toBe(
      'the inline 0.0.0.0/0 route of aws_route_table.private[0] moves from nat_gateway_id=nat-a to nat_gateway_id=nat-b: ' +
        'connections through the old target are cut.',
    );
  });

  it('an inline NAT route removed from a kept table is a deleted route; an unchanged target makes nothing', () => {
    const removed = table([{ cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-a' }], []);
    expect(kinds(findingsOf([routeChanged], [removed]))).toEqual(['high:route-deleted']);
    const route = cabal.route(0, ['update'], 'gateway', 'gateway');
    route.change.after = { ...(route.change.before as Obj), state: 'active', tags: { a: '1' } };
    route.change.after_unknown = {};
    expect(findingsOf([routeChanged], [route])).toEqual([]);
  });
});
