/** plan-guard's `--local` command line (no GitHub, no AWS): its help, its arguments and its result line. */
import { InputError } from '../inputs/index';
import type { GuardResult } from './guard';

export const LOCAL_HELP = `plan-guard --local: print the NAT egress report for a plan, without GitHub or AWS.

usage: node dist/index.js --local <plan.json> [options]

  <plan.json>                the output of \`terraform show -json <planfile>\`
  --environment NAME         environment name shown in the report
  --fail-on LEVEL            none|low|medium|high|critical (default critical): exit 1 at or above it
  --nat-address-patterns P   role=glob lines (as the action input)
  --strategy S               auto|bridge|in-place (default auto): the strategy cutover will run with
  --ami-name-pattern GLOB    name of a tested NAT AMI (default cabal-nat-al2023-*)
  --required-tags TAGS       Key=Value tags a tested NAT AMI carries (default Role=cabal-nat)
  --help                     this text

Options take their value as --name VALUE or --name=VALUE.
`;

const LOCAL_OPTIONS = [
  'environment',
  'fail-on',
  'nat-address-patterns',
  'strategy',
  'ami-name-pattern',
  'required-tags',
] as const;

export interface LocalArgs {
  help: boolean;
  plan?: string;
  /** Option name (without dashes) → value. */
  opts: Record<string, string>;
}

/** One `-x`/`--name[=value]` option at args[i]: its name, value and how many arguments it took. */
function option(args: string[], i: number): { name: string; value: string; used: number } {
  const a = args[i] as string;
  const eq = a.indexOf('=');
  const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
  if (!(LOCAL_OPTIONS as readonly string[]).includes(name))
    throw new InputError(
      `unknown option ${eq >= 0 ? a.slice(0, eq) : a} ` +
        `(options: ${LOCAL_OPTIONS.map((o) => `--${o}`).join(', ')}, --help)`,
    );
  if (eq >= 0) return { name, value: a.slice(eq + 1), used: 1 };
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--'))
    throw new InputError(`--${name} needs a value (--${name} VALUE or --${name}=VALUE)`);
  return { name, value, used: 2 };
}

/** Parses `--local` arguments; throws InputError (one line) on an unknown or incomplete flag or a wrong plan count. */
export function parseLocalArgs(args: string[]): LocalArgs {
  const opts: Record<string, string> = {};
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') help = true;
    else if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    } else if (a.startsWith('-') && a !== '-') {
      const { name, value, used } = option(args, i);
      opts[name] = value;
      i += used - 1;
    } else rest.push(a);
  }
  if (help) return { help, opts };
  if (rest.length !== 1)
    throw new InputError(
      `${rest.length === 0 ? 'no plan file given' : `one plan file expected, got ${rest.length}`}; ` +
        'usage: node dist/index.js --local <plan.json> [--environment NAME] ' +
        '[--fail-on none|low|medium|high|critical] (--help for more)',
    );
  return { help, plan: rest[0] as string, opts };
}

/** The line `--local` prints to stderr after the report. */
export function localResultLine(result: GuardResult): string {
  return (
    `risk=${result.risk} mode-switch=${result.modeSwitch} expected-applies=${result.expectedApplies} ` +
    `affected=${JSON.stringify(result.affected)} plan-sha=${result.planSha}`
  );
}
