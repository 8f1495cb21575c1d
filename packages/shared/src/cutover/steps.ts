/**
 * The terraform steps of a bridged switch: a targeted plan (`terraform plan -target=… [-replace=…]` with
 * apply-args), its check — every change must be in the reviewed plan (converge.ts unexpectedChanges: the
 * remainder of a reviewed replacement, a bare create or delete, is accepted, nothing else new) and inside the
 * step's scope (this AZ's NAT path, the supporting resources the step may carry) — and its apply through the
 * apply loop (apply-loop.ts: the race watch, the fast restore, the converging re-plans keep the step's targets).
 * Targeted plans are marked incomplete (`complete: false`) and every targeted apply ends with terraform's
 * warning "Applied changes may be incomplete" (research-18 §0); both are expected here.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../runtime/index';
import { applyLoop } from './apply-loop';
import { describeUnexpected, unexpectedChanges } from './converge';
import type { Reviewed } from './preflight';
import type { CutoverRun, ReadPlan } from './run';

export interface StepPlan {
  file: string;
  plan: ReadPlan;
  /** The -target / -replace options it was made with (its re-plans use them too). */
  args: string[];
}

let plans = 0;

/** `-target=<a>` for each address, `-replace=<a>` for each replaced one. */
export function targetArgs(targets: readonly string[], replace: readonly string[] = []): string[] {
  return [...new Set(targets)].map((t) => `-target=${t}`).concat(replace.map((r) => `-replace=${r}`));
}

/**
 * A targeted plan of `args`, read; undefined when the run ended (terraform failed or was interrupted: the run
 * fails with `down` as the first advice).
 */
export async function targetedPlan(
  run: CutoverRun,
  label: string,
  args: string[],
  down: string,
): Promise<StepPlan | undefined> {
  const file = join(run.deps.tempDir, `cutover-step-${process.pid}-${++plans}.tfplan`);
  const started = run.clock.now();
  const planRun = await run.terraform(`${label}: terraform plan ${args.join(' ')}`, [
    'plan',
    '-json',
    '-input=false',
    `-out=${file}`,
    ...args,
    ...run.options.applyArgs,
  ]);
  if (!planRun.ok) {
    run.step('plan', started, planRun.interrupted ? 'interrupted' : 'failed', { detail: label });
    run.result.errors = planRun.stream.errors;
    const first = planRun.stream.errors[0];
    run.fail(
      planRun.interrupted
        ? `cancelled during the ${label} plan`
        : `the ${label} plan failed (${planRun.exit})${first ? `: ${first.summary.split('\n')[0]}` : ''}`,
      [
        down,
        'Re-run all jobs of the workflow (plan, review, apply): the cutover continues from where the switch stands.',
      ],
      { cancelled: planRun.interrupted },
    );
    return undefined;
  }
  try {
    const plan = await run.readPlan(file, `${label} plan`, false);
    run.step('plan', started, 'ok', {
      detail: `${label}: ${plan.refs.map((r) => `${r.kind} ${r.address}`).join(', ') || 'no changes'}`.slice(0, 300),
    });
    return { file, plan, args };
  } catch (err) {
    run.step('plan', started, 'failed', { detail: label });
    run.fail(`could not read the ${label} plan: ${describeError(err)}`, [down]);
    return undefined;
  }
}

/**
 * Checks a step's plan before anything of it is applied: false (the run failed, nothing of the step applied) when
 * a change is not in the reviewed plan or outside `scope`.
 */
export function checkStep(
  run: CutoverRun,
  reviewed: Reviewed,
  step: StepPlan,
  label: string,
  scope: ReadonlySet<string>,
  down: string,
): boolean {
  const unexpected = unexpectedChanges(reviewed.plan.refs, step.plan.refs).map(describeUnexpected);
  const outside = step.plan.refs
    .filter((r) => !scope.has(r.address))
    .map((r) => `${r.kind} ${r.address}: outside the ${label} step`);
  const problems = [...unexpected, ...outside];
  if (problems.length === 0) return true;
  run.result.unexpected = problems;
  for (const p of problems) run.deps.out.line({ level: 'error', text: `${label} plan: ${p}` });
  rmSync(step.file, { force: true });
  run.fail(
    `the ${label} plan has ${problems.length} change(s) the step may not make (first: ${problems[0]}): stopped ` +
      'before applying it',
    [down, 'Review the new plan (plan-guard) and apply it through the normal reviewed path.'],
  );
  return false;
}

/** Applies a step's plan through the apply loop; true when the step converged. */
export async function applyStep(run: CutoverRun, reviewed: Reviewed, label: string, step: StepPlan): Promise<boolean> {
  run.inStep = true;
  run.stepBase = run.result.applies;
  run.stepLabel = `${label}: `;
  run.replanArgs = step.args;
  delete run.stepEnded;
  try {
    await applyLoop(run, reviewed, step.file);
  } finally {
    run.inStep = false;
    run.stepLabel = '';
    run.replanArgs = [];
    rmSync(step.file, { force: true });
  }
  return run.stepEnded === 'ok';
}
