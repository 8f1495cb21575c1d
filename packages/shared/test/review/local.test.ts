import { describe, expect, it } from '@jest/globals';
import { InputError } from '@nat-egress/shared/inputs';
import { LOCAL_HELP, localResultLine, parseLocalArgs, type GuardResult } from '@nat-egress/shared/review';

describe("review/local.ts: plan-guard's --local command line", () => {
  it('takes options as --name VALUE or --name=VALUE, anywhere, and one plan file', () => {
    expect(parseLocalArgs(['--fail-on', 'high', 'p.json', '--environment=prod'])).toEqual({
      help: false,
      plan: 'p.json',
      opts: { 'fail-on': 'high', environment: 'prod' },
    });
    expect(parseLocalArgs(['--', '--odd.json']).plan).toBe('--odd.json');
    expect(parseLocalArgs(['-']).plan).toBe('-');
  });

  it('--help or -h wins over everything else', () => {
    expect(parseLocalArgs(['a.json', 'b.json', '-h'])).toEqual({ help: true, opts: {} });
    expect(LOCAL_HELP).toContain('usage: node dist/index.js --local <plan.json> [options]');
  });

  it.each([
    [
      ['--verbose', 'p.json'],
      'unknown option --verbose (options: --environment, --fail-on, --nat-address-patterns, --strategy, --ami-name-pattern, --required-tags, --help)',
    ],
    [
      ['--fail-onn=high'],
      'unknown option --fail-onn (options: --environment, --fail-on, --nat-address-patterns, --strategy, --ami-name-pattern, --required-tags, --help)',
    ],
    [['p.json', '--fail-on'], '--fail-on needs a value (--fail-on VALUE or --fail-on=VALUE)'],
    [
      ['--environment', '--fail-on=low', 'p.json'],
      '--environment needs a value (--environment VALUE or --environment=VALUE)',
    ],
    [
      [],
      'no plan file given; usage: node dist/index.js --local <plan.json> [--environment NAME] ' +
        '[--fail-on none|low|medium|high|critical] (--help for more)',
    ],
    [['a.json', 'b.json'], 'one plan file expected, got 2; usage:'],
  ])('case %#: refused with one InputError line', (args, message) => {
    let error: unknown;
    try {
      parseLocalArgs(args);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message.startsWith(message)).toBe(true);
    expect((error as Error).message).not.toContain('\n');
  });

  it('the result line names risk, mode switch, applies, affected keys and the digest', () => {
    const result = {
      risk: 'high',
      modeSwitch: 'none',
      expectedApplies: 1,
      affected: ['0'],
      planSha: 'ab',
    } as GuardResult;
    expect(localResultLine(result)).toBe('risk=high mode-switch=none expected-applies=1 affected=["0"] plan-sha=ab');
  });
});
