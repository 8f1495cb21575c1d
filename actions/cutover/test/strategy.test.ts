/**
 * strategy: auto falling back to in-place (cutover/strategy.ts). A reason only EC2 shows at apply time (EC2
 * unreadable, a route table without a default route, no serving bridge target) is one plan-guard could not know —
 * its review said bridge — so it is a warning annotation, in the result's warnings and the summary, naming the
 * reason and the outage now expected. A reason the plan gives (one AZ) the review already said: an info line.
 */
import { describe, expect, it } from '@jest/globals';
import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
} from '@aws-sdk/client-ec2';
import { renderSummary, runCutover } from '@nat-egress/shared/cutover';
import { planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { deps, options, simulateEc2, workspace } from './support/harness';
import { M, changeSummary, hook, version } from './support/streams';

/** instance → gateway applied in place in one apply (no EC2 needed by the in-place path). */
function inPlaceApply(azs: number): unknown[] {
  const is = Array.from({ length: azs }, (_, i) => i);
  return [
    version(0),
    ...is.flatMap((i) => [
      hook('apply_start', `${M}.aws_eip_association.nat[${i}]`, 'delete', 1),
      hook('apply_complete', `${M}.aws_eip_association.nat[${i}]`, 'delete', 3, { elapsed_seconds: 2 }),
      hook('apply_start', `${M}.aws_nat_gateway.nat[${i}]`, 'create', 3),
      hook('apply_complete', `${M}.aws_nat_gateway.nat[${i}]`, 'create', 95, { elapsed_seconds: 92 }),
      hook('apply_start', `${M}.aws_route.private[${i}]`, 'update', 96),
      hook('apply_complete', `${M}.aws_route.private[${i}]`, 'update', 97, { elapsed_seconds: 1 }),
    ]),
    changeSummary(azs, azs, 3 * azs, 120),
  ];
}

async function autoRun(azs: number, routeTables: (mock: ReturnType<typeof simulateEc2>['mock']) => void) {
  const ws = workspace({
    plans: { reviewed: planJson(scenarios.instanceToGateway(azs)) },
    apply: [{ lines: inPlaceApply(azs), exit: 0 }],
  });
  const h = deps(ws.dir);
  const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
  routeTables(ec2.mock);
  const r = await runCutover(options(ws.dir, { strategy: 'auto' }), h.deps);
  const warnings = h.lines.filter((l) => l.level === 'warning').map((l) => l.text);
  const infos = h.lines.filter((l) => l.level === 'info').map((l) => l.text);
  return { r, warnings, infos, summary: renderSummary(r) };
}

describe('strategy: auto → in-place for a reason only EC2 shows now: a warning, not only an info line', () => {
  it('EC2 unreadable (DescribeRouteTables refused): warned with the reason and the outage now expected', async () => {
    const { r, warnings, summary } = await autoRun(2, (mock) =>
      mock.on(DescribeRouteTablesCommand).rejects(
        Object.assign(new Error('You are not authorized to perform this operation.'), {
          name: 'UnauthorizedOperation',
          $metadata: { httpStatusCode: 403 },
        }),
      ),
    );
    expect({ result: r.result, strategy: r.strategy }).toEqual({ result: 'applied', strategy: 'in-place' });
    const w = warnings.filter((t) => t.startsWith('strategy: auto runs in place'));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/not bridged as plan-guard's review expected: bridging cannot apply: EC2 could not be read/);
    expect(w[0]).toContain(`Outage now expected: ${r.expectedOutage}.`);
    expect(r.expectedOutage).toMatch(/without egress from its NAT instance's removal/);
    expect(r.warnings).toContain(w[0]);
    expect(summary).toContain('> strategy: auto runs in place, not bridged');
  });

  it('a route table without a 0.0.0.0/0 route: warned, naming the route table', async () => {
    const { r, warnings } = await autoRun(2, (mock) => {
      mock.on(DescribeRouteTablesCommand).resolves({
        RouteTables: [0, 1].map((i) => ({ RouteTableId: `rtb-0priv${i}`, VpcId: 'vpc-0abc', Routes: [] })),
      });
      mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    });
    expect(r.strategy).toBe('in-place');
    expect(r.warnings.join('\n')).toMatch(/rtb-0priv0 \(AZ 0\) has no 0\.0\.0\.0\/0 route/);
    expect(warnings.some((t) => t.includes('Outage now expected: '))).toBe(true);
  });

  it('no serving bridge target (the NAT instances not running): warned, naming it', async () => {
    const { r, warnings } = await autoRun(2, (mock) => {
      mock.on(DescribeRouteTablesCommand).resolves({
        RouteTables: [0, 1].map((i) => ({
          RouteTableId: `rtb-0priv${i}`,
          VpcId: 'vpc-0abc',
          Routes: [
            {
              DestinationCidrBlock: '0.0.0.0/0',
              NetworkInterfaceId: `eni-0${i}abcdef12345678`,
              InstanceId: `i-0${i}1234567890abcde`,
              State: 'active',
            },
          ],
        })),
      });
      mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    });
    expect(r.strategy).toBe('in-place');
    expect(r.warnings.join('\n')).toMatch(/not bridged as plan-guard's review expected: .*no healthy bridge target/);
    expect(warnings.filter((t) => t.includes('no healthy bridge target'))).toHaveLength(1);
  });

  it('one AZ (the plan says it; plan-guard already did): an info line, no warning', async () => {
    const { r, warnings, infos } = await autoRun(1, () => undefined);
    expect(r.strategy).toBe('in-place');
    expect(infos.some((t) => /^Strategy: in-place \(bridging cannot apply: one AZ/.test(t))).toBe(true);
    expect(warnings.filter((t) => t.startsWith('strategy: auto'))).toEqual([]);
    expect(r.warnings.filter((t) => t.startsWith('strategy: auto'))).toEqual([]);
  });
});
