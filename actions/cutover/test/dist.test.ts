/**
 * End-to-end: the built bundle (dist/index.js) under the Node 24 binary the runner uses, with the fake terraform
 * first on PATH, inputs as INPUT_* variables and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY as files. EC2 is not
 * reachable here, so these scenarios need no AWS: an ordinary apply, a digest mismatch, input validation, and the
 * runner cancelling the job (SIGTERM) in the middle of an apply.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NODE24 as node24,
  runAction,
  type ActionRun,
  type RunOptions,
} from '../../../packages/shared/test/support/action-runner';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { M, hook, ordinaryApply, version } from './support/streams';

const here = dirname(fileURLToPath(import.meta.url));
const fakeDir = join(here, 'fake-terraform');

function setup(scenario: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-e2e-'));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  writeFileSync(join(dir, 'tfplan'), 'FAKEPLAN:reviewed\n');
  writeFileSync(join(dir, 'output'), '');
  writeFileSync(join(dir, 'summary'), '');
  return dir;
}

async function runDist(dir: string, inputs: Record<string, string>, opts: { onStdout?: RunOptions['onStdout'] } = {}) {
  const run = await runAction(
    'cutover',
    { 'working-directory': dir, ...inputs },
    {
      dir,
      env: {
        PATH: `${fakeDir}:${dirname(node24)}:${process.env.PATH ?? ''}`,
        HOME: dir,
        FAKE_TF_DIR: dir,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      onStdout: opts.onStdout,
    },
  );
  return { ...run, output: run.outputs };
}

function calls(
  dir: string,
): Array<{ argv: string[]; signals: string[]; exit?: number; event?: string; ended?: string }> {
  const file = join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function expectOneLineError(run: ActionRun, message: string): void {
  expect(run.code).toBe(1);
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([`::error::${message}`]);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
}

describe('cutover dist/index.js (Node 24, fake terraform on PATH)', () => {
  it('an ordinary apply: one apply, result applied, summary and outputs written', async () => {
    const dir = setup({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const run = await runDist(dir, { planfile: 'tfplan', 'nat-ami-check': 'off' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.output).toMatchObject({
      result: 'applied',
      applies: '1',
      'retried-because': '',
      'egress-gap-seconds': '',
    });
    expect(JSON.parse(run.output.timeline!).steps.map((s: { step: string }) => s.step)).toEqual([
      'recover',
      'check',
      'apply',
    ]);
    expect(run.summary).toContain('## cutover: applied after 1 apply');
    expect(run.stdout).toContain('module.app.aws_ecs_service.tier[0]: modified after 2s [id=tier-0]');
    // the runner masks it from the ::add-mask:: command on; no other line carries it
    expect(run.stdout.split('\n').filter((l) => l.includes('hunter2-very-secret'))).toEqual([
      '::add-mask::hunter2-very-secret',
    ]);
    expect(run.stdout).not.toMatch(/^\{"/m);
    expect(calls(dir).map((c) => c.argv)).toEqual([
      ['show', '-json', '-no-color', join(dir, 'tfplan')],
      ['apply', '-json', '-input=false', join(dir, 'tfplan')],
    ]);
    // The journal beside the (local) state: the apply this run started, done with its exit, and how the run ended.
    const journal = JSON.parse(readFileSync(join(dir, 'terraform.tfstate.nat-egress-journal.json'), 'utf8'));
    expect(journal.runs.at(-1)).toMatchObject({
      run: { workflow: expect.any(String), pid: expect.any(Number) },
      entries: [{ intent: { kind: 'terraform', command: 'apply' }, done: { facts: { exit: 'exit code 0' } } }],
      ended: { outcome: 'applied' },
    });
  });

  it('digest mismatch: refused before applying, result failed', async () => {
    const dir = setup({
      plans: { reviewed: planJson(scenarios.instanceToGateway(2)) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const run = await runDist(dir, { planfile: 'tfplan', 'expected-plan-sha': 'b'.repeat(64), 'nat-ami-check': 'off' });
    expect(run.code).toBe(1);
    expect(run.output).toMatchObject({ result: 'failed', applies: '0' });
    expect(run.stdout).toMatch(
      /^::error::the plan's digest [0-9a-f]{64} differs from expected-plan-sha b{64}: refusing to apply a plan that is not the one reviewed$/m,
    );
    // nothing was applied: no rollback lever, and the summary says so
    expect(run.summary).not.toContain('Rollback lever');
    expect(run.summary).toContain('Nothing was applied');
    expect(calls(dir).map((c) => c.argv[0])).toEqual(['show']);
  });

  it.each([
    [{ 'max-applies': 'zero' }, 'max-applies: "zero" is not a whole number'],
    [{ 'max-applies': '0' }, 'max-applies: 0 is below the minimum 1'],
    [
      { 'release-timeout': 'forever' },
      'release-timeout: "forever" is not a duration (examples: 30s, 15m, 1h30m, 500ms, or seconds as a number)',
    ],
    [{ 'poll-interval': '100ms' }, 'poll-interval: 100ms is shorter than the minimum 1s'],
    [{ 'nat-ami-check': 'sometimes' }, 'nat-ami-check: "sometimes" is not one of auto, off'],
    [{ restore: 'maybe' }, 'restore: "maybe" is not one of associate, reapply'],
    [{ 'required-tags': 'Role' }, 'required-tags: "Role" is not Key=Value'],
    [
      { 'expected-plan-sha': 'abc' },
      'expected-plan-sha: "abc" is not a plan-sha (64 hex characters, plan-guard\'s plan-sha output)',
    ],
    [
      { 'apply-args': '-var-file=a.tfvars\nprod.tfvars' },
      'apply-args: "prod.tfvars" is not a terraform option (one per line, like -var-file=prod.tfvars or -lock-timeout=30m)',
    ],
    [{ 'apply-args': '-out=x' }, 'apply-args: -out is set by cutover itself; remove it'],
    [{ region: 'Virginia' }, 'region: "Virginia" is not an AWS region name (like us-east-1)'],
    [{ planfile: '' }, 'planfile: is required'],
    [{ planfile: 'missing.tfplan' }, 'planfile: missing.tfplan does not exist (in {dir})'],
    [
      { terraform: 'terraform-0.0.0-not-installed' },
      'terraform: "terraform-0.0.0-not-installed" was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, or set the terraform input to its path)',
    ],
  ])('%j → one ::error:: line, exit 1, nothing applied', async (inputs, message) => {
    const dir = setup({
      plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
      apply: [{ lines: ordinaryApply(), exit: 0 }],
    });
    const run = await runDist(dir, { planfile: 'tfplan', ...inputs });
    expectOneLineError(run, message.replace('{dir}', dir));
    expect(calls(dir).filter((c) => c.argv[0] === 'apply')).toEqual([]);
    // every exit writes the outputs and a summary with what to do
    expect(run.output).toMatchObject({ result: 'failed', applies: '0' });
    expect(run.summary).toContain('## cutover: FAILED before applying');
    expect(run.summary).toContain('Nothing was applied; egress is as it was.');
  });

  it('SIGTERM during apply: terraform gets SIGINT, the action exits non-zero only after terraform ended', async () => {
    const interrupted = [
      {
        '@level': 'info',
        '@message': 'Interrupt received. Please wait for Terraform to exit or data loss may occur.',
        '@module': 'terraform.ui',
        type: 'log',
      },
      hook('apply_complete', `${M}.aws_nat_gateway.nat[0]`, 'delete', 40, { elapsed_seconds: 39 }),
      {
        '@level': 'error',
        '@message': 'Error: execution halted',
        '@module': 'terraform.ui',
        diagnostic: { severity: 'error', summary: 'execution halted', detail: '' },
        type: 'diagnostic',
      },
    ];
    const dir = setup({
      plans: { reviewed: planJson([cabal.gateway(0, ['delete']), cabal.route(0, ['delete'], 'gateway', null)]) },
      apply: [
        {
          lines: [version(0), hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'delete', 1)],
          hang: true,
          onSigint: { lines: interrupted, exit: 1 },
        },
      ],
    });
    let sent = false;
    const run = await runDist(
      dir,
      { planfile: 'tfplan', 'nat-ami-check': 'off' },
      {
        onStdout: (text, kill) => {
          if (!sent && text.includes('aws_nat_gateway.nat[0]: destroying...')) {
            sent = true;
            kill('SIGTERM');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(run.code).toBe(1);
    const apply = calls(dir).find((c) => c.argv[0] === 'apply' && c.event === undefined)!;
    expect(apply.signals).toEqual(['SIGINT']);
    expect(apply.ended).toBe('after SIGINT');
    // terraform's last words were read and rendered before the action failed
    expect(run.stdout).toContain('module.vpc.aws_nat_gateway.nat[0]: destroyed after 39s');
    expect(run.stdout.indexOf('destroyed after 39s')).toBeLessThan(run.stdout.indexOf('::error::cancelled'));
    expect(run.stdout).toMatch(/^::warning::Received SIGTERM: interrupting terraform once/m);
    expect(run.output).toMatchObject({ result: 'cancelled', applies: '1' });
    expect(run.summary).toContain('## cutover: CANCELLED after 1 apply');
    expect(run.summary).toContain('### What to do');
  });

  it('SIGTERM while waiting for the Elastic IPs, EC2 never answering, terraform not running: ends at once with outputs and summary', async () => {
    const { startFaultServer } = await import('../../../packages/shared/test/support/fault-server');
    const NS = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
    const server = await startFaultServer('hang', {
      route: (_req, body) =>
        body.includes('Action=DescribeAddresses')
          ? {
              status: 200,
              body: `<DescribeAddressesResponse ${NS}><requestId>r</requestId><addressesSet>${[0, 1].map((i) => `<item><allocationId>eipalloc-0${i}a1b2c3d4e5f6a7b8</allocationId><domain>vpc</domain></item>`).join('')}</addressesSet></DescribeAddressesResponse>`,
            }
          : undefined,
    });
    try {
      const { raceApply } = await import('./support/streams');
      const dir = setup({
        plans: { reviewed: planJson(scenarios.gatewayToInstance(2)) },
        apply: [{ lines: raceApply(2), exit: 1 }],
      });
      let sent = 0;
      const run = await runAction(
        'cutover',
        // in place: this is today's one apply (strategy auto would first read the route tables, which never answer)
        {
          'working-directory': dir,
          planfile: 'tfplan',
          'nat-ami-check': 'off',
          'release-timeout': '10m',
          strategy: 'in-place',
        },
        {
          dir,
          env: {
            PATH: `${fakeDir}:${dirname(node24)}:${process.env.PATH ?? ''}`,
            HOME: dir,
            FAKE_TF_DIR: dir,
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDTEST',
            AWS_SECRET_ACCESS_KEY: 'secret',
            AWS_ENDPOINT_URL_EC2: server.url,
          },
          onStdout: (text, kill) => {
            if (
              !sent &&
              text.includes('confirming with EC2 while terraform finishes') &&
              text.includes('::endgroup::')
            ) {
              sent = Date.now();
              setTimeout(() => kill('SIGTERM'), 300);
            }
          },
        },
      );
      expect(sent).toBeGreaterThan(0);
      expect(Date.now() - sent).toBeLessThan(5_000);
      expect(run.code).toBe(1);
      expect(run.outputs).toMatchObject({ result: 'cancelled', applies: '1' });
      expect(run.summary).toContain('## cutover: CANCELLED after 1 apply');
      expect(run.summary).toContain('Egress is down in the affected AZs');
      expect(run.stdout).toMatch(/^::warning::Received SIGTERM: stopping now/m);
      expect(server.requests.some((q) => q.body.includes('Action=DescribeNatGateways'))).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);
});
