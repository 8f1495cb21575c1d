/**
 * The apply and converge phases on their own (cutover/phase-apply.ts, phase-converge.ts), driven by a scripted
 * terraform driver (no process; EC2 only for the preflight): how each way an apply or a re-plan can end is recorded and advised.
 * The whole flow through the fake terraform is in actions/cutover/test.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeAddressesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { VirtualClock } from '@nat-egress/shared/runtime';
import type { CutoverOptions } from '@nat-egress/shared/cutover';
import type { RunResult, TerraformDriver } from '@nat-egress/shared/terraform';
import { importAdvice } from '../../src/cutover/advice';
import { applyPhase } from '../../src/cutover/phase-apply';
import { convergePhase } from '../../src/cutover/phase-converge';
import { preflight, type Reviewed } from '../../src/cutover/preflight';
import { CutoverRun } from '../../src/cutover/run';
import type { WatchTask } from '../../src/cutover/watch';
import { cabal, change, planJson, scenarios } from '../support/plans';

const M = 'module.vpc';
const T0 = Date.UTC(2026, 0, 1, 12);
const diagnostic = (summary: string, address?: string) => ({
  type: 'diagnostic',
  '@level': 'error',
  diagnostic: { severity: 'error', summary, detail: '', ...(address ? { address } : {}) },
});

/**
 * A driver whose `show` prints the reviewed plan (tfplan) or the re-plan, and whose runs print the next scripted
 * lines and exit.
 */
function scripted(plans: Record<string, unknown>, runs: Array<{ lines: unknown[]; exit: number; out?: string }>) {
  const argv: string[][] = [];
  const terraform: TerraformDriver = {
    show: async (planfile, outFile) => {
      writeFileSync(outFile, JSON.stringify(basename(planfile) === 'tfplan' ? plans.tfplan : plans.replan));
    },
    run: async (args, onLine): Promise<RunResult> => {
      argv.push(args);
      const step = runs.shift() ?? { lines: [], exit: 0 };
      const out = args.find((a) => a.startsWith('-out='));
      if (out) writeFileSync(out.slice(5), 'plan');
      for (const l of step.lines) onLine(typeof l === 'string' ? l : JSON.stringify(l), 'stdout');
      return { exitCode: step.exit, signal: null, interrupted: false, escalated: [] };
    },
  };
  return { terraform, argv };
}

async function setup(
  plans: Record<string, unknown>,
  runs: Array<{ lines: unknown[]; exit: number }>,
  extra: Partial<CutoverOptions> = {},
): Promise<{ run: CutoverRun; reviewed: Reviewed; lines: string[]; argv: string[][]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-phase-'));
  writeFileSync(join(dir, 'tfplan'), 'plan');
  const { terraform, argv } = scripted(plans, runs);
  const lines: string[] = [];
  // EC2 answers the preflight's one DescribeAddresses (region and credentials) and nothing else
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  mockClient(ec2)
    .on(DescribeAddressesCommand)
    .callsFake((input: { AllocationIds?: string[] }) => ({
      Addresses: (input.AllocationIds ?? []).map((AllocationId) => ({ AllocationId })),
    }));
  const run = new CutoverRun(
    {
      workingDirectory: dir,
      planfile: 'tfplan',
      applyArgs: ['-var-file=prod.tfvars'],
      maxApplies: 3,
      releaseTimeoutMs: 600_000,
      amiCheck: 'off',
      ami: { namePattern: 'cabal-nat-*', requiredTags: [] },
      restore: 'reapply',
      ...extra,
    },
    {
      terraform,
      ec2: () => ec2,
      clock: new VirtualClock(T0),
      out: {
        line: (l) => lines.push(l.text),
        startGroup: () => undefined,
        endGroup: () => undefined,
        secret: () => undefined,
      },
      tempDir: dir,
    },
  );
  const reviewed = (await preflight(run, join(dir, 'tfplan'))) as Reviewed;
  return { run, reviewed, lines, argv, dir };
}

/** A plan with no NAT race: one instance replaced (nothing moves between gateways and instances). */
const simple = planJson([cabal.instance(0, ['delete', 'create'])]);

describe('phase apply', () => {
  it('an apply that succeeds ends the run: applied, one apply step', async () => {
    const s = await setup({ tfplan: simple }, [{ lines: [], exit: 0 }], { amiCheck: 'off' });
    expect(await applyPhase(s.run, s.reviewed, join(s.dir, 'tfplan'))).toEqual({ done: true });
    expect(s.run.result.result).toBe('applied');
    expect(s.argv[0]).toEqual(['apply', '-json', '-input=false', join(s.dir, 'tfplan')]);
    expect(s.run.steps.map((st) => `${st.step}:${st.outcome}`)).toEqual(['check:ok', 'apply:ok']);
  });

  it('another error: failed, not retried, the errors kept for the summary', async () => {
    const s = await setup({ tfplan: simple }, [
      {
        lines: [diagnostic('creating EC2 Instance: InsufficientInstanceCapacity', `${M}.aws_instance.nat[0]`)],
        exit: 1,
      },
    ]);
    expect(await applyPhase(s.run, s.reviewed, join(s.dir, 'tfplan'))).toEqual({ done: true });
    expect(s.run.result.result).toBe('failed');
    expect(s.run.result.failure).toBe(
      'terraform apply 1 failed: 1 error(s) are not the Elastic IP association race (first: ' +
        `${M}.aws_instance.nat[0]: creating EC2 Instance: InsufficientInstanceCapacity); not retried (only the ` +
        'Elastic IP association race is)',
    );
    expect(s.run.result.errors).toHaveLength(1);
    expect(s.run.result.nextSteps[0]).toBe(
      'Fix the cause shown in the errors above, then plan again, review, and apply.',
    );
  });

  it('an exit without an error diagnostic: a possible crash, with the first lines of its output', async () => {
    const s = await setup({ tfplan: simple }, [
      { lines: ['panic: runtime error', '', 'goroutine 1 [running]:'], exit: 2 },
    ]);
    await applyPhase(s.run, s.reviewed, join(s.dir, 'tfplan'));
    expect(s.run.result.failure).toBe(
      'terraform apply 1 exited (exit code 2) without reporting an error diagnostic: it may have crashed; its ' +
        'output: panic: runtime error | goroutine 1 [running]:',
    );
  });

  it("the race's pattern with no apply left: failed, with the max-applies that would do", async () => {
    const race =
      'creating EC2 EIP Association: AuthFailure: You do not have permission to access the specified resource.';
    const s = await setup(
      { tfplan: simple },
      [{ lines: [diagnostic(race, `${M}.aws_eip_association.nat[0]`)], exit: 1 }],
      {
        maxApplies: 1,
      },
    );
    expect(await applyPhase(s.run, s.reviewed, join(s.dir, 'tfplan'))).toEqual({ done: true });
    expect(s.run.result.failure).toBe(
      "terraform apply 1 failed with the Elastic IP race's pattern (AuthFailure associating Elastic IP(s) at " +
        `${M}.aws_eip_association.nat[0]) and max-applies 1 allows no other apply`,
    );
    expect(s.run.result.nextSteps[0]).toMatch(/re-run the job \(plan, review, apply\) with max-applies 2 or more\.$/);
    expect(s.run.steps.at(-1)).toMatchObject({ step: 'apply', outcome: 'race pattern' });
  });
});

describe('phase converge', () => {
  const reviewedSwitch = planJson(scenarios.gatewayToInstance(2));

  it('a re-plan with nothing left: converged, the re-plan file removed', async () => {
    const s = await setup({ tfplan: reviewedSwitch, replan: planJson([]) }, [{ lines: [], exit: 0 }]);
    expect(await convergePhase(s.run, s.reviewed, [], 1)).toBeUndefined();
    expect(s.run.result.result).toBe('converged');
    const out = s.argv[0]!.find((a) => a.startsWith('-out='))!.slice(5);
    expect(s.argv[0]).toEqual(['plan', '-json', '-input=false', `-out=${out}`, '-var-file=prod.tfvars']);
    expect(existsSync(out)).toBe(false);
    expect(s.lines).toContain('The re-plan has no changes left: the reviewed plan is fully applied.');
  });

  it('a re-plan that finishes the reviewed plan is the next apply', async () => {
    const replan = planJson([cabal.association(0, ['create']), cabal.association(1, ['create'])]);
    const s = await setup({ tfplan: reviewedSwitch, replan }, [{ lines: [], exit: 0 }]);
    const next = await convergePhase(s.run, s.reviewed, [], 1);
    expect(next).toMatch(/cutover-replan-\d+-2\.tfplan$/);
    expect(s.lines).toContain(
      `The re-plan finishes the reviewed plan: create ${M}.aws_eip_association.nat[0], ` +
        `create ${M}.aws_eip_association.nat[1]`,
    );
    expect(s.run.steps.at(-1)).toMatchObject({ step: 'plan', n: 2, outcome: 'ok' });
  });

  it('a change nobody reviewed stops the run; so does a change left where cutover imported', async () => {
    const other = change(`${M}.aws_instance.bastion`, ['create'], null, { ami: 'ami-1' });
    const s = await setup({ tfplan: reviewedSwitch, replan: planJson([other]) }, [{ lines: [], exit: 0 }]);
    expect(await convergePhase(s.run, s.reviewed, [], 1)).toBeUndefined();
    expect(s.run.result.unexpected).toEqual([`create ${M}.aws_instance.bastion: not in the reviewed plan`]);
    expect(s.run.result.failure).toMatch(/^the re-plan contains 1 change\(s\) that were not in the reviewed plan/);

    const left = planJson([cabal.association(0, ['update'])]);
    const t = await setup({ tfplan: reviewedSwitch, replan: left }, [{ lines: [], exit: 0 }]);
    expect(await convergePhase(t.run, t.reviewed, [`${M}.aws_eip_association.nat[0]`], 1)).toBeUndefined();
    expect(t.run.steps.at(-1)).toMatchObject({ step: 'plan', outcome: 'mismatch after import' });
    expect(t.run.result.failure).toContain('the association does not match the configuration');
  });

  it('a re-plan that fails names its first error', async () => {
    const s = await setup({ tfplan: reviewedSwitch }, [
      { lines: [diagnostic('Invalid provider configuration')], exit: 1 },
    ]);
    expect(await convergePhase(s.run, s.reviewed, [], 1)).toBeUndefined();
    expect(s.run.result.failure).toBe(
      'the re-plan after the race failed (exit code 1): Invalid provider configuration',
    );
  });
});

describe('import advice', () => {
  it('names each association cutover made that terraform does not know yet', () => {
    const task = (resourceType: string, associationId?: string) =>
      ({
        error: { address: `${M}.x`, resourceType },
        associate: { outcome: 'associated', allocationId: 'eipalloc-1', targetId: 'i-1', associationId },
      }) as unknown as WatchTask;
    expect(importAdvice([task('aws_eip_association', 'eipassoc-1'), task('aws_eip', 'eipassoc-2'), task('x')])).toEqual(
      [
        'cutover associated eipalloc-1 with i-1 (eipassoc-1); bring it into state before planning: terraform import ' +
          `${M}.x eipassoc-1`,
      ],
    );
  });
});
