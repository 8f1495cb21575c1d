/**
 * A NAT moved into another AZ keeps its own AZ key and is reported as a move (nat/keys.ts linkKeys, nat/subnets.ts
 * azMoveOf), on plans written by real terraform from the rehearsal module: gateway 1 given AZ 0's public subnet
 * (nat_subnet_indexes = [0, 0]), and gateway 1's subnet re-created in AZ 0 (public_subnet_az_indexes = [0, 0]).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { azKeyOf, linkKeys, natRoles } from '@nat-egress/shared/nat';
import { loadPlanText } from '@nat-egress/shared/plan';
import { analysePlan, compareKeys } from '@nat-egress/shared/review';
import { REPO_ROOT } from '../support/action-runner';

const file = (name: string) => join(REPO_ROOT, 'examples', 'plans', `${name}.json`);
const analyse = (name: string) =>
  analysePlan({
    planJson: file(name),
    terraform: 'terraform',
    workingDirectory: REPO_ROOT,
    failOn: 'critical',
    environment: 'prod',
    tempDir: REPO_ROOT,
  });

describe('a NAT gateway moved into another AZ (real terraform plans)', () => {
  it("given AZ 0's subnet, gateway 1 stays key 1 and the finding says from which AZ to which and what it means", async () => {
    const r = await analyse('gateway-az-move');
    expect(r.affected).toEqual(['1']);
    expect(r.findings.map((f) => [f.kind, f.keys, f.azs])).toEqual([['nat-gateway-replaced', ['1'], ['us-east-1b']]]);
    const f = r.findings[0]!;
    expect(f.title).toBe('NAT gateway replaced (forced by subnet_id) — moves from AZ us-east-1b to us-east-1a');
    expect(f.why).toContain(
      'It moves from AZ us-east-1b to us-east-1a: its subnet changes from module.vpc.aws_subnet.public[1] to ' +
        'module.vpc.aws_subnet.public[0] in us-east-1a.',
    );
    expect(f.why).toContain(
      'The private subnets routed through it (module.vpc.aws_subnet.private[1] (us-east-1b), via ' +
        'module.vpc.aws_route.private[1]) then egress across AZs, to us-east-1a',
    );
    expect(f.why).toContain('inter-AZ data transfer is charged');
    expect(f.why).toContain('(the AZs are no longer independent)');
    // The subnets do not change in this plan: the finding's resources are the NAT path only.
    expect(f.addresses).toEqual(['module.vpc.aws_nat_gateway.nat[1]', 'module.vpc.aws_route.private[1]']);
  });

  it('the keys themselves: linking on the after-side subnet would have merged AZ 1 into AZ 0', () => {
    const changes = loadPlanText(readFileSync(file('gateway-az-move'))).documents[0]!.changes;
    const roles = natRoles(changes);
    const linked = linkKeys(roles, compareKeys);
    const gateway = changes.find((c) => c.address === 'module.vpc.aws_nat_gateway.nat[1]')!;
    expect(linked.get(azKeyOf(gateway))).toBe('1');
    expect(new Set(linked.values())).toEqual(new Set(['0', '1']));
  });

  it('its subnet re-created in AZ 0: the subnet replacement and its route table association are linked to it', async () => {
    const r = await analyse('subnet-az-move');
    expect(r.affected).toEqual(['1']);
    const f = r.findings.find((x) => x.kind === 'nat-gateway-replaced')!;
    expect([f.keys, f.azs]).toEqual([['1'], ['us-east-1b']]);
    expect(f.title).toContain('moves from AZ us-east-1b to us-east-1a');
    expect(f.why).toContain(
      'its subnet module.vpc.aws_subnet.public[1] is re-created in us-east-1a, with ' +
        'module.vpc.aws_route_table_association.public[1]',
    );
    expect(f.addresses).toEqual([
      'module.vpc.aws_nat_gateway.nat[1]',
      'module.vpc.aws_route.private[1]',
      'module.vpc.aws_subnet.public[1]',
      'module.vpc.aws_route_table_association.public[1]',
    ]);
  });

  it('plans without a move say nothing of one, and gateway findings now show the AZ of their subnet', async () => {
    const r = await analyse('instance-to-gateway');
    expect(r.findings.some((f) => f.title.includes('moves from AZ'))).toBe(false);
    const q = await analyse('quiesce-down');
    expect(q.findings[0]?.azs).toEqual(['us-east-1a', 'us-east-1b']);
  });
});
