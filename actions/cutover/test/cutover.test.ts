/**
 * The cutover scenarios of issue 3, end to end through the shared orchestration: the real process driver runs the
 * fake terraform (test/fake-terraform/terraform), EC2 is simulated with aws-sdk-client-mock, time is a VirtualClock.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCutover, type CutoverResult } from '@nat-egress/shared/cutover';
import { ROLLBACK } from '../../../packages/shared/src/cutover/run';
import { TerraformNotFoundError } from '@nat-egress/shared/terraform';
import { VirtualClock } from '@nat-egress/shared/runtime';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { FAKE_TF, deps, options, simulateEc2, workspace, type Call } from './support/harness';
import {
  M,
  RACE_MESSAGES,
  associationApply,
  changeSummary,
  diagnostic,
  hook,
  ordinaryApply,
  raceApply,
  replanStream,
  version,
} from './support/streams';

const reviewedSwitch = planJson(scenarios.gatewayToInstance(2));
const replanAssociations = planJson([cabal.association(0, ['create']), cabal.association(1, ['create'])]);

function raceScenario(extra: { form?: keyof typeof RACE_MESSAGES; replan?: unknown; applies?: unknown[] } = {}) {
  return {
    plans: { reviewed: reviewedSwitch, replan: extra.replan ?? replanAssociations },
    apply: extra.applies ?? [
      { lines: raceApply(2, extra.form), exit: 1 },
      { lines: associationApply(2), exit: 0 },
    ],
    plan: [{ lines: replanStream(2), exit: 0, writes: 'replan' }],
  };
}

const kinds = (calls: Call[]) => calls.map((c) => c.argv[0]);

function expectNoRawJson(text: string): void {
  for (const line of text.split('\n')) expect(line.trim().startsWith('{"')).toBe(false);
}

describe('cutover restore: reapply — the race converges by re-planning and re-applying', () => {
  it.each(Object.keys(RACE_MESSAGES) as Array<keyof typeof RACE_MESSAGES>)(
    'provider message form %s → converged in 2 applies',
    async (form) => {
      const ws = workspace(raceScenario({ form }));
      const h = deps(ws.dir);
      const ec2 = simulateEc2(h.ec2, { deletingPolls: 3 });
      const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
      expect(r.failure).toBeUndefined();
      expect(r.result).toBe('converged');
      expect(r.applies).toBe(2);
      expect(r.retriedBecause).toContain('AuthFailure associating Elastic IP');
      expect(r.wait?.outcome).toBe('released');
      expect(r.errors).toEqual([]); // converged: nothing left to annotate as an error
      expect(r.restore).toMatchObject({ mode: 'reapply', path: 'reapply', associations: [] });
      expect(ec2.associations()).toEqual([]);
      // one watch per Elastic IP, each polling until the (shared) gateways show deleted
      expect(ec2.gatewayPolls()).toBeGreaterThanOrEqual(4);
      expect(r.waits.map((w) => w.outcome)).toEqual(['released', 'released']);
      // apply the reviewed plan, re-plan with apply-args, apply the re-plan
      const calls = ws.calls();
      expect(kinds(calls)).toEqual(['show', 'apply', 'plan', 'show', 'apply']);
      expect(calls[1]!.argv).toEqual(['apply', '-json', '-input=false', join(ws.dir, 'tfplan')]);
      expect(calls[2]!.argv).toEqual(
        expect.arrayContaining(['plan', '-json', '-input=false', '-var-file=prod.tfvars', '-lock-timeout=30m']),
      );
      expect(calls[4]!.planKey).toBe('replan');
    },
  );

  it('measures the egress gap from the first route change to the last association, and keeps a timeline', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 2 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    // first apply: route update starts at t=16 s; second apply: last association completes at t=180+3 s
    expect(r.timeline.egressGap).toMatchObject({
      fromAddress: `${M}.aws_route.private[0]`,
      toAddress: `${M}.aws_eip_association.nat[1]`,
      seconds: 167,
    });
    expect(r.egressGapSeconds).toBe(167);
    expect(r.timeline.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'check:ok',
      'apply:race pattern',
      'confirm:confirmed',
      'wait:released',
      'confirm:confirmed',
      'wait:released',
      'plan:ok',
      'apply:ok',
    ]);
    expect(JSON.parse(JSON.stringify(r.timeline))).toEqual(r.timeline);
  });

  it('renders the stream as grouped readable lines, never raw JSON, with sensitive outputs masked', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 1 });
    await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    const text = h.text();
    expectNoRawJson(text);
    expect(text).toContain(`Error at ${M}.aws_eip_association.nat[0]: creating EC2 EIP Association`);
    expect(text).toMatch(/\[ +17s\] module\.vpc\.aws_eip_association\.nat\[0\]: FAILED to create after 1s/);
    expect(text).toMatch(/\[ +28s\] module\.vpc\.aws_nat_gateway\.nat\[0\]: still destroying \(10s elapsed\)/);
    expect(text).toContain('Planned changes (2): 2 to create');
    expect(text).toContain('smtp_password = (sensitive value)');
    expect(text).not.toContain('hunter2-very-secret');
    expect(h.secrets).toContain('hunter2-very-secret');
    expect(text).toContain('::group::terraform apply (1 of at most 3)');
  });

  it('waits for an address that stays associated a little past `deleted`, then re-applies', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 2, lingeringPolls: 3 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('converged');
    expect(ec2.addressPolls()).toBeGreaterThanOrEqual(1 + 4); // the preflight's, then until free
    const wait = r.wait!;
    expect(wait.releasedAt).toBeDefined();
    const reapply = r.timeline.steps.find((s) => s.step === 'plan')!;
    // the re-plan (start of the re-apply) begins only after the addresses were seen free, plus the grace
    expect(Date.parse(reapply.started)).toBeGreaterThanOrEqual(wait.releasedAt! + 2_000);
    expect(h.text()).toContain('still associated: eipalloc-00a1b2c3d4e5f6a7b8');
    expect(h.text()).toContain('still associated: eipalloc-01a1b2c3d4e5f6a7b8');
  });

  it('each address lingers on its own, even when the second diagnostic arrives after the first wait ended', async () => {
    // The two AuthFailure diagnostics in separate reads of terraform's stdout: on the VirtualClock the first
    // watch runs to its release before the second one starts, and the second must still see its own address
    // associated (the flake of the test above, made deterministic).
    const lines = raceApply(2);
    lines.splice(lines.length - 1, 0, { __pauseUntil: 'second-diagnostic' });
    const ws = workspace(
      raceScenario({
        applies: [
          { lines, exit: 1 },
          { lines: associationApply(2), exit: 0 },
        ],
      }),
    );
    const h = deps(ws.dir);
    const line = h.deps.out.line;
    h.deps.out.line = (l) => {
      line(l);
      if (l.text.startsWith(`${M}.aws_eip_association.nat[0]: Elastic IP(s) released after`))
        writeFileSync(join(ws.dir, 'second-diagnostic'), '');
    };
    simulateEc2(h.ec2, { deletingPolls: 2, lingeringPolls: 3 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('converged');
    const text = h.text();
    expect(text.indexOf(`${M}.aws_eip_association.nat[1]: AuthFailure associating`)).toBeGreaterThan(
      text.indexOf(`${M}.aws_eip_association.nat[0]: Elastic IP(s) released after`),
    );
    expect(text).toContain('still associated: eipalloc-00a1b2c3d4e5f6a7b8');
    expect(text).toContain('still associated: eipalloc-01a1b2c3d4e5f6a7b8');
    expect(r.waits.map((w) => w.outcome)).toEqual(['released', 'released']);
  });

  it('tolerates throttled EC2 calls during the wait (backs off, keeps polling)', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 2, throttle: 3 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('converged');
    expect(r.waits.reduce((n, w) => n + w.throttled, 0)).toBe(3);
    expect(h.text()).toContain('EC2 is throttling or unavailable (RequestLimitExceeded)');
  });

  it('a re-plan with nothing left converges without another apply', async () => {
    const ws = workspace(raceScenario({ replan: planJson([]) }));
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 0 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('converged');
    expect(r.applies).toBe(1);
    expect(kinds(ws.calls())).toEqual(['show', 'apply', 'plan', 'show']);
  });
});

describe('cutover: failures that must not be retried', () => {
  async function failing(
    applyLines: unknown[],
    exit = 1,
    world = { deletingPolls: 0 },
  ): Promise<{ r: CutoverResult; calls: Call[]; ec2Calls: number; text: string }> {
    const ws = workspace({ plans: { reviewed: reviewedSwitch }, apply: [{ lines: applyLines, exit }] });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, world);
    const r = await runCutover(options(ws.dir), h.deps);
    // the preflight's one DescribeAddresses (region and credentials) is not part of the race handling
    return { r, calls: ws.calls(), ec2Calls: ec2.calls() - 1, text: h.text() };
  }

  it('gateway stuck `deleting` past release-timeout → a clear failure, no re-apply', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0, stuckState: 'deleting' });
    const r = await runCutover(options(ws.dir, { releaseTimeoutMs: 10 * 60_000, restore: 'reapply' }), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(1);
    expect(r.failure).toContain(
      'module.vpc.aws_eip_association.nat[0]: NAT gateway(s) nat-000f1e2d3c4b5a6978 still deleting after 10m (release-timeout 10m): gave up waiting',
    );
    expect(r.nextSteps).toContain(ROLLBACK);
    expect(kinds(ws.calls())).toEqual(['show', 'apply']);
    expect(ec2.calls() - 1).toBeLessThanOrEqual(2 * (600 / 5 + 5)); // two Elastic IPs, one watch each

    // restore: associate watches the address every second and still gives up at release-timeout
    const ws2 = workspace(raceScenario());
    const h2 = deps(ws2.dir);
    const ec22 = simulateEc2(h2.ec2, { deletingPolls: 0, stuckState: 'deleting' });
    const r2 = await runCutover(options(ws2.dir, { releaseTimeoutMs: 10 * 60_000 }), h2.deps);
    expect(r2.result).toBe('failed');
    expect(r2.failure).toMatch(/still associated after .*10m \(release-timeout 10m\)|still deleting/);
    expect(ec22.associations()).toEqual([]);
    expect(ec22.calls() - 1).toBeLessThanOrEqual(2 * (600 + 600 / 15 + 5));
  });

  it('an unrelated error fails at once with the diagnostics and the rollback lever', async () => {
    const { r, calls, ec2Calls, text } = await failing([
      version(0),
      hook('apply_start', `${M}.aws_instance.nat[0]`, 'create', 1),
      hook('apply_errored', `${M}.aws_instance.nat[0]`, 'create', 9, { elapsed_seconds: 8 }),
      diagnostic(
        'creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 500, api error InsufficientInstanceCapacity: We currently do not have sufficient t3.micro capacity.',
        9,
        `${M}.aws_instance.nat[0]`,
      ),
    ]);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(1);
    expect(r.failure).toContain('not retried');
    expect(r.errors.map((e) => e.address)).toEqual([`${M}.aws_instance.nat[0]`]);
    expect(r.nextSteps).toContain(ROLLBACK);
    expect(kinds(calls)).toEqual(['show', 'apply']);
    expect(ec2Calls).toBe(0);
    expect(text).toContain(`Error at ${M}.aws_instance.nat[0]: creating EC2 Instance`);
  });

  it('AuthFailure on a non-EIP resource is a permission problem: no retry', async () => {
    const { r, calls, ec2Calls } = await failing([
      version(0),
      hook('apply_errored', `${M}.aws_instance.nat[0]`, 'create', 2, { elapsed_seconds: 1 }),
      diagnostic(
        'creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, api error AuthFailure: You do not have permission to access the specified resource.',
        2,
        `${M}.aws_instance.nat[0]`,
      ),
    ]);
    expect(r.result).toBe('failed');
    expect(r.failure).toContain('is not an Elastic IP association');
    expect(kinds(calls)).toEqual(['show', 'apply']);
    expect(ec2Calls).toBe(0);
  });

  it('the race plus any other error: no retry', async () => {
    const lines = raceApply(2);
    lines.push(diagnostic('creating Route: RouteAlreadyExists', 62, `${M}.aws_route.private[1]`));
    const { r, calls } = await failing(lines);
    expect(r.result).toBe('failed');
    expect(r.failure).toContain('not the Elastic IP association race');
    expect(kinds(calls)).toEqual(['show', 'apply']);
    expect(r.restore).toBeUndefined();
  });

  it('AuthFailure while no NAT gateway ever held the address is not the race', async () => {
    const { r, calls } = await failing(raceApply(2), 1, { deletingPolls: 0, noGateways: true } as never);
    expect(r.result).toBe('failed');
    expect(r.failure).toContain(
      'no NAT gateway holds or held eipalloc-00a1b2c3d4e5f6a7b8 (DescribeNatGateways, all states): the AuthFailure is not the cutover race',
    );
    expect(kinds(calls)).toEqual(['show', 'apply']);
  });

  it('an address held by an available (not deleting) gateway is not waited for', async () => {
    const { r } = await failing(raceApply(2), 1, { deletingPolls: 0, stuckState: 'available' } as never);
    expect(r.failure).toContain('is available and still holds eipalloc-00a1b2c3d4e5f6a7b8: it is not being deleted');
  });

  it('a convergence plan with an unexpected change → stop and show it, nothing more applied', async () => {
    const surprise = planJson([
      cabal.association(0, ['create']),
      cabal.association(1, ['create']),
      cabal.gateway(0, ['create']),
      ...(planJson([]).resource_changes as never[]),
    ]);
    (surprise.resource_changes as unknown[]).push({
      address: 'aws_s3_bucket.logs',
      mode: 'managed',
      type: 'aws_s3_bucket',
      name: 'logs',
      change: { actions: ['delete'], before: {}, after: null },
    });
    const ws = workspace(raceScenario({ replan: surprise }));
    const h = deps(ws.dir);
    simulateEc2(h.ec2, { deletingPolls: 1 });
    const r = await runCutover(options(ws.dir, { restore: 'reapply' }), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(1);
    expect(r.unexpected).toEqual([
      `create ${M}.aws_nat_gateway.nat[0]: the reviewed plan would delete it`,
      'delete aws_s3_bucket.logs: not in the reviewed plan',
    ]);
    expect(r.failure).toContain('2 change(s) that were not in the reviewed plan');
    expect(kinds(ws.calls())).toEqual(['show', 'apply', 'plan', 'show']);
    expect(h.text()).toContain('unexpected in the re-plan: delete aws_s3_bucket.logs');
  });

  it('max-applies below what the plan needs → refused before applying (issue 9 §2)', async () => {
    const ws = workspace(raceScenario());
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
    const r = await runCutover(options(ws.dir, { maxApplies: 1 }), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(0);
    expect(r.expectedApplies).toBe(2);
    expect(r.failure).toContain('the plan needs 2 applies');
    expect(r.failure).toContain('but max-applies is 1: refusing to apply');
    expect(r.nextSteps).toEqual(['Nothing was applied. Set max-applies to 2 or more (default 3) and re-run the job.']);
    expect(r.nextSteps).not.toContain(ROLLBACK);
    expect(kinds(ws.calls())).toEqual(['show']);
    expect(ec2.calls()).toBe(0);
  });

  it('terraform crashing mid-stream with non-JSON output', async () => {
    const ws = workspace({
      plans: { reviewed: reviewedSwitch },
      apply: [
        {
          lines: [
            version(0),
            hook('apply_start', `${M}.aws_instance.nat[0]`, 'create', 1),
            'panic: runtime error: invalid memory address or nil pointer dereference',
            '[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1f2e3d4]',
            '',
            'goroutine 1 [running]:',
          ],
          stderr: [
            '!!!!!!!!!!!!!!!!!!!!!!!!!!! TERRAFORM CRASH !!!!!!!!!!!!!!!!!!!!!!!!!!!!',
            'Terraform crashed! This is always indicative of a bug within Terraform.',
          ],
          exit: 11,
        },
      ],
    });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(1);
    expect(r.failure).toContain('exited (exit code 11) without reporting an error diagnostic: it may have crashed');
    expect(r.failure).toContain('panic: runtime error: invalid memory address');
    expect(ec2.calls()).toBe(1); // the preflight's only
    expect(h.text()).toContain('terraform (stderr): Terraform crashed!');
    expect(h.text()).toContain('goroutine 1 [running]:');
  });
});

describe('cutover: checks before applying', () => {
  it('digest mismatch → refuse before applying', async () => {
    const ws = workspace({ plans: { reviewed: reviewedSwitch }, apply: [{ lines: ordinaryApply(), exit: 0 }] });
    const h = deps(ws.dir);
    const r = await runCutover(options(ws.dir, { expectedPlanSha: 'a'.repeat(64) }), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(0);
    expect(r.failure).toMatch(
      /^the plan's digest [0-9a-f]{64} differs from expected-plan-sha a{64}: refusing to apply/,
    );
    expect(kinds(ws.calls())).toEqual(['show']);
  });

  it('the matching digest is accepted (plan-sha computed exactly as plan-guard does)', async () => {
    const { analysePlan } = await import('@nat-egress/shared/review');
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const h = deps(ws.dir);
    process.env.FAKE_TF_DIR = ws.dir; // plan-guard runs terraform show with the process environment
    let guard;
    try {
      guard = await analysePlan({
        planfile: 'tfplan',
        terraform: FAKE_TF,
        workingDirectory: ws.dir,
        failOn: 'none',
        environment: '',
        tempDir: ws.dir,
      });
    } finally {
      delete process.env.FAKE_TF_DIR;
    }
    const r = await runCutover(options(ws.dir, { expectedPlanSha: guard.planSha }), h.deps);
    expect(r.planSha).toBe(guard.planSha);
    expect(r.result).toBe('applied');
  });

  it('missing tagged AMI when the plan creates NAT instances → fail before applying, with the bootstrap steps', async () => {
    const ws = workspace({ plans: { reviewed: reviewedSwitch }, apply: [{ lines: raceApply(2), exit: 1 }] });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
    ec2.images.resolves({
      Images: [
        {
          ImageId: 'ami-0untagged00000001',
          Name: 'cabal-nat-al2023-2026-01-01',
          State: 'available',
          CreationDate: '2026-01-01T00:00:00.000Z',
          Tags: [{ Key: 'Name', Value: 'cabal-nat-al2023' }],
        },
      ],
    });
    const r = await runCutover(options(ws.dir, { amiCheck: 'auto' }), h.deps);
    expect(r.result).toBe('failed');
    expect(r.applies).toBe(0);
    expect(r.failure).toContain('no AMI named cabal-nat-al2023-* with Role=cabal-nat exists');
    expect(r.failure).toContain('lacks tag Role=cabal-nat');
    expect(r.nextSteps.join('\n')).toMatch(/gateway mode first[^]*Build the NAT AMI[^]*flip to instances/);
    expect(kinds(ws.calls())).toEqual(['show']);
  });

  it('a usable tagged AMI lets the switch proceed', async () => {
    const ws = workspace({ plans: { reviewed: reviewedSwitch }, apply: [{ lines: associationApply(2, 0), exit: 0 }] });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
    ec2.images.resolves({
      Images: [
        {
          ImageId: 'ami-0aaa1111bbbb22223',
          Name: 'cabal-nat-al2023-2026-01-02',
          State: 'available',
          CreationDate: '2026-01-02T00:00:00.000Z',
          Tags: [{ Key: 'Role', Value: 'cabal-nat' }],
        },
      ],
    });
    const r = await runCutover(options(ws.dir, { amiCheck: 'auto' }), h.deps);
    expect(r.result).toBe('applied');
    expect(r.ami).toBe('ami-0aaa1111bbbb22223 (cabal-nat-al2023-2026-01-02)');
  });

  it('terraform not found → one clear line', async () => {
    const ws = workspace({ plans: { reviewed: reviewedSwitch } });
    const h = deps(ws.dir, { terraform: join(ws.dir, 'no-such-terraform') });
    const err = await runCutover(options(ws.dir), h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerraformNotFoundError);
    expect((err as Error).message).toBe(
      `terraform: ${JSON.stringify(join(ws.dir, 'no-such-terraform'))} was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, or set the terraform input to its path)`,
    );
  });

  it('a planfile that is not a plan is an input error naming planfile', async () => {
    const ws = workspace({ plans: {} }, 'missing-key');
    const h = deps(ws.dir);
    await expect(runCutover(options(ws.dir), h.deps)).rejects.toThrow(
      /^planfile: tfplan: terraform show -json .* failed \(exit 1\)/,
    );
    await expect(runCutover(options(ws.dir, { planfile: 'nope.tfplan' }), h.deps)).rejects.toThrow(
      'planfile: nope.tfplan does not exist',
    );
  });
});

describe('cutover: straight-through applies', () => {
  it('instance → gateway: one apply, result applied, no EC2', async () => {
    const lines = [
      version(0),
      ...[0, 1].flatMap((i) => [
        hook('apply_start', `${M}.aws_eip_association.nat[${i}]`, 'delete', 1),
        hook('apply_complete', `${M}.aws_eip_association.nat[${i}]`, 'delete', 3, { elapsed_seconds: 2 }),
      ]),
      ...[0, 1].flatMap((i) => [
        hook('apply_start', `${M}.aws_nat_gateway.nat[${i}]`, 'create', 3),
        hook('apply_complete', `${M}.aws_nat_gateway.nat[${i}]`, 'create', 95 + i, { elapsed_seconds: 92 + i }),
      ]),
      ...[0, 1].flatMap((i) => [
        hook('apply_start', `${M}.aws_route.private[${i}]`, 'update', 96),
        hook('apply_complete', `${M}.aws_route.private[${i}]`, 'update', 97, { elapsed_seconds: 1 }),
      ]),
      changeSummary(2, 2, 6, 120),
    ];
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.instanceToGateway(2)) },
      apply: [{ lines, exit: 0 }],
    });
    const h = deps(ws.dir);
    const ec2 = simulateEc2(h.ec2, { deletingPolls: 0 });
    const r = await runCutover(options(ws.dir, { amiCheck: 'auto' }), h.deps);
    expect(r.result).toBe('applied');
    expect(r.applies).toBe(1);
    expect(r.modeSwitch).toBe('instance-to-gateway');
    expect(r.egressGapSeconds).toBe(96); // association delete at 1 s → last route update at 97 s
    expect(
      ec2.calls() +
        ec2.mock.commandCalls((await import('../../../packages/shared/src/cutover/clients')).DescribeImagesCommand)
          .length,
    ).toBe(0);
  });

  it('an ordinary apply: one apply, no egress gap', async () => {
    const ws = workspace({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const h = deps(ws.dir);
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('applied');
    expect(r.applies).toBe(1);
    expect(r.egressGapSeconds).toBeUndefined();
    expect(r.retriedBecause).toBe('');
  });

  it('a plan without changes: unchanged, nothing applied', async () => {
    const ws = workspace({ plans: { reviewed: planJson([], { applyable: false }) } });
    const h = deps(ws.dir);
    const r = await runCutover(options(ws.dir), h.deps);
    expect(r.result).toBe('unchanged');
    expect(r.applies).toBe(0);
    expect(kinds(ws.calls())).toEqual(['show']);
  });
});

describe('cutover: cancellation', () => {
  async function until(predicate: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(predicate()).toBe(true);
  }
  const hanging = (dir: string) =>
    existsSync(join(dir, 'calls.jsonl')) &&
    readFileSync(join(dir, 'calls.jsonl'), 'utf8').includes('"event":"hanging"');

  it('abort during apply → terraform gets one SIGINT, the cutover waits for it to exit and fails', async () => {
    const ws = workspace({
      plans: { reviewed: reviewedSwitch },
      apply: [{ lines: [version(0), hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'delete', 1)], hang: true }],
    });
    const controller = new AbortController();
    const h = deps(ws.dir, { signal: controller.signal, clock: new VirtualClock() });
    simulateEc2(h.ec2, { deletingPolls: 0 });
    const running = runCutover(options(ws.dir), h.deps);
    await until(() => hanging(ws.dir));
    controller.abort();
    const r = await running;
    expect(r.result).toBe('cancelled');
    expect(r.failure).toContain('cancelled: terraform apply 1 was interrupted');
    const apply = ws.calls().find((c) => c.argv[0] === 'apply')!;
    expect(apply.signals).toEqual(['SIGINT']);
    expect(apply).toMatchObject({ exit: 1, ended: 'after SIGINT' });
    expect(h.text()).toContain('Interrupt received. Please wait for Terraform to exit');
  });

  it('terraform ignoring SIGINT past the grace period is escalated to SIGTERM', async () => {
    const ws = workspace({
      plans: { reviewed: reviewedSwitch },
      apply: [{ lines: [version(0)], hang: true, ignoreSigint: true }],
    });
    const controller = new AbortController();
    const h = deps(ws.dir, { signal: controller.signal, graceMs: 300 });
    simulateEc2(h.ec2, { deletingPolls: 0 });
    const running = runCutover(options(ws.dir), h.deps);
    await until(() => hanging(ws.dir));
    controller.abort();
    const r = await running;
    expect(r.result).toBe('cancelled');
    const apply = ws.calls().find((c) => c.argv[0] === 'apply')!;
    expect(apply.signals).toEqual(['SIGINT', 'SIGTERM']);
    expect(h.text()).toContain('terraform had to be stopped with SIGTERM');
  });
});
