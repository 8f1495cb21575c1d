/**
 * The instance → gateway race in place (strategy: in-place; the bridged steps run the same apply loop): terraform
 * deletes aws_eip_association.nat[i] and creates aws_nat_gateway.nat[i] with the same allocation in parallel, so
 * the gateway meets its Elastic IP still on the instance — EC2's asynchronous `failed` form or moto's synchronous
 * refusal (race.ts). cutover confirms with EC2 (DescribeAddresses) that the holder is the association the reviewed
 * plan deletes, waits until the address is free and converges; an address held by anything else is not the race.
 */
import { describe, expect, it } from '@jest/globals';
import { DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import { runCutover } from '@nat-egress/shared/cutover';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { deps, options, simulateEc2, workspace } from './support/harness';
import { M, diagnostic, hook, version } from './support/streams';

const alloc = (i: number) => `eipalloc-0${i}a1b2c3d4e5f6a7b8`;
const FORMS = {
  refused: (i: number) =>
    'creating EC2 NAT Gateway: operation error EC2: CreateNatGateway, https response error StatusCode: 400, ' +
    `RequestID: Kn4sCPT87OAX, api error Resource.AlreadyAssociated: Resource 203.0.113.1${i} is already associated.`,
  failed: (i: number) =>
    `waiting for EC2 NAT Gateway (nat-0f${i}) create: unexpected state 'failed', wanted target 'available'. last ` +
    `error: Resource.AlreadyAssociated: Elastic IP address ${alloc(i)} is already associated`,
};

function raceApply(form: keyof typeof FORMS): unknown[] {
  return [
    version(0),
    hook('apply_start', `${M}.aws_eip_association.nat[0]`, 'delete', 1),
    hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'create', 1),
    hook('apply_errored', `${M}.aws_nat_gateway.nat[0]`, 'create', 2, { elapsed_seconds: 1 }),
    diagnostic(FORMS[form](0), 2, `${M}.aws_nat_gateway.nat[0]`),
    hook('apply_complete', `${M}.aws_eip_association.nat[0]`, 'delete', 3, { elapsed_seconds: 2 }),
  ];
}

const secondApply = [
  version(100),
  hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'create', 101),
  hook('apply_complete', `${M}.aws_nat_gateway.nat[0]`, 'create', 130, {
    elapsed_seconds: 29,
    id_key: 'id',
    id_value: 'nat-0new',
  }),
];

async function race(form: keyof typeof FORMS, holder: { AssociationId: string; InstanceId: string }) {
  const leftover = planJson([cabal.gateway(0, ['create']), cabal.route(0, ['update'], 'instance', 'gateway')]);
  const ws = workspace({
    plans: { reviewed: planJson(scenarios.instanceToGateway(2)), replan: leftover },
    apply: [
      { lines: raceApply(form), exit: 1 },
      { lines: secondApply, exit: 0 },
    ],
    plan: [{ lines: [version(90)], exit: 0, writes: 'replan' }],
  });
  const h = deps(ws.dir);
  const ec2 = simulateEc2(h.ec2, { deletingPolls: 0, noGateways: true });
  let held = 3; // DescribeAddresses answers still showing the holder
  ec2.mock.on(DescribeAddressesCommand).callsFake((input: { AllocationIds?: string[] }) => ({
    Addresses: (input.AllocationIds ?? []).map((a) => ({
      AllocationId: a,
      PublicIp: '203.0.113.10',
      Domain: 'vpc',
      ...(a === alloc(0) && held-- > 0 ? holder : {}),
    })),
  }));
  const r = await runCutover(options(ws.dir, { strategy: 'in-place' }), h.deps);
  return { r, applies: ws.calls().filter((c) => c.argv[0] === 'apply').length };
}

describe('instance → gateway: the gateway meets its Elastic IP still on the instance', () => {
  it.each(['refused', 'failed'] as const)(
    '%s: the holder is the association being deleted → waited out, applied again, converged',
    async (form) => {
      const { r, applies } = await race(form, { AssociationId: 'eipassoc-00feedface1234', InstanceId: 'i-0012345' });
      expect({ failure: r.failure, result: r.result, applies: r.applies, calls: applies }).toEqual({
        failure: undefined,
        result: 'converged',
        applies: 2,
        calls: 2,
      });
      expect(r.retriedBecause).toMatch(/already associated/i);
    },
  );

  it('an address held by another association is not the race: no second apply', async () => {
    const { r, applies } = await race('refused', { AssociationId: 'eipassoc-0someoneelse', InstanceId: 'i-0other' });
    expect({ result: r.result, applies }).toEqual({ result: 'failed', applies: 1 });
    expect(r.failure).toMatch(
      /not retried: .* is associated with i-0other, which the reviewed plan does not disassociate/,
    );
  });
});
