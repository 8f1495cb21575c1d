/**
 * The cutover: apply the reviewed saved plan and, when it fails ONLY with the Elastic IP race's pattern, confirm
 * the race with EC2, wait until the addresses are free, restore egress, and converge — at most `maxApplies`
 * applies in all. A sequence of named phases sharing one CutoverRun (run.ts: result + timeline record):
 *
 *   preflight  digest, anything to apply, max-applies against the applies the plan needs, region, credentials, AMI
 *              (preflight.ts)
 *   strategy   bridge (one AZ at a time behind a bridge route: bridged.ts) or in-place (the phases below over the
 *              whole plan), decided before anything is applied (strategy.ts)
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
import { preflight } from './preflight';
import { CutoverRun, type CutoverDeps, type CutoverOptions, type CutoverResult } from './run';
import { decideStrategy } from './strategy';

export async function runCutover(options: CutoverOptions, deps: CutoverDeps): Promise<CutoverResult> {
  const planPath = resolve(options.workingDirectory, options.planfile);
  if (!existsSync(planPath))
    throw new InputError(`planfile: ${options.planfile} does not exist (in ${options.workingDirectory})`);
  const run = new CutoverRun({ restore: 'associate', ...options }, deps);
  const reviewed = await preflight(run, planPath);
  if (!reviewed) return run.result;
  const decision = await decideStrategy(run, reviewed);
  if (!decision) return run.result;
  if (decision.strategy === 'bridge') return bridgedSwitch(run, reviewed, decision);
  await applyLoop(run, reviewed, planPath);
  return run.result;
}
