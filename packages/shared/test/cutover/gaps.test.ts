/**
 * cutover/gaps.ts routeApplies: terraform's own changes of a route (its `apply_complete` hooks), which the bridged
 * switch adds to the AZ's `routeChanges` in `egress-gaps` when its route step moves the route home (each change
 * drops the connections open through the old target, as the cutover's own ReplaceRoutes do).
 */
import { describe, expect, it } from '@jest/globals';
import { routeApplies } from '../../src/cutover/gaps';
import type { HookEvent } from '../../src/terraform/index';

const ROUTE = 'module.vpc.aws_route.private[0]';
const ev = (type: HookEvent['type'], address: string, at: number): HookEvent => ({
  type,
  address,
  resourceType: address.includes('aws_route.') ? 'aws_route' : 'aws_nat_gateway',
  action: 'update',
  at,
  stamped: true,
});

describe('routeApplies: the route changes terraform made', () => {
  it('counts each completed change of that route only (not its start, errors or other resources)', () => {
    const hooks = [
      ev('apply_start', ROUTE, 1),
      ev('apply_complete', 'module.vpc.aws_nat_gateway.nat[0]', 2),
      ev('apply_complete', ROUTE, 3),
      ev('apply_complete', 'module.vpc.aws_route.private[1]', 4),
      ev('apply_errored', ROUTE, 5),
    ];
    expect(routeApplies(hooks, ROUTE)).toBe(1);
    expect(routeApplies([...hooks, ev('apply_complete', ROUTE, 9)], ROUTE)).toBe(2);
    expect(routeApplies([], ROUTE)).toBe(0);
  });
});
