/**
 * The NAT switches the bridged-switch scenarios run (test/rehearsal/bridged.test.ts), each from a bootstrapped
 * environment of the reference module: gateway → instance, instance → gateway, NAT AMI adoption (a newer tagged
 * AMI replaces every NAT instance) and NAT gateway replacement (`-replace` of every gateway), with 1–3 AZs.
 * `runSwitch` plans the switch, runs plan-guard and the cutover with a strategy, and watches the private subnets'
 * egress through the data plane (dataplane-watch.ts) for the whole cutover.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionRun } from '../../../packages/shared/test/support/action-runner';
import type { EgressWatch, EgressWatchReport } from './dataplane-watch';
import { REPO_ROOT } from './moto';
import type { Environment, Vars } from './rehearsal';

/** Longest one cutover of a switch may take (a 3-AZ bridged switch on a loaded 2-core machine: 4–6 min). */
const CUTOVER_MS = 12 * 60_000;

export type SwitchKind = 'gateway-to-instance' | 'instance-to-gateway' | 'ami-adoption' | 'gateway-replacement';
export type Strategy = 'auto' | 'bridge' | 'in-place';

export interface SwitchCase {
  kind: SwitchKind;
  azCount: number;
  /** How long the proxy keeps a NAT gateway `deleting` (holding its Elastic IP) during the switch. */
  natDeleteMs: number;
}

/** Does the bundled action declare this input (action.yml)? */
export function hasInput(action: string, input: string): boolean {
  const file = join(REPO_ROOT, 'actions', action, 'action.yml');
  return existsSync(file) && new RegExp(`^ {2}${input}:`, 'm').test(readFileSync(file, 'utf8'));
}

const fromMode = (kind: SwitchKind) =>
  kind === 'instance-to-gateway' || kind === 'ami-adoption' ? 'instance' : 'gateway';

/** Applies the starting point of the switch (everything created, nothing interrupted). */
export async function bootstrapFor(env: Environment, c: SwitchCase): Promise<void> {
  const instance = fromMode(c.kind) === 'instance';
  if (instance) await env.registerNatAmi('2026-11-01');
  const { planfile } = await env.plan({ use_nat_instance: instance, az_count: c.azCount });
  const run = await env.cutover(planfile);
  if (run.code !== 0)
    throw new Error(`bootstrap of ${env.name} failed (${run.outputs.result}): ${run.stdout.slice(-600)}`);
}

/** The switch's plan. */
async function planSwitch(env: Environment, c: SwitchCase): Promise<string> {
  const vars: Vars = {
    az_count: c.azCount,
    use_nat_instance: c.kind === 'gateway-to-instance' || c.kind === 'ami-adoption',
  };
  const replace =
    c.kind === 'gateway-replacement'
      ? Array.from({ length: c.azCount }, (_, i) => `-replace=module.vpc.aws_nat_gateway.nat[${i}]`)
      : [];
  return (await env.plan(vars, replace)).planfile;
}

export interface SwitchRun {
  guard: ActionRun;
  /** The cutover runs: one, or (in place, when terraform's parallel CreateNatGateway lost to the disassociation and
   * the cutover stopped, as today's cutover does) the failed one and the one after a new plan. */
  runs: ActionRun[];
  egress: EgressWatchReport;
  cutoverSeconds: number;
}

export interface SwitchOptions {
  /** Called once the watch runs (before the cutover starts), e.g. to inject a failure on some sample. */
  onWatch?: (watch: EgressWatch) => void;
  /** In place: plan and apply again after a Resource.AlreadyAssociated failure (what an operator does today). */
  rerunOnAlreadyAssociated?: boolean;
}

/** Plans the switch, runs plan-guard and the cutover (`strategy`) under the data-plane watch. */
export async function runSwitch(
  env: Environment,
  c: SwitchCase,
  strategy: Strategy,
  options: SwitchOptions = {},
): Promise<SwitchRun> {
  env.rehearsal.proxy.setNatDeleteMs(env.region, c.natDeleteMs);
  if (c.kind === 'gateway-to-instance') await env.registerNatAmi('2026-11-01');
  if (c.kind === 'ami-adoption') await env.registerNatAmi('2026-11-15');
  const planfile = await planSwitch(env, c);
  const guard = await env.action('plan-guard', {
    planfile,
    terraform: env.rehearsal.tf.terraform,
    'working-directory': env.dir,
    comment: 'never',
    'fail-on': 'none',
    environment: env.name,
    ...(hasInput('plan-guard', 'strategy') ? { strategy } : {}),
  });
  const watch = await env.watchEgress();
  options.onWatch?.(watch);
  const started = Date.now();
  const runs: ActionRun[] = [];
  let egress: EgressWatchReport | undefined;
  try {
    const expected = { 'expected-plan-sha': guard.outputs['plan-sha'] ?? '' };
    runs.push(await env.cutover(planfile, { ...expected, strategy }, { timeoutMs: CUTOVER_MS }));
    const first = runs[0] as ActionRun;
    if (first.code !== 0 && options.rerunOnAlreadyAssociated && /Resource\.AlreadyAssociated/.test(first.stdout))
      runs.push(await env.cutover(await planSwitch(env, c), { strategy }, { timeoutMs: CUTOVER_MS }));
  } finally {
    egress = await watch.stop();
  }
  return { guard, runs, egress, cutoverSeconds: (Date.now() - started) / 1000 };
}

/** The figures `pnpm bench rehearsal` prints for one run of a switch. */
export function switchFigures(s: SwitchRun): Record<string, unknown> {
  const last = s.runs[s.runs.length - 1] as ActionRun;
  const e = s.egress;
  return {
    strategyOutput: last.outputs.strategy ?? '',
    result: last.outputs.result ?? '',
    cutoverRuns: s.runs.length,
    cutoverSeconds: s.cutoverSeconds,
    retriedBecause: (last.outputs['retried-because'] ?? '').slice(0, 300),
    egressGapSeconds: last.outputs['egress-gap-seconds'] ?? '',
    egressGaps: last.outputs['egress-gaps'] ?? '',
    azs: e.azs.map(({ az, longestSeconds, totalSeconds, foreignSeconds, ips, outages }) => ({
      az,
      longestSeconds,
      totalSeconds,
      foreignSeconds,
      outages: outages.length,
      ips,
    })),
    watch: { reads: e.reads, torn: e.torn, missed: e.missed, readMs: e.readMs, holdMs: e.holdMs, lagMs: e.lagMs },
  };
}
