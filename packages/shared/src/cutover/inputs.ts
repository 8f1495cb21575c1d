/**
 * The cutover action's inputs, parsed and validated: each problem is one InputError line naming the input.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  InputError,
  durationInput,
  enumInput,
  intInput,
  linesInput,
  parseDuration,
  regionInput,
  requiredInput,
  stringInput,
  type InputReader,
} from '../inputs/index';
import { amiCriteriaInputs } from '../ami/criteria';
import type { CutoverOptions } from './run';

export interface CutoverInputs extends CutoverOptions {
  /** apply (default): apply the reviewed plan; recover: only release what earlier runs left (the plan job). */
  operation: 'apply' | 'recover';
  /** The environment the run applies to (names the run in the journal). */
  environment: string;
  terraform: string;
  /** Resolves the region when EC2 is first needed (the input, else AWS_REGION / AWS_DEFAULT_REGION). */
  region: () => string;
}

const SHA = /^[0-9a-f]{64}$/;
const RESERVED = /^-(out|json|input|auto-approve|destroy|refresh-only)(=|$)/;

/** health-timeout: 10s..1h, default 5m; a negative or zero one is refused as such (one line, with the range). */
function healthTimeout(raw: string): number {
  return durationInput('health-timeout', raw, 5 * 60_000, {
    positive: true,
    minMs: 10_000,
    maxMs: 3_600_000,
    allowed: 'allowed: 10s to 1h, default 5m',
  });
}

export function cutoverInputs(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): CutoverInputs {
  const workingDirectory = resolve(cwd, stringInput('working-directory', read('working-directory'), '.'));
  let isDir: boolean;
  try {
    isDir = statSync(workingDirectory).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new InputError(`working-directory: ${read('working-directory') || '.'} is not a directory`);
  const operation = enumInput('operation', read('operation'), ['apply', 'recover'] as const, 'apply');
  const planfile = operation === 'apply' ? requiredInput('planfile', read('planfile')) : read('planfile').trim();
  const applyArgs = linesInput(read('apply-args'));
  for (const arg of applyArgs) {
    if (!arg.startsWith('-'))
      throw new InputError(
        `apply-args: ${JSON.stringify(arg)} is not a terraform option (one per line, like -var-file=prod.tfvars ` +
          'or -lock-timeout=30m)',
      );
    if (RESERVED.test(arg))
      throw new InputError(`apply-args: ${arg.split('=')[0]} is set by cutover itself; remove it`);
  }
  const expected = stringInput('expected-plan-sha', read('expected-plan-sha')).toLowerCase();
  if (expected !== '' && !SHA.test(expected))
    throw new InputError(
      `expected-plan-sha: ${JSON.stringify(expected.slice(0, 80))} is not a plan-sha (64 hex characters, ` +
        "plan-guard's plan-sha output)",
    );
  const rawPoll = read('poll-interval').trim().toLowerCase();
  let pollIntervalMs: number | undefined;
  if (rawPoll !== '' && rawPoll !== 'adaptive') {
    pollIntervalMs = parseDuration('poll-interval', rawPoll);
    if (pollIntervalMs < 1000) throw new InputError(`poll-interval: ${rawPoll} is shorter than the minimum 1s`);
    if (pollIntervalMs > 300_000) throw new InputError(`poll-interval: ${rawPoll} is longer than the maximum 5m`);
  }
  const releaseTimeoutMs = durationInput('release-timeout', read('release-timeout'), 30 * 60_000, {
    maxMs: 6 * 3_600_000,
  });
  if (releaseTimeoutMs <= 0) throw new InputError('release-timeout: must be longer than 0');
  const rawRegion = read('region').trim();
  if (rawRegion !== '') regionInput('region', rawRegion, {});
  return {
    operation,
    environment: stringInput('environment', read('environment')),
    workingDirectory,
    terraform: stringInput('terraform', read('terraform'), 'terraform'),
    planfile,
    applyArgs,
    ...(expected ? { expectedPlanSha: expected } : {}),
    maxApplies: intInput('max-applies', read('max-applies'), 3, { min: 1, max: 10 }),
    releaseTimeoutMs,
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    restore: enumInput('restore', read('restore'), ['associate', 'reapply'] as const, 'associate'),
    amiCheck: enumInput('nat-ami-check', read('nat-ami-check'), ['auto', 'off'] as const, 'auto'),
    strategy: enumInput('strategy', read('strategy'), ['auto', 'bridge', 'in-place'] as const, 'auto'),
    healthTimeoutMs: healthTimeout(read('health-timeout')),
    ami: amiCriteriaInputs(read),
    region: () => regionInput('region', rawRegion, env),
  };
}
