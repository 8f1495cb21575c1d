/**
 * The apply loop: apply a saved plan and, when it fails only with the Elastic IP race's pattern, confirm the race
 * with EC2, wait, restore egress and converge (apply → confirm/wait → restore → converge, at most max-applies
 * applies). The in-place strategy runs it once over the whole reviewed plan; the bridged switch runs it once per
 * step over a targeted plan (run.inStep, run.replanArgs: its re-plans keep the step's -target options).
 */
import { EGRESS_DOWN, RERUN_WHEN_READY } from './advice';
import { applyPhase } from './phase-apply';
import { convergePhase } from './phase-converge';
import { restorePhase } from './phase-restore';
import { waitPhase } from './phase-wait';
import type { Reviewed } from './preflight';
import type { CutoverRun } from './run';

/** Runs the loop from `firstPlan`; run.stepEnded (and run.result) say how it ended. */
export async function applyLoop(run: CutoverRun, reviewed: Reviewed, firstPlan: string): Promise<void> {
  let planToApply = firstPlan;
  for (;;) {
    if (run.cancelled) {
      const nothing = run.result.applies === 0;
      run.fail(
        `cancelled before apply ${run.result.applies + 1}`,
        nothing ? [RERUN_WHEN_READY] : [EGRESS_DOWN, 'Re-run all jobs of the workflow (plan, review, apply).'],
      );
      return;
    }
    const applied = await applyPhase(run, reviewed, planToApply);
    if ('done' in applied) return;
    const tasks = await waitPhase(run, applied.watch, applied.verdict);
    if (!tasks) return;
    const imported = await restorePhase(run, tasks);
    if (!imported) return;
    const next = await convergePhase(run, reviewed, imported, applied.n);
    if (next === undefined) return;
    planToApply = next;
  }
}
