/**
 * The cutover: apply the reviewed saved plan and, when it fails ONLY with the Elastic IP race's pattern, confirm
 * the race with EC2, wait until the addresses are free, restore egress, and converge — at most `maxApplies`
 * applies in all. A sequence of named phases sharing one CutoverRun (run.ts: result + timeline record):
 *
 *   recover    the journal writable; what earlier runs left (journal + AWS); the state lock: an earlier run's is
 *              released, any other stops the run (recover.ts)
 *   preflight  digest, anything to apply, max-applies against the applies the plan needs, region, credentials, AMI
 *              (preflight.ts)
 *   orphans    objects an interrupted apply created outside the state: imported, then a checked re-plan; or
 *              stop with the commands (orphans.ts)
 *   strategy   bridge (one AZ at a time behind a bridge route: bridged.ts) or in-place (the phases below over the
 *              whole plan), decided before anything is applied (strategy.ts; after an orphan import: in place,
 *              unless an AZ is on a bridge an interrupted bridged switch left: then bridged)
 *   apply      terraform apply -json; a race-pattern diagnostic starts the race watch at once (phase-apply.ts,
 *              watch.ts)
 *   confirm    EC2: a NAT gateway being deleted holds or held the address     (per Elastic IP, in the watch:
 *   wait       until EC2 shows the address free                                release.ts; phase-wait.ts)
 *   restore    restore: associate — AssociateAddress the moment it is free (restore.ts), then terraform import
 *              (phase-restore.ts)
 *   converge   re-plan, check it only finishes what was reviewed (and nothing is left for an imported
 *              association), apply it; restore: reapply (or any fallback) takes this path alone (phase-converge.ts,
 *              converge.ts)
 *
 * Anything else fails at once with the diagnostics and what to do. Clients, clock and terraform are injected;
 * nothing here touches @actions/core.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../inputs/index';
import { applyLoop } from './apply-loop';
import { bridgedSwitch } from './bridged';
import { Journal } from './journal';
import { orphanPhase } from './orphans';
import { preflight } from './preflight';
import { recoverPhase } from './recover';
import { CutoverRun, type CutoverDeps, type CutoverOptions, type CutoverResult } from './run';
import { decideStrategy } from './strategy';

export async function runCutover(options: CutoverOptions, deps: CutoverDeps): Promise<CutoverResult> {
  const planPath = resolve(options.workingDirectory, options.planfile);
  if (!existsSync(planPath))
    throw new InputError(`planfile: ${options.planfile} does not exist (in ${options.workingDirectory})`);
  const run = new CutoverRun({ restore: 'associate', ...options }, deps);
  if (!(await recoverPhase(run, true))) return run.result;
  const result = await applyReviewed(run, planPath);
  if (['applied', 'converged', 'unchanged'].includes(result.result) && run.journal instanceof Journal)
    await run.journal.reconciled(run.journal.earlier.filter((r) => !r.reconciled));
  return result;
}

/** `operation: recover` (the plan job, before planning): phase recover alone; nothing is planned or applied. */
export async function runRecover(options: CutoverOptions, deps: CutoverDeps): Promise<CutoverResult> {
  const run = new CutoverRun(options, deps);
  if (!(await recoverPhase(run, false))) return run.result;
  return run.succeed((run.result.recovery?.done.length ?? 0) > 0 ? 'recovered' : 'unchanged');
}

/** Preflight, orphans, the strategy, then the bridged switch or the apply loop over the whole plan. */
async function applyReviewed(run: CutoverRun, planPath: string): Promise<CutoverResult> {
  const checked = await preflight(run, planPath);
  if (!checked) return run.result;
  const reviewed = await orphanPhase(run, checked);
  if (!reviewed) return run.result;
  // After an orphan import the re-plan is what is left of the reviewed plan: it runs in place, unless an AZ is on
  // a bridge an interrupted bridged switch left (strategy.ts).
  const imported = reviewed.planPath !== checked.planPath;
  const decision = await decideStrategy(run, reviewed, imported ? 'objects left outside the state were imported' : '');
  if (!decision) return run.result;
  if (decision.strategy === 'bridge') return bridgedSwitch(run, reviewed, decision);
  await applyLoop(run, reviewed, reviewed.planPath);
  return run.result;
}
