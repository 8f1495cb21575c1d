/**
 * Phase apply: one `terraform apply -json` of the reviewed plan (or of the convergence re-plan). A diagnostic with
 * the race's pattern starts the race watch the moment it arrives (watch.ts), while terraform still waits for the
 * NAT gateway deletions; any other error stops the watch at once, since that apply will not be retried. The apply
 * then ends the run (applied, interrupted, failed, no apply left), or hands the watch to the wait phase.
 */
import { EGRESS_DOWN, importAdvice } from './advice';
import { classifyFailure, matchRaceDiagnostic, type RaceVerdict } from './race';
import type { Reviewed } from './preflight';
import type { CutoverRun, StreamedRun } from './run';
import type { HookEvent } from '../terraform/index';
import { erroredStateAdvice, stalePlan } from './state-errors';
import { RaceWatch } from './watch';

export type Applied = { done: true } | { n: number; watch: RaceWatch; verdict: RaceVerdict; stream: StreamedRun };

/** Runs the apply with the watch listening to its diagnostics; the stream's hooks join the run's. */
async function applyWatched(
  run: CutoverRun,
  reviewed: Reviewed,
  planfile: string,
  n: number,
): Promise<{ applied: StreamedRun; watch: RaceWatch }> {
  const { maxApplies } = run.options;
  let hooks: readonly HookEvent[] = [];
  const watch = new RaceWatch(run, reviewed.plan.natChanges, () => hooks);
  const canRetry = n < maxApplies;
  let otherError = false;
  const applied = await run.terraform(
    `${run.stepLabel}terraform apply (${n} of at most ${maxApplies})`,
    ['apply', '-json', '-input=false', planfile],
    (d, stream) => {
      hooks = stream.hooks;
      if (d.severity !== 'error' || otherError) return;
      const m = canRetry ? matchRaceDiagnostic(d, stream.hooks) : undefined;
      if (m) watch.see(m);
      else {
        // Another error: this apply will not be retried, so stop confirming and watching at once.
        otherError = true;
        watch.cancel();
      }
    },
  );
  hooks = applied.stream.hooks;
  run.hooks.push(...applied.stream.hooks);
  return { applied, watch };
}

/** What the next run does after an interrupted run (the journal beside the state tells it what this one did). */
export const NEXT_RUN =
  'Re-run the workflow (plan, review, apply): it reads the journal, releases a state lock this run left, imports ' +
  'what this apply created outside the state, plans again (the saved plan is stale once part of it was applied) ' +
  'and finishes the job.';

/** Cancelled: terraform was interrupted (one SIGINT) and exited after saving state, or was no longer waited for. */
function interrupted(run: CutoverRun, n: number, applied: StreamedRun): Applied {
  const how = applied.abandoned
    ? 'was still running 5 s after its one SIGINT (no longer waited for: the runner gives no more time); it may ' +
      'still save state and release its lock, and the journal names the lock it took'
    : `exited (${applied.exit}) after saving state`;
  run.fail(
    `cancelled: terraform apply ${n} was interrupted and ${how}`,
    [NEXT_RUN, ...erroredStateAdvice(run.options.workingDirectory, applied.stream.diagnostics)],
    { cancelled: true },
  );
  return { done: true };
}

/** The saved plan no longer fits the state: its own outcome, never retried. */
function stale(run: CutoverRun, n: number, summary: string): Applied {
  run.fail(
    `terraform apply ${n}: ${summary}: the state changed since this plan was made (an earlier run applied part of ` +
      'it, or imported), so it can never be applied; not retried',
    [
      'Nothing was applied by this apply. Re-run the whole workflow: plan again, review the new plan (plan-guard), ' +
        'and apply it (re-running only the apply job re-uses this stale plan).',
    ],
    { stale: true },
  );
  return { done: true };
}

/** Failed for another reason than the race: not retried (a crash when terraform reported no error). */
function failedOtherwise(run: CutoverRun, n: number, applied: StreamedRun, reason: string, made: string[]): Applied {
  const errored = erroredStateAdvice(run.options.workingDirectory, applied.stream.diagnostics);
  if (applied.stream.errors.length > 0) {
    run.fail(`terraform apply ${n} failed: ${reason}; not retried (only the Elastic IP association race is)`, [
      ...errored,
      ...made,
      'Fix the cause shown in the errors above, then plan again, review, and apply.',
    ]);
    return { done: true };
  }
  const tail = applied.stream.text
    .filter((l) => l.trim() !== '')
    .slice(0, 3)
    .join(' | ');
  run.fail(
    `terraform apply ${n} exited (${applied.exit}) without reporting an error diagnostic: it may have crashed` +
      `${tail ? `; its output: ${tail.slice(0, 300)}` : ''}`,
    [
      'Read the terraform output above (a crash prints a panic and a crash.log path). State may be locked: ' +
        'check it and `terraform force-unlock <id>` if needed.',
      'Plan again, review, and apply.',
    ],
  );
  return { done: true };
}

/** The race's pattern, but max-applies allows no other apply. */
function noApplyLeft(run: CutoverRun, n: number, reviewed: Reviewed, verdict: RaceVerdict): Applied {
  const { maxApplies } = run.options;
  run.fail(
    `terraform apply ${n} failed with the Elastic IP race's pattern (${verdict.reason}) and max-applies ` +
      `${maxApplies} allows no other apply`,
    [
      `${EGRESS_DOWN} When the NAT gateways show deleted and their Elastic IPs no association, re-run the job ` +
        `(plan, review, apply) with max-applies ${Math.max(2, reviewed.expectedApplies)} or more.`,
    ],
  );
  return { done: true };
}

/** Phase apply: one `terraform apply -json`; race-pattern diagnostics start the watch as they arrive. */
export async function applyPhase(run: CutoverRun, reviewed: Reviewed, planfile: string): Promise<Applied> {
  const { result } = run;
  result.applies++;
  // Within a bridged step, max-applies counts that step's applies; the timeline numbers every apply of the run.
  const n = result.applies - run.stepBase;
  const at = { n: result.applies, ...(run.stepLabel ? { detail: run.stepLabel.replace(/: $/, '') } : {}) };
  const started = run.clock.now();
  const { applied, watch } = await applyWatched(run, reviewed, planfile, n);
  const ended = run.clock.now();
  /** Stops the watch; the associations it made, as import advice. */
  const stop = async () => {
    watch.cancel();
    return importAdvice(await watch.settle());
  };
  if (applied.interrupted) {
    await stop();
    run.step('apply', started, 'interrupted', { ...at, detail: applied.exit, endedMs: ended });
    return interrupted(run, n, applied);
  }
  if (applied.ok) {
    await stop();
    run.step('apply', started, 'ok', { ...at, endedMs: ended });
    run.succeed(n === 1 ? 'applied' : 'converged');
    return { done: true };
  }
  const isStale = stalePlan(applied.stream.diagnostics);
  if (isStale) {
    await stop();
    run.step('apply', started, 'stale plan', { n, detail: isStale.summary, endedMs: ended });
    result.errors = applied.stream.errors;
    return stale(run, n, isStale.summary);
  }
  const verdict = classifyFailure(applied.stream.diagnostics, applied.stream.hooks);
  run.step('apply', started, verdict.race ? 'race pattern' : 'failed', {
    ...at,
    detail: `${at.detail ? `${at.detail}: ` : ''}${verdict.reason}`,
    endedMs: ended,
  });
  if (!verdict.race) {
    const made = await stop();
    result.errors = applied.stream.errors;
    return failedOtherwise(run, n, applied, verdict.reason, made);
  }
  result.errors = applied.stream.errors;
  if (n >= run.options.maxApplies) {
    await stop();
    return noApplyLeft(run, n, reviewed, verdict);
  }
  for (const e of verdict.raceErrors) watch.see(e);
  return { n: result.applies, watch, verdict, stream: applied };
}
