/**
 * nat-egress, end to end: the real bin (packages/cli/bin/nat-egress.mjs) running each action's real dist —
 * plan-guard on a bundled plan, verify-egress against moto (the test AWS stand-in, on a loopback port),
 * build-nat-ami against a local Image Builder/EC2 stand-in, cutover with the fake terraform — plus the pieces
 * an operator sees: flags generated from action.yml, colour only on a terminal, --json, the in-place progress
 * line, and verify-egress's on-call ordering (per-AZ verdict, then why, then the runbook's commands).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { cabal, planJson, scenarios } from '../../shared/test/support/plans';
import { findMotoServer, startMoto, type Moto } from '../../../test/rehearsal/support/moto';
import { M, hook, ordinaryApply, version } from '../../../actions/cutover/test/support/streams';
import { PROGRESS_FD_ENV, PROGRESS_VERSION } from '../../shared/src/runtime/progress';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as flagsModule from '../src/flags.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as runModule from '../src/run.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as renderModule from '../src/render.mjs';
// @ts-expect-error: plain ESM JavaScript without type declarations
import * as mainModule from '../src/main.mjs';

type Obj = Record<string, any>;
const { COMMANDS, readAction, parseArgsOptions, inputEnv, commandHelp } = flagsModule as Obj;
const { statusUpdate, StatusLine, runActionDist } = runModule as Obj;
const { renderEgressReport } = renderModule as Obj;
const { profileRegion } = mainModule as Obj;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const BIN = join(root, 'packages', 'cli', 'bin', 'nat-egress.mjs');
/** TMPDIR of every run: the report files the CLI keeps for the operator are removed with it after the suite. */
const TMP = mkdtempSync(join(tmpdir(), 'cli-suite-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const ANSI = /\x1b\[/;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bin like a person would, without a terminal (pipes), in `cwd`. */
function cli(args: string[], env: Record<string, string> = {}, cwd = root): Promise<Cli> {
  return new Promise((resolve) => {
    const base: Record<string, string | undefined> = { ...process.env };
    for (const k of Object.keys(base))
      if (k.startsWith('GITHUB_') || k.startsWith('INPUT_') || k.startsWith('AWS_') || k === 'RUNNER_TEMP')
        delete base[k];
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...base, AWS_EC2_METADATA_DISABLED: 'true', NODE_NO_WARNINGS: '1', TMPDIR: TMP, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs main() in this process with a pretend terminal on stdout (isTTY), the action's dist as a child. */
async function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number; text: string }> {
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  stderr.resume();
  const base: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(base))
    if (k.startsWith('GITHUB_') || k.startsWith('INPUT_') || k.startsWith('AWS_') || k === 'RUNNER_TEMP')
      delete base[k];
  const code = await mainModule.main(args, {
    stdout,
    stderr,
    env: { ...base, AWS_EC2_METADATA_DISABLED: 'true', NODE_NO_WARNINGS: '1', TMPDIR: TMP, ...env },
    cwd: root,
  });
  return { code, text };
}

describe('flags come from each action.yml', () => {
  test.each(COMMANDS as string[])(
    '%s: one flag per input, help lists them all, INPUT_* as the runner names them',
    (command) => {
      const action = readAction(command);
      const options = parseArgsOptions(action);
      const inputs = Object.keys(action.inputs);
      expect(inputs.length).toBeGreaterThan(3);
      for (const name of inputs) expect(options[name]).toEqual({ type: 'string', multiple: true });
      const help = commandHelp(command, action);
      for (const name of inputs) expect(help).toContain(`--${name}`);
      for (const name of Object.keys(action.outputs)) expect(help).toContain(name);
      const first = inputs[0]!;
      expect(inputEnv(action, { [first]: ['a', 'b'] })).toEqual({ [`INPUT_${first.toUpperCase()}`]: 'a\nb' });
    },
  );
});

test('packaged: `npx nat-egress` (node_modules/.bin) and `pnpm nat-egress` reach the same bin', async () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ 'nat-egress': 'packages/cli/bin/nat-egress.mjs' });
  expect(pkg.scripts['nat-egress']).toBe('node packages/cli/bin/nat-egress.mjs');
  expect(JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).bin).toEqual({
    'nat-egress': 'bin/nat-egress.mjs',
  });
  const linked = spawnSync(join(root, 'node_modules', '.bin', 'nat-egress'), ['--help'], { encoding: 'utf8' });
  expect([linked.status, linked.stdout.split('\n')[0]]).toEqual([
    0,
    "nat-egress <command> [flags]: the NAT egress toolkit's actions from a terminal",
  ]);
});

describe('command line errors: one line, exit 2', () => {
  test.each([
    [['verify-egress', '--vpc', 'x'], "nat-egress verify-egress: Unknown option '--vpc' (see --help)"],
    [
      ['rollback'],
      'nat-egress: unknown command "rollback": expected one of plan-guard, verify-egress, build-nat-ami, cutover (see --help)',
    ],
    [
      ['plan-guard', '--color', 'sometimes'],
      'nat-egress plan-guard: --color: "sometimes" is not auto, always or never (see --help)',
    ],
    [
      ['cutover', '--health-timeout', '-5m'],
      'nat-egress cutover: Option \'--health-timeout\' argument is ambiguous: a value starting with "-" is given as ' +
        '--health-timeout=VALUE (see --help)',
    ],
    [
      ['plan-guard', 'extra'],
      expect.stringMatching(/^nat-egress plan-guard: Unexpected argument 'extra' \(see --help\)$/),
    ],
  ])('%j', async (args, message) => {
    const run = await cli(args);
    expect([run.code, run.stderr.trim(), run.stdout]).toEqual([2, message, '']);
  });

  test("an action input error is the action's one-line error, exit 1", async () => {
    const run = await cli(['verify-egress', '--vpc-id', 'vpc-1', '--region', 'us-east-1']);
    expect(run.code).toBe(1);
    // Said once, last: no view of a run that checked nothing, no `error:` line repeating it.
    expect(run.stdout).toBe(
      'nat-egress verify-egress failed: vpc-id: "vpc-1" is not a VPC id (vpc-0123456789abcdef0)\n',
    );
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/^\s+at /m);
  });

  test('cutover: an input error is said once, in the failure line (no `error:` line, no view repeating it)', async () => {
    const run = await cli(['cutover', '--planfile', 'tfplan', '--health-timeout=-5m', '--region', 'us-east-1']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'nat-egress cutover failed: health-timeout: "-5m" must be a positive duration (allowed: 10s to 1h, default 5m)\n',
    );
    expect(run.stderr).toBe('');
  });
});

describe('plan-guard on a bundled plan', () => {
  const plan = 'examples/plans/gateway-to-instance.json';

  test('human output, no colour without a terminal', async () => {
    const run = await cli(['plan-guard', '--plan-json', plan]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toContain('NAT egress risk: HIGH · mode switch gateway → instance · up to 2 applies per AZ');
    // never posts from a terminal unless --comment says so
    expect(run.stdout).toMatch(/^comment {2}not posted \(--comment auto\|always posts it\)$/m);
  });

  test('--color always colours; NO_COLOR does not override an explicit always', async () => {
    const run = await cli(['plan-guard', '--plan-json', plan, '--color', 'always'], { NO_COLOR: '1' });
    expect(run.stdout).toMatch(ANSI);
  });

  test('--json: the outputs a workflow sees, alone on stdout', async () => {
    const run = await cli(['plan-guard', '--plan-json', plan, '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      risk: 'high',
      'mode-switch': 'gateway-to-instance',
      'expected-applies': '2',
      'comment-url': '',
    });
    expect(out['plan-sha']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(out.findings)[0].kind).toBe('mode-switch');
    expect(run.stderr).toContain('NAT egress risk: high');
  });

  test('fail-on gates the exit status', async () => {
    const run = await cli(['plan-guard', '--plan-json', plan, '--fail-on', 'high', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).risk).toBe('high');
  });
});

describe('progress on a terminal, heartbeats in logs', () => {
  /** A channel message as runtime/progress.ts writes it. */
  const msg = (event: Record<string, unknown>): string => JSON.stringify({ v: 1, at: 0, ...event });
  const stage = (wait: string, text: string, since: number, heartbeat = false): string =>
    msg({ type: 'stage', wait, stage: text, since, elapsedMs: 0, heartbeat });

  test('statusUpdate knows the three long waits, from their progress events (no log sentence is read)', () => {
    expect(statusUpdate(stage('build', 'image BUILDING', 1000, true))).toEqual({
      kind: 'stage',
      key: 'build@1000',
      stage: 'image BUILDING',
      heartbeat: true,
    });
    expect(statusUpdate(stage('build', 'image TESTING', 2000))).toEqual({
      kind: 'stage',
      key: 'build@2000',
      stage: 'image TESTING',
      heartbeat: false,
    });
    const check2 = 'waiting for egress: check 2 not healthy (1 error(s), 0 warning(s))';
    expect(statusUpdate(stage('egress', check2, 0))).toEqual({
      kind: 'stage',
      key: 'egress@0',
      stage: check2,
      heartbeat: false,
    });
    // The re-check pause: the same stage (its time goes on), a heartbeat.
    expect(statusUpdate(stage('egress', check2, 0, true))).toMatchObject({ key: 'egress@0', heartbeat: true });
    const release =
      'module.vpc.aws_eip_association.nat[0]: waiting for NAT gateway(s) to finish deleting: nat-1 deleting';
    expect(statusUpdate(stage('release', release, 5))).toMatchObject({ key: 'release@5', stage: release });
    expect(statusUpdate(msg({ type: 'az', wait: 'egress', az: 'us-east-1b', egress: 'down', reason: 'x' }))).toEqual({
      kind: 'az',
      az: 'us-east-1b',
      egress: 'down',
    });
    for (const outcome of ['AVAILABLE', 'healthy', 'released']) {
      expect(statusUpdate(msg({ type: 'end', wait: 'build', outcome, elapsedMs: 1 }))).toEqual({ kind: 'end' });
    }
    // Not the channel's: a log line, another version, a type this CLI does not know.
    expect(statusUpdate('Plan digest (plan-sha): abc')).toBeUndefined();
    expect(statusUpdate('[+5m] still BUILDING (12 checks)')).toBeUndefined();
    expect(statusUpdate(JSON.stringify({ v: 2, type: 'stage', stage: 'x', since: 0 }))).toBeUndefined();
    expect(statusUpdate(msg({ type: 'gauge' }))).toBeUndefined();
  });

  test('the CLI and the actions name the same channel and version', () => {
    expect([runModule.PROGRESS_FD_ENV, runModule.PROGRESS_VERSION]).toEqual([PROGRESS_FD_ENV, PROGRESS_VERSION]);
  });

  test('an event sequence draws the status line: stage, elapsed, AZ states; the end clears it', () => {
    const t0 = 1_000_000;
    let now = t0;
    const out = capture(true);
    const status = new StatusLine(out.stream, true, () => now);
    const check1 = 'waiting for egress: check 1 not healthy (1 error(s), 0 warning(s))';
    for (const line of [
      stage('egress', check1, 0),
      msg({ type: 'az', wait: 'egress', az: 'us-east-1a', egress: 'up', reason: 'no failing check' }),
      msg({ type: 'az', wait: 'egress', az: 'us-east-1b', egress: 'down', reason: 'routes: …' }),
    ])
      status.update(statusUpdate(line));
    now = t0 + 65_000;
    status.update(statusUpdate(stage('egress', check1, 0, true)));
    expect(status.text()).toBe(`⏳ ${check1} · 1m 5s · us-east-1a up, us-east-1b down`);
    status.update(statusUpdate(msg({ type: 'end', wait: 'egress', outcome: 'healthy', elapsedMs: 65_000 })));
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
    expect(status.azs.size).toBe(0);
    // A new wait: its own stage, its time from zero, the whole run's time beside it.
    now = t0 + 70_000;
    status.update(statusUpdate(stage('build', 'image BUILDING', 70_000)));
    now = t0 + 80_000;
    expect(status.text()).toBe('⏳ image BUILDING · 10s (1m 20s in all)');
    status.stop();
  });

  test("the cutover's release wait: one stage whose text changes, its time counting on; the release clears it", () => {
    const t0 = 2_000_000;
    let now = t0;
    const out = capture(true);
    const status = new StatusLine(out.stream, true, () => now);
    const [a0, a1] = [0, 1].map((i) => `module.vpc.aws_eip_association.nat[${i}]: `);
    // The events cutover/watch.ts sends through runtime releaseProgress: every wait's stage timed from the first.
    status.update(
      statusUpdate(stage('release', `${a0}waiting for NAT gateway(s) to finish deleting: nat-0 deleting`, t0)),
    );
    expect(status.text()).toBe(`⏳ ${a0}waiting for NAT gateway(s) to finish deleting: nat-0 deleting · 0s`);
    now = t0 + 20_000;
    status.update(
      statusUpdate(stage('release', `${a1}waiting for NAT gateway(s) to finish deleting: nat-1 deleting`, t0)),
    );
    expect(status.text()).toBe(`⏳ ${a1}waiting for NAT gateway(s) to finish deleting: nat-1 deleting · 20s`);
    now = t0 + 41_000;
    const lingering = `${a0}NAT gateway(s) deleted; Elastic IP(s) still associated: eipalloc-0`;
    status.update(statusUpdate(stage('release', lingering, t0)));
    expect(status.text()).toBe(`⏳ ${lingering} · 41s`);
    expect(out.text()).toContain(`\r\x1b[2K⏳ ${a0}NAT gateway(s) deleted;`); // drawn in place (cut at 80 columns)
    status.update(statusUpdate(msg({ type: 'end', wait: 'release', outcome: 'released', elapsedMs: 41_000 })));
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
    expect(status.stage).toBe('');
    status.stop();
  });

  /**
   * A dist that waits like build-nat-ami: log lines on stdout, and, when the CLI opened the channel, the progress
   * events on it (the heartbeat then on the channel alone, as runtime/progress.ts does). `words` rewords the lines.
   */
  const fakeDist = (dir: string, words = { state: '', still: 'still' }): string => {
    const file = join(dir, 'index.js');
    writeFileSync(
      file,
      [
        "const fs = require('fs');",
        `const fd = Number(process.env.${PROGRESS_FD_ENV} || 0);`,
        "const send = (e) => fd && fs.writeSync(fd, JSON.stringify({ v: 1, at: Date.now(), ...e }) + '\\n');",
        "const stage = { type: 'stage', wait: 'build', stage: 'image BUILDING', since: Date.now(), elapsedMs: 0 };",
        'const pause = () => new Promise((r) => setTimeout(r, 150));',
        '(async () => {',
        `  console.log('[+0s] ${words.state}BUILDING'); send({ ...stage, heartbeat: false }); await pause();`,
        `  if (!fd) console.log('[+1m] ${words.still} BUILDING (3 checks)');`,
        '  send({ ...stage, heartbeat: true }); await pause();',
        "  console.log('::warning::slow build'); await pause();",
        `  console.log('[+2m] ${words.state}AVAILABLE');`,
        "  send({ type: 'end', wait: 'build', outcome: 'AVAILABLE', elapsedMs: 120000 });",
        "  fs.appendFileSync(process.env.GITHUB_OUTPUT, 'ami-id=ami-1\\n');",
        '})();',
      ].join('\n'),
    );
    return file;
  };
  const capture = (isTTY: boolean) => {
    const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    return { stream, text: () => text };
  };
  const runFake = async (isTTY: boolean, words?: { state: string; still: string }) => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-progress-'));
    try {
      const log = capture(isTTY);
      const run = await runActionDist({
        main: fakeDist(dir, words),
        env: { ...process.env, TMPDIR: dir },
        cwd: dir,
        log: log.stream,
        color: false,
        progress: isTTY,
        verbose: false,
      });
      return { run, text: log.text() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test.each([true, false])('isTTY=%s', async (isTTY) => {
    const { run, text } = await runFake(isTTY);
    expect(run.outputs).toEqual({ 'ami-id': 'ami-1' });
    expect(text).toContain('warning: slow build');
    if (isTTY) {
      expect(text).toContain('\r\x1b[2K⏳ image BUILDING · 0s');
      expect(text).not.toContain('still BUILDING'); // the heartbeat is the status line now
      expect(text).toContain('\r\x1b[2K[+2m] AVAILABLE\n'); // the wait is over: status cleared, the line printed
      expect(text).not.toContain('⏳ image AVAILABLE');
    } else {
      expect(text).toBe('[+0s] BUILDING\n[+1m] still BUILDING (3 checks)\nwarning: slow build\n[+2m] AVAILABLE\n');
    }
  });

  test('a reworded log line changes nothing in the status line', async () => {
    const frames = (text: string): string[] => text.match(/⏳ [^\r\n]*/g) ?? [];
    const plain = await runFake(true);
    const reworded = await runFake(true, { state: 'the image is now ', still: 'the image is still' });
    expect(reworded.text).toContain('[+0s] the image is now BUILDING\n');
    expect(frames(plain.text).length).toBeGreaterThan(0);
    expect([...new Set(frames(reworded.text))]).toEqual([...new Set(frames(plain.text))]);
    expect(frames(reworded.text)[0]).toBe('⏳ image BUILDING · 0s');
  });
});

describe('verify-egress on-call report', () => {
  const report = {
    version: 1,
    healthy: false,
    vpc: { id: 'vpc-0123456789abcdef0', name: 'cabal-vpc' },
    region: 'us-east-1',
    mode: 'instance',
    expectQuiesced: false,
    egressIps: { 'us-east-1a': '203.0.113.10', 'us-east-1b': '203.0.113.11' },
    azs: [
      {
        az: 'us-east-1b',
        verdict: 'error',
        egress: 'down',
        egressReason: 'probe: curl timed out',
        nats: [{ id: 'i-0bbbbbbbbbbbbbbbb', state: 'running' }],
        probe: { instanceId: 'i-0p', status: 'failed', detail: '' },
      },
      {
        az: 'us-east-1a',
        verdict: 'ok',
        egress: 'up',
        egressReason: 'no failing check',
        nats: [{ id: 'i-0aaaaaaaaaaaaaaaa', state: 'running' }],
        probe: { instanceId: 'i-0q', status: 'ok', observedIp: '203.0.113.10' },
      },
    ],
    findings: [
      { severity: 'warning', check: 'logs', message: '/ecs/cabal-imap silent for 20m' },
      { severity: 'error', check: 'probe', az: 'us-east-1b', message: 'curl timed out' },
    ],
    diagnosis: [
      {
        instanceId: 'i-0bbbbbbbbbbbbbbbb',
        az: 'us-east-1b',
        problems: [{ kind: 'nftables-missing', line: 'nft: command not found' }],
        excerpt: [],
      },
    ],
    advice: {
      natInstances: ['i-0bbbbbbbbbbbbbbbb'],
      mitigation: 'sudo dnf install -y nftables\nsudo nft -f /etc/nftables/cabal-nat.nft',
      rollback: 'Flip to gateway mode.',
    },
  };

  test('per-AZ verdict first, then why (errors before warnings, console diagnosis), then the commands to run', () => {
    const text = renderEgressReport(report, false);
    const at = (s: string): number => text.indexOf(s);
    expect(text.split('\n')[0]).toBe('EGRESS DOWN · vpc-0123456789abcdef0 (cabal-vpc) · us-east-1 · mode instance');
    expect(text).toMatch(/^ {2}us-east-1b {2}DOWN +i-0bbbbbbbbbbbbbbbb running · probe failed$/m);
    expect(text).toMatch(/^ {2}us-east-1a {2}UP +i-0aaaaaaaaaaaaaaaa running · probe ok from 203\.0\.113\.10$/m);
    expect(at('Egress per AZ')).toBeLessThan(at('Why'));
    expect(at('✗ probe (us-east-1b): curl timed out')).toBeLessThan(at('! logs: /ecs/cabal-imap silent for 20m'));
    expect(at('console of i-0bbbbbbbbbbbbbbbb (us-east-1b): nftables-missing: nft: command not found')).toBeGreaterThan(
      at('Why'),
    );
    expect(at('Mitigation')).toBeGreaterThan(at('console of'));
    expect(text).toContain('  aws ssm start-session --target i-0bbbbbbbbbbbbbbbb --region us-east-1\n');
    expect(
      at(
        `  aws ec2 get-console-output --instance-id i-0bbbbbbbbbbbbbbbb --latest --region us-east-1 --query 'Output' --output text | grep -iE "nftables|forward|fail|error"`,
      ),
    ).toBeLessThan(at('aws ssm start-session'));
    expect(text).toContain('  sudo dnf install -y nftables\n  sudo nft -f /etc/nftables/cabal-nat.nft\n');
    expect(text.trim().split('\n').at(-1)).toBe('Rollback lever: Flip to gateway mode.');
    expect(text).not.toMatch(ANSI);
    expect(renderEgressReport(report, true)).toMatch(ANSI);
  });

  test("each AZ's egress is the report's own (azs[].egress): the CLI works out no verdict", () => {
    const row = (az: string, verdict: string, egress: string) => ({ ...report.azs[1]!, az, verdict, egress });
    const text = renderEgressReport(
      {
        ...report,
        azs: [row('us-east-1a', 'ok', 'unproven'), row('us-east-1b', 'warning', 'up'), row('us-east-1c', 'ok', 'down')],
        findings: [],
      },
      false,
    );
    expect(text).toMatch(/^ {2}us-east-1a {2}UNCONFIRMED /m);
    expect(text).toMatch(/^ {2}us-east-1b {2}UP \(warnings\) /m);
    expect(text).toMatch(/^ {2}us-east-1c {2}DOWN /m);
  });
});

test("region: the profile's region from the shared config file", () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-aws-'));
  try {
    writeFileSync(
      join(dir, 'config'),
      '[default]\nregion = eu-west-1\n\n[profile ops]\noutput = json\nregion=us-east-2\n',
    );
    expect(profileRegion({ AWS_CONFIG_FILE: join(dir, 'config') })).toBe('eu-west-1');
    expect(profileRegion({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'ops' })).toBe('us-east-2');
    expect(profileRegion({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'other' })).toBeUndefined();
    expect(profileRegion({ AWS_CONFIG_FILE: join(dir, 'missing') })).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/* ---------------------------------------------------------------- AWS actions against local stand-ins ---- */

const PYTHON = join(root, '.venv', 'bin', 'python');
const MOTO = findMotoServer();
const haveMoto = MOTO !== undefined && existsSync(PYTHON);
if (!haveMoto) console.warn('verify-egress CLI e2e skipped: moto not installed (run scripts/setup.sh)');

const SEED = `
import boto3, json, sys
ec2 = boto3.client('ec2', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='a', aws_secret_access_key='b')
vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16', TagSpecifications=[{'ResourceType': 'vpc', 'Tags': [{'Key': 'Name', 'Value': 'cabal-vpc'}]}])['Vpc']['VpcId']
main = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['RouteTables'][0]['RouteTableId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.create_route(RouteTableId=main, DestinationCidrBlock='0.0.0.0/0', GatewayId=igw)
out = {'vpc': vpc, 'ips': [], 'routes': []}
for i, az in enumerate(['us-east-1a', 'us-east-1b']):
    pub = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{i}.0/24', AvailabilityZone=az)['Subnet']['SubnetId']
    priv = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.0.{10 + i}.0/24', AvailabilityZone=az)['Subnet']['SubnetId']
    eip = ec2.allocate_address(Domain='vpc')
    nat = ec2.create_nat_gateway(SubnetId=pub, AllocationId=eip['AllocationId'])['NatGateway']['NatGatewayId']
    rt = ec2.create_route_table(VpcId=vpc)['RouteTable']['RouteTableId']
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock='0.0.0.0/0', NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=priv)
    out['ips'].append(eip['PublicIp'])
    out['routes'].append(rt)
print(json.dumps(out))
`;

const SEED_INSTANCE = `
import boto3, json, sys
ec2 = boto3.client('ec2', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='a', aws_secret_access_key='b')
vpc = ec2.create_vpc(CidrBlock='10.1.0.0/16', TagSpecifications=[{'ResourceType': 'vpc', 'Tags': [{'Key': 'Name', 'Value': 'cabal-vpc-instance'}]}])['Vpc']['VpcId']
main = ec2.describe_route_tables(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['RouteTables'][0]['RouteTableId']
igw = ec2.create_internet_gateway()['InternetGateway']['InternetGatewayId']
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
ec2.create_route(RouteTableId=main, DestinationCidrBlock='0.0.0.0/0', GatewayId=igw)
ami = ec2.describe_images()['Images'][0]['ImageId']
# the AMI passed the Image Builder test stage (build-nat-ami's gate)
ec2.create_tags(Resources=[ami], Tags=[{'Key': 'Role', 'Value': 'cabal-nat'}])
out = {'vpc': vpc, 'ips': [], 'instances': []}
for i, az in enumerate(['us-east-1a', 'us-east-1b']):
    pub = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.1.{i}.0/24', AvailabilityZone=az)['Subnet']['SubnetId']
    priv = ec2.create_subnet(VpcId=vpc, CidrBlock=f'10.1.{10 + i}.0/24', AvailabilityZone=az)['Subnet']['SubnetId']
    inst = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=pub, InstanceType='t4g.nano',
        TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'Name', 'Value': f'cabal-nat-{az[-1]}'}]}])['Instances'][0]['InstanceId']
    ec2.modify_instance_attribute(InstanceId=inst, SourceDestCheck={'Value': False})
    eip = ec2.allocate_address(Domain='vpc')
    ec2.associate_address(InstanceId=inst, AllocationId=eip['AllocationId'])
    rt = ec2.create_route_table(VpcId=vpc)['RouteTable']['RouteTableId']
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock='0.0.0.0/0', InstanceId=inst)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=priv)
    out['ips'].append(eip['PublicIp']); out['instances'].append(inst)
print(json.dumps(out))
logs = boto3.client('logs', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='a', aws_secret_access_key='b')
# every tier went silent at the same moment, 40 minutes ago: the shared-NAT failure signature
t = int(__import__('time').time() * 1000) - 40 * 60 * 1000
for g in ['/ecs/cabal-imap', '/ecs/cabal-smtp-out']:
    logs.create_log_group(logGroupName=g)
    logs.create_log_stream(logGroupName=g, logStreamName='s')
    logs.put_log_events(logGroupName=g, logStreamName='s', logEvents=[{'timestamp': t, 'message': 'x'}])
`;

(haveMoto ? describe : describe.skip)('verify-egress against moto (loopback)', () => {
  let endpoint = '';
  let moto: Moto | undefined;
  let seeded: { vpc: string; ips: string[]; routes: string[] };
  const awsEnv = (): Record<string, string> => ({
    AWS_ACCESS_KEY_ID: 'a',
    AWS_SECRET_ACCESS_KEY: 'b',
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
  });

  beforeAll(async () => {
    moto = await startMoto(MOTO!);
    endpoint = moto.url;
    const r = spawnSync(PYTHON, ['-c', SEED, endpoint], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    seeded = JSON.parse(r.stdout);
  }, 30_000);

  afterAll(async () => {
    await moto?.stop();
  });

  /** Deletes us-east-1b's private default route (idempotent: the tests may run alone or in any order). */
  const breakRoute = (): void => {
    const del = spawnSync(
      PYTHON,
      [
        '-c',
        "import boto3,sys\nec2=boto3.client('ec2',region_name='us-east-1',endpoint_url=sys.argv[1],aws_access_key_id='a',aws_secret_access_key='b')\n" +
          "rt=ec2.describe_route_tables(RouteTableIds=[sys.argv[2]])['RouteTables'][0]\n" +
          "if any(r.get('DestinationCidrBlock')=='0.0.0.0/0' for r in rt['Routes']): ec2.delete_route(RouteTableId=sys.argv[2],DestinationCidrBlock='0.0.0.0/0')",
        endpoint,
        seeded.routes[1]!,
      ],
      { encoding: 'utf8' },
    );
    expect(del.stderr).toBe('');
  };

  test('healthy: egress up in each AZ on the expected addresses, exit 0', async () => {
    const run = await cli(
      ['verify-egress', '--vpc-name', 'cabal-vpc', '--expected-ips', seeded.ips.join(','), '--probe', 'off'],
      awsEnv(),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`EGRESS UP · ${seeded.vpc} (cabal-vpc) · us-east-1 · mode gateway`);
    expect(run.stdout).toMatch(
      new RegExp(`^ {2}us-east-1a {2}UP .* via ${seeded.ips[0]!.replace(/\./g, '\\.')}$`, 'm'),
    );
    expect(run.stdout).toMatch(
      new RegExp(`^ {2}us-east-1b {2}UP .* via ${seeded.ips[1]!.replace(/\./g, '\\.')}$`, 'm'),
    );
  });

  test('--json and the region from the profile (no --region, no AWS_REGION)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-profile-'));
    try {
      // The profile brings both the credentials and the region, as `aws configure --profile oncall` would.
      writeFileSync(join(dir, 'config'), '[profile oncall]\nregion = us-east-1\n');
      writeFileSync(join(dir, 'credentials'), '[oncall]\naws_access_key_id = a\naws_secret_access_key = b\n');
      const run = await cli(
        ['verify-egress', '--vpc-id', seeded.vpc, '--probe', 'off', '--profile', 'oncall', '--json'],
        {
          AWS_ENDPOINT_URL: endpoint,
          AWS_CONFIG_FILE: join(dir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        },
      );
      expect(run.stderr).toContain('check 1: healthy'); // with --json the log goes to stderr
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.healthy).toBe('true');
      expect(JSON.parse(out['egress-ips'])).toEqual({ 'us-east-1a': seeded.ips[0], 'us-east-1b': seeded.ips[1] });
      expect(JSON.parse(out.report).region).toBe('us-east-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('instance mode, every tier silent: not up, why, then the runbook commands for each NAT instance', async () => {
    const r = spawnSync(PYTHON, ['-c', SEED_INSTANCE, endpoint], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const inst = JSON.parse(r.stdout) as { vpc: string; instances: string[] };
    const run = await cli(
      [
        'verify-egress',
        '--vpc-name',
        'cabal-vpc-instance',
        '--probe',
        'off',
        '--log-groups',
        '/ecs/cabal-imap',
        '--log-groups',
        '/ecs/cabal-smtp-out',
      ],
      awsEnv(),
    );
    expect(run.code).toBe(1);
    // Each thing said once: the finding in "Why" (not also as an `error:` line), the failure line last.
    expect(run.stdout.split('All 2 log groups went silent').length).toBe(2);
    expect(run.stdout.split('egress not healthy in').length).toBe(2);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^nat-egress verify-egress failed: egress not healthy in /);
    const report = run.stdout.slice(run.stdout.indexOf('EGRESS DOWN'));
    expect(report.split('\n')[0]).toBe(`EGRESS DOWN · ${inst.vpc} (cabal-vpc-instance) · us-east-1 · mode instance`);
    expect(report).toMatch(/^ {2}us-east-1a {2}UNCONFIRMED /m);
    const at = (t: string): number => report.indexOf(t);
    expect(at('Egress per AZ')).toBeLessThan(at('Why'));
    expect(at('✗ logs: All 2 log groups went silent at about the same moment')).toBeGreaterThan(at('Why'));
    expect(at('Mitigation')).toBeGreaterThan(at('✗ logs'));
    for (const id of inst.instances)
      expect(report).toContain(`  aws ssm start-session --target ${id} --region us-east-1\n`);
    expect(report).toContain('  sudo nft -f /etc/nftables/cabal-nat.nft\n');
    expect(at('Rollback lever:')).toBeGreaterThan(at('sudo nft -f'));
  });

  test('an AZ without its NAT route: DOWN for that AZ first, then why, exit 1', async () => {
    breakRoute();
    const run = await cli(['verify-egress', '--vpc-id', seeded.vpc, '--probe', 'off'], awsEnv());
    expect(run.code).toBe(1);
    const report = run.stdout.slice(run.stdout.indexOf('EGRESS DOWN'));
    expect(report).toMatch(/^ {2}us-east-1a {2}UP /m);
    expect(report).toMatch(/^ {2}us-east-1b {2}DOWN /m);
    expect(report.indexOf('Egress per AZ')).toBeLessThan(report.indexOf('Why'));
    expect(report).toMatch(new RegExp(`✗ routes \\(us-east-1b\\): .*${seeded.routes[1]}.*no 0\\.0\\.0\\.0/0 route`));
  });

  test('on a terminal, --wait re-checks show as one status line in place, in colour', async () => {
    breakRoute();
    const run = await onTerminal(['verify-egress', '--vpc-id', seeded.vpc, '--probe', 'off', '--wait', '3s'], awsEnv());
    expect(run.code).toBe(1);
    expect(run.text).toContain('\r\x1b[2K⏳ waiting for egress: check 1 not healthy (1 error(s), 1 warning(s)) · ');
    expect(run.text).not.toContain('re-checking in'); // the heartbeat lines of the Actions log
    expect(run.text).toMatch(/⏳ waiting for egress: .* · us-east-1a up, us-east-1b down/); // the per-AZ events
    // (whether check 2 completes inside the 3 s wait depends on the machine's load: not asserted)
    expect(run.text).toMatch(ANSI);
  });
});

describe('build-nat-ami against a local Image Builder and EC2 stand-in', () => {
  const IMAGE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image/cabal-nat-al2023/1.0.0/5';
  const PIPE_ARN = 'arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/cabal-nat-al2023';
  let server: Server;
  let endpoint = '';
  let building = 0; // GetImage answers BUILDING this many times first

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url ?? '';
        let body: unknown;
        if (path === '/ListImagePipelines')
          body = { imagePipelineList: [{ name: 'cabal-nat-al2023', arn: PIPE_ARN, status: 'ENABLED' }] };
        else if (path === '/ListImagePipelineImages') body = { imageSummaryList: [] };
        else if (path === '/StartImagePipelineExecution')
          body = { requestId: 'r', clientToken: 't', imageBuildVersionArn: IMAGE_ARN };
        else if (path.startsWith('/GetImage?')) {
          body = {
            image: {
              arn: IMAGE_ARN,
              name: 'cabal-nat-al2023',
              version: '1.0.0',
              state: { status: building > 0 ? 'BUILDING' : 'AVAILABLE' },
              dateCreated: new Date().toISOString(),
              outputResources: {
                amis: [{ region: 'us-east-1', image: 'ami-0123456789abcdef0', name: 'cabal-nat-al2023-20260101' }],
              },
            },
          };
          building = Math.max(0, building - 1);
        }
        if (body !== undefined) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-1</requestId><imagesSet><item>' +
            '<imageId>ami-0123456789abcdef0</imageId><name>cabal-nat-al2023-20260101</name><imageState>available</imageState>' +
            '<creationDate>2026-01-01T10:00:00.000Z</creationDate><tagSet><item><key>Role</key><value>cabal-nat</value></item>' +
            `<item><key>Ec2ImageBuilderArn</key><value>${IMAGE_ARN}</value></item></tagSet></item></imagesSet></DescribeImagesResponse>`,
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  test('builds, gates on the tagged AMI, prints the summary and the outputs', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      AWS_ENDPOINT_URL_EC2: endpoint,
      AWS_ENDPOINT_URL_IMAGEBUILDER: endpoint,
    };
    const human = await cli(['build-nat-ami', '--region', 'us-east-1'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ {2}ami-id +ami-0123456789abcdef0$/m);
    expect(human.stdout).not.toMatch(ANSI);
    const json = await cli(['build-nat-ami', '--region', 'us-east-1', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      'ami-id': 'ami-0123456789abcdef0',
      'image-arn': IMAGE_ARN,
      reused: 'false',
    });
  });

  test('on a terminal, the build stage and its elapsed time update in place', async () => {
    building = 1;
    const env = {
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      AWS_ENDPOINT_URL_EC2: endpoint,
      AWS_ENDPOINT_URL_IMAGEBUILDER: endpoint,
    };
    const run = await onTerminal(['build-nat-ami', '--region', 'us-east-1'], env);
    expect(run.code).toBe(0);
    expect(run.text).toContain('\r\x1b[2K⏳ image BUILDING · 0s');
    expect(run.text).toMatch(/\r\x1b\[2K⏳ image BUILDING · [1-9]s/); // the elapsed time moved while waiting
    expect(run.text).toMatch(/\[\+\d+s\] AVAILABLE\n/);
  });
});

describe('cutover with the fake terraform', () => {
  test('an ordinary apply of the reviewed plan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cutover-'));
    try {
      writeFileSync(
        join(dir, 'scenario.json'),
        JSON.stringify({
          plans: { reviewed: planJson(scenarios.unrelatedOnly()) },
          apply: [{ lines: ordinaryApply(), exit: 0 }],
        }),
      );
      writeFileSync(join(dir, 'tfplan'), 'FAKEPLAN:reviewed\n');
      const fake = join(root, 'actions', 'cutover', 'test', 'fake-terraform');
      const run = await cli(
        ['cutover', '--planfile', 'tfplan', '--nat-ami-check', 'off', '--region', 'us-east-1', '--json'],
        {
          PATH: `${fake}:${process.env.PATH ?? ''}`,
          FAKE_TF_DIR: dir,
          HOME: dir,
        },
        dir,
      );
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ result: 'applied', applies: '1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Ctrl-C during the apply: terraform is interrupted exactly once and its last words are shown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-cutover-int-'));
    try {
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
      writeFileSync(
        join(dir, 'scenario.json'),
        JSON.stringify({
          plans: { reviewed: planJson([cabal.gateway(0, ['delete']), cabal.route(0, ['delete'], 'gateway', null)]) },
          apply: [
            {
              lines: [version(0), hook('apply_start', `${M}.aws_nat_gateway.nat[0]`, 'delete', 1)],
              hang: true,
              onSigint: { lines: interrupted, exit: 1 },
            },
          ],
        }),
      );
      writeFileSync(join(dir, 'tfplan'), 'FAKEPLAN:reviewed\n');
      const fake = join(root, 'actions', 'cutover', 'test', 'fake-terraform');
      // The CLI leads its own process group, like a shell job in the foreground of a terminal.
      const child = spawn(
        process.execPath,
        [BIN, 'cutover', '--planfile', 'tfplan', '--nat-ami-check', 'off', '--region', 'us-east-1'],
        {
          detached: true,
          cwd: dir,
          env: {
            ...process.env,
            PATH: `${fake}:${process.env.PATH ?? ''}`,
            FAKE_TF_DIR: dir,
            HOME: dir,
            AWS_EC2_METADATA_DISABLED: 'true',
            NODE_NO_WARNINGS: '1',
            TMPDIR: TMP,
          },
        },
      );
      let stdout = '';
      let sent = false;
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (!sent && stdout.includes('aws_nat_gateway.nat[0]: destroying...')) {
          sent = true;
          process.kill(-child.pid!, 'SIGINT'); // what the terminal does on Ctrl-C: SIGINT to the whole foreground group
        }
      });
      const code = await new Promise<number | null>((ok) => child.on('close', ok));
      expect(sent).toBe(true);
      expect(code).toBe(1);
      const apply = readFileSync(join(dir, 'calls.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .find((c) => c.argv[0] === 'apply' && c.event === undefined);
      expect(apply.signals).toEqual(['SIGINT']);
      expect(stdout).toContain('warning: Received SIGINT: interrupting terraform once');
      expect(stdout).not.toContain('Received SIGINT again'); // the action saw one interrupt, not the terminal's and ours
      expect(stdout).toContain('module.vpc.aws_nat_gateway.nat[0]: destroyed after 39s');
      expect(stdout.trim().split('\n').at(-1)).toMatch(/^nat-egress cutover failed: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
