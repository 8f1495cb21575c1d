/**
 * restore: associate (issue 12) end to end through the shared orchestration: the real process driver runs the fake
 * terraform, EC2 is simulated with aws-sdk-client-mock (AssociateAddress fails while the address is still held,
 * as with AllowReassociation false), time is a VirtualClock. Every race form the cutover knows, in both restore
 * modes, the fallbacks to the re-apply path, and the mismatch after an import.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSummary, runCutover, type CutoverResult } from '@nat-egress/shared/cutover';
import { GATEWAY_NOT_APPLICABLE } from '../../../packages/shared/src/cutover/restore';
import { cabal, change, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { deps, options, simulateEc2, workspace, type Call, type Ec2World } from './support/harness';
import { M, associationApply, diagnostic, hook, raceApplyInStream, replanStream, version } from './support/streams';

const kinds = (calls: Call[]) => calls.map((c) => c.argv[0]);
const alloc = (i: number) => `eipalloc-0${i}a1b2c3d4e5f6a7b8`;
const instanceId = (i: number) => `i-0${i}1234567890abcde`;

/** Resumes the paused apply once every address was associated (or at once, for the re-apply path). */
function resumeWhenAssociated(dir: string, azs = 2): Partial<Ec2World> {
  let n = 0;
  return {
    onAssociate: () => {
      if (++n >= azs) writeFileSync(join(dir, 'resume'), '');
    },
  };
}

function apply1Paused(dir: string): boolean {
  const file = join(dir, 'calls.jsonl');
  return (
    existsSync(file) &&
    readFileSync(file, 'utf8').includes('"event":"paused"') &&
    !readFileSync(file, 'utf8').includes('"event":"resumed"')
  );
}

describe('restore: associate — association to an instance', () => {
  it('associates each address the moment EC2 shows it free, while terraform still waits; imports; the re-plan has nothing left', async () => {
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.gatewayToInstance(2)), replan: planJson([]) },
      apply: [{ lines: raceApplyInStream(2), exit: 1 }],
      plan: [{ lines: replanStream(0), exit: 0, writes: 'replan' }],
    });
    const h = deps(ws.dir);
    let pausedAtAssociate = 0;
    const ec2 = simulateEc2(h.ec2, {
      deletingPolls: 2,
      lingeringPolls: 2,
      ...resumeWhenAssociated(ws.dir),
      onAssociate: (() => {
        const resume = resumeWhenAssociated(ws.dir).onAssociate!;
        return (input) => {
          if (apply1Paused(ws.dir)) pausedAtAssociate++;
          resume(input);
        };
      })(),
    });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.failure).toBeUndefined();
    expect(r.result).toBe('converged');
    expect(r.applies).toBe(1);
    // the associations were sent while terraform's first apply was still running
    expect(pausedAtAssociate).toBe(2);
    expect(ec2.associations()).toEqual(
      [0, 1].map((i) => ({ AllocationId: alloc(i), InstanceId: instanceId(i), AllowReassociation: false })),
    );
    expect(r.restore).toMatchObject({
      mode: 'associate',
      path: 'associate',
      imported: [`${M}.aws_eip_association.nat[0]`, `${M}.aws_eip_association.nat[1]`],
    });
    expect(r.restore?.notApplicable).toBeUndefined();
    // never before the release: one attempt each
    expect(r.restore?.associations.map((a) => a.attempts)).toEqual([1, 1]);
    for (const t of r.timeline.restore ?? []) {
      expect(t.releaseToSentMs).toBeGreaterThanOrEqual(0);
      expect(t.releaseToSentMs).toBeLessThanOrEqual(2_000);
    }
    const calls = ws.calls();
    expect(kinds(calls)).toEqual(['show', 'apply', 'import', 'import', 'plan', 'show']);
    expect(calls[2]!.argv).toEqual([
      'import',
      '-input=false',
      '-var-file=prod.tfvars',
      '-lock-timeout=30m',
      `${M}.aws_eip_association.nat[0]`,
      'eipassoc-0cut00feed',
    ]);
    expect(r.timeline.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining(['check', 'apply', 'confirm', 'wait', 'restore', 'import', 'plan']),
    );
    expect(r.retriedBecause).toMatch(
      /^AuthFailure associating Elastic IP\(s\) at .*: the Elastic IP race, confirmed by EC2/,
    );
    // egress came back at the association, not at a second apply
    expect(r.timeline.egressGap?.toAddress).toMatch(/aws_eip_association\.nat\[[01]\]/);
    const summary = renderSummary(r);
    expect(summary).toContain('### Fast restore');
    expect(summary).toContain('cutover associated the Elastic IPs (AssociateAddress), then imported them');
    // no line calls it the race before EC2 confirmed it
    const text = h.text();
    const confirmed = text.indexOf('EC2 confirms the Elastic IP race');
    expect(confirmed).toBeGreaterThan(0);
    expect(text.slice(0, confirmed)).not.toMatch(
      /hit the (gateway→instance )?(Elastic IP )?race|is the (Elastic IP )?race/,
    );
  });

  it('restore: reapply on the same race: no AssociateAddress, re-plan and re-apply', async () => {
    const ws = workspace({
      plans: {
        reviewed: planJson(scenarios.gatewayToInstance(2)),
        replan: planJson([cabal.association(0, ['create']), cabal.association(1, ['create'])]),
      },
      apply: [
        { lines: raceApplyInStream(2), exit: 1 },
        { lines: associationApply(2), exit: 0 },
      ],
      plan: [{ lines: replanStream(2), exit: 0, writes: 'replan' }],
    });
    writeFileSync(join(ws.dir, 'resume'), '');
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 2 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('converged');
    expect(r.applies).toBe(2);
    expect(ec2.associations()).toEqual([]);
    expect(r.restore).toMatchObject({ mode: 'reapply', path: 'reapply' });
    expect(kinds(ws.calls())).toEqual(['show', 'apply', 'plan', 'show', 'apply']);
  });
});

describe('restore: associate — every provider message form of the association race', () => {
  /** aws_eip with `instance` set (no separate association resource): the aws_eip is updated to the new instance. */
  const eipPlan = planJson([
    ...scenarios.gatewayToInstance(2).filter((c) => !c.address.includes('aws_eip_association')),
    ...[0, 1].map((i) =>
      change(
        `${M}.aws_eip.nat_eip[${i}]`,
        ['update'],
        { id: alloc(i), allocation_id: alloc(i), instance: '' },
        { id: alloc(i), allocation_id: alloc(i), instance: null },
        { after_unknown: { instance: true } },
      ),
    ),
  ]);
  it.each(['sdk-v2', 'sdk-v1', 'provider-v3', 'aws_eip'] as const)('%s', async (form) => {
    const ws = workspace({
      plans: {
        reviewed: form === 'aws_eip' ? eipPlan : planJson(scenarios.gatewayToInstance(2)),
        replan: planJson([]),
      },
      apply: [{ lines: raceApplyInStream(2, 'resume', form), exit: 1 }],
      plan: [{ lines: replanStream(0), exit: 0, writes: 'replan' }],
    });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 1, ...resumeWhenAssociated(ws.dir) });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.failure).toBeUndefined();
    expect(r.result).toBe('converged');
    expect(r.applies).toBe(1);
    expect(ec2.associations()).toEqual(
      [0, 1].map((i) => ({ AllocationId: alloc(i), InstanceId: instanceId(i), AllowReassociation: false })),
    );
    // an aws_eip reads its association when the re-plan refreshes it: nothing to import
    expect(kinds(ws.calls())).toEqual(
      form === 'aws_eip' ? ['show', 'apply', 'plan', 'show'] : ['show', 'apply', 'import', 'import', 'plan', 'show'],
    );
  });
});

/** The ENI/ASG NAT: the association targets a static network interface created in the same apply. */
function interfacePlan(azs = 2) {
  const out = [];
  for (let i = 0; i < azs; i++) {
    out.push(cabal.gateway(i, ['delete']));
    out.push(
      change(
        `${M}.aws_network_interface.nat[${i}]`,
        ['create'],
        null,
        { subnet_id: `subnet-0pub${i}`, source_dest_check: false, id: null },
        { after_unknown: { id: true } },
      ),
      change(
        `${M}.aws_eip_association.nat[${i}]`,
        ['create'],
        null,
        { allocation_id: alloc(i), network_interface_id: null, instance_id: null, id: null },
        { after_unknown: { id: true, network_interface_id: true } },
      ),
      cabal.route(i, ['update'], 'gateway', 'instance'),
    );
  }
  return planJson(out);
}

function interfaceApply(azs = 2): unknown[] {
  const lines = raceApplyInStream(azs).filter((l) => !JSON.stringify(l).includes('aws_instance'));
  const created = Array.from({ length: azs }, (_, i) =>
    hook('apply_complete', `${M}.aws_network_interface.nat[${i}]`, 'create', 5, {
      elapsed_seconds: 1,
      id_key: 'id',
      id_value: `eni-0nat${i}bbbbccccdddd`,
    }),
  );
  return [lines[0], ...created, ...lines.slice(1)];
}

describe.each(['associate', 'reapply'] as const)(
  'restore: %s — association to a network interface (ENI/ASG NAT)',
  (mode) => {
    it('is the race, and egress comes back on the interface', async () => {
      const ws = workspace({
        plans: {
          reviewed: interfacePlan(2),
          replan:
            mode === 'associate'
              ? planJson([])
              : planJson(
                  [0, 1].map((i) =>
                    change(`${M}.aws_eip_association.nat[${i}]`, ['create'], null, {
                      allocation_id: alloc(i),
                      network_interface_id: `eni-0nat${i}bbbbccccdddd`,
                    }),
                  ),
                ),
        },
        apply: [
          { lines: interfaceApply(2), exit: 1 },
          { lines: associationApply(2), exit: 0 },
        ],
        plan: [{ lines: replanStream(mode === 'associate' ? 0 : 2), exit: 0, writes: 'replan' }],
      });
      if (mode === 'reapply') writeFileSync(join(ws.dir, 'resume'), '');
      const h = deps(ws.dir);
      const ec2 = simulateEc2(h.ec2, { deletingPolls: 1, ...resumeWhenAssociated(ws.dir) });
      const r = await runCutover(options(ws.dir, { restore: mode }), h.deps);
      expect(r.failure).toBeUndefined();
      expect(r.result).toBe('converged');
      if (mode === 'associate') {
        expect(ec2.associations()).toEqual(
          [0, 1].map((i) => ({
            AllocationId: alloc(i),
            NetworkInterfaceId: `eni-0nat${i}bbbbccccdddd`,
            AllowReassociation: false,
          })),
        );
        expect(r.applies).toBe(1);
      } else {
        expect(ec2.associations()).toEqual([]);
        expect(r.applies).toBe(2);
      }
    });
  },
);

const GW_FAILED = (id: string, a: string) =>
  `waiting for EC2 NAT Gateway (${id}) create: unexpected state 'failed', wanted target 'available'. last error: Resource.AlreadyAssociated: Elastic IP address ${a} is already associated`;

/** Zonal gateways replaced by one regional gateway on the same Elastic IPs, created before the old ones are gone. */
function regionalPlan() {
  const regional = change(
    `${M}.aws_nat_gateway.regional`,
    ['create'],
    null,
    {
      availability_mode: 'regional',
      vpc_id: 'vpc-0abc',
      availability_zone_address: [0, 1].map((i) => ({
        availability_zone: `us-east-1${'ab'[i]}`,
        allocation_ids: [alloc(i)],
      })),
      id: null,
    },
    { after_unknown: { id: true } },
  );
  return planJson([cabal.gateway(0, ['delete']), cabal.gateway(1, ['delete']), regional]);
}

describe.each(['associate', 'reapply'] as const)(
  'restore: %s — NAT gateway creation failed because the address is still associated',
  (mode) => {
    it('is confirmed, waited out, and the tainted gateway replaced; the summary says why fast restore does not apply', async () => {
      const tainted = change(
        `${M}.aws_nat_gateway.regional`,
        ['delete', 'create'],
        { id: 'nat-0eee00000000000001' },
        {
          availability_mode: 'regional',
          vpc_id: 'vpc-0abc',
          availability_zone_address: [0, 1].map((i) => ({
            availability_zone: `us-east-1${'ab'[i]}`,
            allocation_ids: [alloc(i)],
          })),
          id: null,
        },
        { after_unknown: { id: true } },
      );
      tainted.action_reason = 'replace_because_tainted'; // terraform taints a gateway whose creation failed
      const ws = workspace({
        plans: { reviewed: regionalPlan(), replan: planJson([tainted]) },
        apply: [
          {
            lines: [
              version(0),
              hook('apply_start', `${M}.aws_nat_gateway.regional`, 'create', 1),
              hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'delete', 1),
              hook('apply_errored', `${M}.aws_nat_gateway.regional`, 'create', 30, { elapsed_seconds: 29 }),
              diagnostic(GW_FAILED('nat-0eee00000000000001', alloc(0)), 30, `${M}.aws_nat_gateway.regional`),
              hook('apply_complete', `${M}.aws_nat_gateway.nat[0]`, 'delete', 60, { elapsed_seconds: 59 }),
            ],
            exit: 1,
          },
          {
            lines: [
              version(200),
              hook('apply_start', `${M}.aws_nat_gateway.regional`, 'create', 201),
              hook('apply_complete', `${M}.aws_nat_gateway.regional`, 'create', 290, {
                elapsed_seconds: 89,
                id_key: 'id',
                id_value: 'nat-0eee00000000000002',
              }),
            ],
            exit: 0,
          },
        ],
        plan: [{ lines: replanStream(0), exit: 0, writes: 'replan' }],
      });
      const h = deps(ws.dir);
      const ec2 = simulateEc2(h.ec2, { deletingPolls: 1 });
      const r = await runCutover(options(ws.dir, { restore: mode }), h.deps);
      expect(r.failure).toBeUndefined();
      expect(r.expectedApplies).toBe(2);
      expect(r.result).toBe('converged');
      expect(r.applies).toBe(2);
      expect(r.retriedBecause).toContain(
        'NAT gateway creation failed, its Elastic IP already associated, at module.vpc.aws_nat_gateway.regional',
      );
      expect(ec2.associations()).toEqual([]);
      if (mode === 'associate') {
        expect(r.restore?.notApplicable).toBe(GATEWAY_NOT_APPLICABLE);
        expect(renderSummary(r)).toContain('fast restore does not apply to a NAT gateway whose creation failed');
      }
    });
  },
);

describe('restore: associate — fallbacks to the re-apply path and the mismatch after an import', () => {
  const reviewed = planJson(scenarios.gatewayToInstance(2));
  const leftover = planJson([cabal.association(0, ['create']), cabal.association(1, ['create'])]);
  async function run(
    world: Partial<Ec2World>,
    scenario: { replan: unknown; applies?: unknown[]; import?: unknown[]; plans?: Record<string, unknown> },
  ): Promise<{ r: CutoverResult; calls: Call[]; associations: unknown[] }> {
    const ws = workspace({
      plans: { reviewed, replan: scenario.replan, ...(scenario.plans ?? {}) },
      apply: [
        { lines: raceApplyInStream(2), exit: 1 },
        ...(scenario.applies ?? [{ lines: associationApply(2), exit: 0 }]),
      ],
      plan: [{ lines: replanStream(2), exit: 0, writes: 'replan' }],
      ...(scenario.import ? { import: scenario.import } : {}),
    });
    writeFileSync(join(ws.dir, 'resume'), '');
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 1, ...world });
    const r = await runCutover(options(ws.dir), h.deps);
    return { r, calls: ws.calls(), associations: ec2.associations() };
  }

  it('AssociateAddress refused (UnauthorizedOperation) → re-plan and re-apply', async () => {
    const { r, calls } = await run({ associateError: 'UnauthorizedOperation' }, { replan: leftover });
    expect(r.result).toBe('converged');
    expect(r.applies).toBe(2);
    expect(r.restore?.path).toBe('reapply');
    expect(r.restore?.notApplicable).toContain('the role needs ec2:AssociateAddress');
    expect(kinds(calls)).toEqual(['show', 'apply', 'plan', 'show', 'apply']);
  });

  it('AuthFailure lingering just after the release is retried, then associated', async () => {
    const { r } = await run({ associateError: 'AuthFailure', associateErrors: 2 }, { replan: planJson([]) });
    expect(r.result).toBe('converged');
    expect(r.restore?.associations.reduce((n, a) => n + a.attempts, 0)).toBe(4);
    expect(r.restore?.path).toBe('associate');
  });

  it('a target that is not a NAT instance of the reviewed plan → not applicable, re-apply', async () => {
    const odd = planJson([
      ...scenarios.gatewayToInstance(2).filter((c) => !c.address.includes('aws_eip_association')),
      ...[0, 1].map((i) =>
        change(`${M}.aws_eip_association.nat[${i}]`, ['create'], null, {
          allocation_id: alloc(i),
          instance_id: 'i-0bastion000000001',
        }),
      ),
    ]);
    const ws = workspace({
      plans: { reviewed: odd, replan: leftover },
      apply: [
        { lines: raceApplyInStream(2), exit: 1 },
        { lines: associationApply(2), exit: 0 },
      ],
      plan: [{ lines: replanStream(2), exit: 0, writes: 'replan' }],
    });
    writeFileSync(join(ws.dir, 'resume'), '');
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 1 });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('converged');
    expect(ec2.associations()).toEqual([]);
    expect(r.restore?.notApplicable).toContain(
      'targets i-0bastion000000001, which is not a NAT instance or interface in the reviewed plan',
    );
    expect(r.restore?.path).toBe('reapply');
  });

  it('an import that fails → re-apply path', async () => {
    const failing = { stderr: ['', 'Error: Cannot import non-existent remote object', ''], exit: 1 };
    const { r, calls } = await run({}, { replan: leftover, import: [failing, failing] });
    expect(r.restore?.notApplicable).toContain('terraform import module.vpc.aws_eip_association.nat[0] failed');
    expect(r.restore?.imported).toEqual([]);
    expect(kinds(calls)).toEqual(['show', 'apply', 'import', 'import', 'plan', 'show', 'apply']);
    expect(r.result).toBe('converged');
  });

  it('the re-plan still changes an imported association → stop with a clear report', async () => {
    const replace = planJson([cabal.association(0, ['delete', 'create'])]);
    const { r, calls } = await run({}, { replan: replace });
    expect(r.result).toBe('failed');
    expect(r.failure).toContain(
      'the re-plan still changes replace module.vpc.aws_eip_association.nat[0] after cutover associated and imported it',
    );
    expect(r.nextSteps[0]).toContain('Egress is restored on the associations cutover made');
    expect(kinds(calls)).toEqual(['show', 'apply', 'import', 'import', 'plan', 'show']);
  });
});
