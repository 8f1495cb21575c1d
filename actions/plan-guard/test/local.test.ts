/** plan-guard --local: flags as --name VALUE and --name=VALUE, unknown flags refused in one line, --help. */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { REPO_ROOT, runAction } from '../../../packages/shared/test/support/action-runner';

const PLAN = join(REPO_ROOT, 'examples', 'plans', 'gateway-to-instance.json');
const local = (...args: string[]) => runAction('plan-guard', {}, { args: ['--local', ...args] });

describe('plan-guard --local flags', () => {
  it.each([
    [['--fail-on=high', PLAN]],
    [['--fail-on', 'high', PLAN]],
    [[PLAN, '--fail-on', 'HIGH']],
    [[PLAN, '--fail-on=high', '--environment=prod']],
  ])('case %#: fail-on high applies (risk high → exit 1)', async (args) => {
    const run = await local(...args);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('### 🛑 NAT egress risk: HIGH');
    expect(run.stderr).toContain('risk=high');
  });

  it('without --fail-on the default (critical) lets a high plan pass; --environment=NAME names it', async () => {
    const run = await local(PLAN, '--environment=prod');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('NAT egress risk: HIGH — prod');
  });

  it.each([
    [
      ['--fail-onn=high', PLAN],
      'plan-guard: unknown option --fail-onn (options: --environment, --fail-on, --nat-address-patterns, --strategy, --ami-name-pattern, --required-tags, --help)',
    ],
    [
      ['--verbose', PLAN],
      'plan-guard: unknown option --verbose (options: --environment, --fail-on, --nat-address-patterns, --strategy, --ami-name-pattern, --required-tags, --help)',
    ],
    [[PLAN, '--fail-on'], 'plan-guard: --fail-on needs a value (--fail-on VALUE or --fail-on=VALUE)'],
    [['--fail-on=hihg', PLAN], 'plan-guard: fail-on: "hihg" is not one of none, low, medium, high, critical'],
    [[], 'plan-guard: no plan file given; usage: node dist/index.js --local <plan.json>'],
    [[PLAN, PLAN], 'plan-guard: one plan file expected, got 2; usage:'],
  ])('case %#: refused in one line', async (args, message) => {
    const run = await local(...args);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(message)).toBe(true);
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    for (const args of [['--help'], ['-h'], [PLAN, '--help']]) {
      const run = await local(...args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('usage: node dist/index.js --local <plan.json> [options]');
      expect(run.stdout).toContain('--fail-on LEVEL');
      expect(run.stdout).toContain('--name VALUE or --name=VALUE');
    }
  });

  it('--help without --local: one line pointing to --local --help (no workflow commands, no input error)', async () => {
    for (const args of [['--help'], ['-h']]) {
      // As a person runs it: no runner files (GITHUB_OUTPUT unset would make outputs ::set-output lines).
      const run = await runAction('plan-guard', {}, { args, env: { GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' } });
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(
        'plan-guard: on a runner this action reads its inputs from the workflow and takes no flags; to review a ' +
          'plan here, see: node dist/index.js --local --help\n',
      );
      expect(run.stderr).toBe('');
    }
  });
});
