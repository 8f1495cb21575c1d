/**
 * Phases confirm + wait: every race task's outcome (watch.ts: EC2 confirming the race, then the release wait), on
 * the timeline; a task that was cancelled, timed out or is not the race ends the run with advice that fits it.
 */
import { EGRESS_DOWN, importAdvice } from './advice';
import type { RaceVerdict } from './race';
import type { CutoverRun } from './run';
import type { RaceWatch, WatchTask } from './watch';

/** One confirm step per task and, once confirmed, its wait step. */
function recordWaits(run: CutoverRun, tasks: readonly WatchTask[]): void {
  for (const t of tasks) {
    const w = t.wait;
    const confirmEnd = w.confirmedAt ?? w.endedAt;
    run.step('confirm', t.seenAt, w.confirmedAt !== undefined ? 'confirmed' : w.outcome, {
      detail: t.error.address,
      endedMs: confirmEnd,
    });
    if (w.confirmedAt !== undefined) {
      const throttled = w.throttled ? `, ${w.throttled} throttled` : '';
      run.step('wait', w.confirmedAt, w.outcome, {
        detail: `${t.error.address}: ${w.polls} poll(s), ${w.ec2Calls} EC2 call(s)${throttled}`,
        endedMs: w.releasedAt ?? w.endedAt,
      });
    }
  }
}

/** The task that ends the run, if any: cancelled first, then timeout, then not the race. */
function endingTask(tasks: readonly WatchTask[]): WatchTask | undefined {
  return (
    tasks.find((t) => t.wait.outcome === 'cancelled') ??
    tasks.find((t) => t.wait.outcome === 'timeout') ??
    tasks.find((t) => t.wait.outcome === 'not-race')
  );
}

/** Ends the run for `bad`'s outcome; `made` = the associations cutover made (import advice). */
function failWait(run: CutoverRun, bad: WatchTask, made: string[]): void {
  const w = bad.wait;
  if (w.outcome === 'cancelled') {
    run.fail(
      `cancelled while waiting for the Elastic IPs: ${w.message}`,
      [EGRESS_DOWN, ...made, 'Re-run the job once the NAT gateways show deleted (plan, review, apply).'],
      { cancelled: true },
    );
  } else if (w.outcome === 'timeout') {
    run.fail(`${bad.error.address}: ${w.message}: gave up waiting, not re-applying`, [
      EGRESS_DOWN,
      ...made,
      'Look at the NAT gateways in the console; AWS support can help with a gateway stuck deleting. When the ' +
        'gateways show deleted and the Elastic IPs have no association, re-run the job (plan, review, apply).',
    ]);
  } else if (w.error) {
    run.fail(`${bad.error.address}: ${w.message}`, [
      EGRESS_DOWN,
      ...made,
      'Check the NAT gateways in the console; when they show deleted, re-run the job (plan, review, apply).',
    ]);
  } else {
    run.fail(`${bad.error.address}: not retried: ${w.message}`, [
      ...made,
      'Fix the cause (who holds the Elastic IP, or the permission), then plan again, review, and apply.',
    ]);
  }
}

/** Phases confirm + wait: every race task's outcome, recorded on the timeline; undefined when the run ended. */
export async function waitPhase(
  run: CutoverRun,
  watch: RaceWatch,
  verdict: RaceVerdict,
): Promise<WatchTask[] | undefined> {
  const { result } = run;
  const tasks = await watch.settle();
  recordWaits(run, tasks);
  result.waits = tasks.map((t) => t.wait);
  if (tasks[0]) result.wait = tasks[0].wait;
  const bad = endingTask(tasks);
  if (bad) {
    failWait(run, bad, importAdvice(tasks));
    return undefined;
  }
  const gateways = [...new Set(tasks.flatMap((t) => t.wait.gateways.map((g) => g.id)))];
  result.retriedBecause ||=
    gateways.length > 0
      ? `${verdict.reason}: the Elastic IP race, confirmed by EC2 (NAT gateway(s) ${gateways.join(', ')} being ` +
        'deleted held the addresses)'
      : `${verdict.reason}: the Elastic IP race, confirmed by EC2 (the association(s) the plan deletes held the ` +
        'addresses)';
  for (const t of tasks) run.info(`${t.error.address}: ${t.wait.message}`);
  return tasks;
}
