/**
 * Phase converge: re-plan with apply-args and check the re-plan (converge.ts) before anything more is applied — it
 * may only finish what the reviewed plan did not, and leave nothing for an association cutover made and imported.
 * Then the run either ends (nothing left: converged) or the re-plan is the next apply.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../runtime/index';
import { EGRESS_DOWN } from './advice';
import { describeUnexpected, unexpectedChanges } from './converge';
import type { Reviewed } from './preflight';
import type { CutoverRun, ReadPlan } from './run';

/** The re-plan for apply n + 1, read; undefined when the run ended (interrupted, failed, unreadable). */
async function replan(
  run: CutoverRun,
  n: number,
  planStart: number,
  down: string,
): Promise<{ file: string; next: ReadPlan } | undefined> {
  const { result } = run;
  const file = join(run.deps.tempDir, `cutover-replan-${process.pid}-${n + 1}.tfplan`);
  const args = ['plan', '-json', '-input=false', `-out=${file}`, ...run.replanArgs, ...run.options.applyArgs];
  const planRun = await run.terraform(`${run.stepLabel}terraform plan (for apply ${n + 1})`, args);
  if (planRun.interrupted) {
    run.step('plan', planStart, 'interrupted', { n: n + 1 });
    run.fail('cancelled during the re-plan', [down, 'Re-run all jobs of the workflow (plan, review, apply).'], {
      cancelled: true,
    });
    return undefined;
  }
  if (!planRun.ok) {
    run.step('plan', planStart, 'failed', { n: n + 1 });
    result.errors = planRun.stream.errors;
    const first = planRun.stream.errors[0];
    run.fail(`the re-plan after the race failed (${planRun.exit})${first ? `: ${first.summary.split('\n')[0]}` : ''}`, [
      down,
      'Fix the error, then plan, review, and apply.',
    ]);
    return undefined;
  }
  try {
    return { file, next: await run.readPlan(file, 're-plan', false) };
  } catch (err) {
    run.step('plan', planStart, 'failed', { n: n + 1 });
    run.fail(`could not read the re-plan: ${describeError(err)}`, [down, 'Plan, review, and apply.']);
    return undefined;
  }
}

/** The re-plan still changes an association cutover made and imported: it does not match the configuration. */
function leftAfterImport(run: CutoverRun, next: ReadPlan, imported: readonly string[], n: number, planStart: number) {
  const { result } = run;
  const leftover = next.refs.filter((r) => imported.includes(r.address));
  if (leftover.length === 0) return false;
  const list = leftover.map((r) => `${r.kind} ${r.address}`);
  result.unexpected = list.map(
    (l) => `${l}: cutover associated it and imported the association, but the configuration still wants a change there`,
  );
  run.step('plan', planStart, 'mismatch after import', { n: n + 1, detail: list.join(', ') });
  for (const u of result.unexpected) run.deps.out.line({ level: 'error', text: `after the import: ${u}` });
  run.fail(
    `the re-plan still changes ${list.join(', ')} after cutover associated and imported ` +
      `${leftover.length === 1 ? 'it' : 'them'}: the association does not match the configuration; stopped, ` +
      'nothing more applied',
    [
      'Egress is restored on the associations cutover made. Review the re-plan (plan-guard): the configuration ' +
        'wants something other than the reviewed association there; fix the configuration or apply the new plan ' +
        'through the reviewed path.',
    ],
  );
  return true;
}

/** The re-plan changes something the reviewed plan did not (or differently): stop, show it. */
function notReviewed(run: CutoverRun, reviewed: Reviewed, next: ReadPlan, n: number, planStart: number, down: string) {
  const { result } = run;
  const unexpected = unexpectedChanges(reviewed.plan.refs, next.refs);
  if (unexpected.length === 0) return false;
  result.unexpected = unexpected.map(describeUnexpected);
  run.step('plan', planStart, 'unexpected changes', {
    n: n + 1,
    detail: `${unexpected.length} change(s) not in the reviewed plan`,
  });
  for (const u of result.unexpected) run.deps.out.line({ level: 'error', text: `unexpected in the re-plan: ${u}` });
  run.fail(
    `the re-plan contains ${unexpected.length} change(s) that were not in the reviewed plan ` +
      `(first: ${result.unexpected[0]}): stopped, nothing more applied`,
    [`${down} Review the new plan (plan-guard) and apply it through the normal reviewed path.`],
  );
  return true;
}

/**
 * Phase converge: re-plan with apply-args, check that every change was in the reviewed plan and that nothing
 * is left for an association cutover made, then either finish (nothing left) or return the re-plan to apply.
 * Returns undefined when the run ended.
 */
export async function convergePhase(
  run: CutoverRun,
  reviewed: Reviewed,
  imported: readonly string[],
  n: number,
): Promise<string | undefined> {
  const { result, clock } = run;
  const made = result.restore?.associations.filter((a) => a.outcome === 'associated') ?? [];
  const down =
    made.length > 0
      ? 'Egress is restored where cutover associated the addresses; the rest of the reviewed plan is not applied.'
      : EGRESS_DOWN;
  const planStart = clock.now();
  const planned = await replan(run, n, planStart, down);
  if (!planned) return undefined;
  const { file, next } = planned;
  if (leftAfterImport(run, next, imported, n, planStart)) return undefined;
  if (notReviewed(run, reviewed, next, n, planStart, down)) return undefined;
  const changes = next.refs.map((r) => `${r.kind} ${r.address}`);
  if (next.refs.length === 0) {
    run.step('plan', planStart, 'no changes', { n: n + 1 });
    run.info('The re-plan has no changes left: the reviewed plan is fully applied.');
    rmSync(file, { force: true });
    run.succeed('converged');
    return undefined;
  }
  run.step('plan', planStart, 'ok', { n: n + 1, detail: changes.join(', ').slice(0, 300) });
  run.info(`The re-plan finishes the reviewed plan: ${changes.join(', ')}`);
  if (result.restore && result.restore.path === '') result.restore.path = 'reapply';
  return file;
}
