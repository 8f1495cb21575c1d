/**
 * The cutover: apply the reviewed saved plan and, when it fails ONLY with the Elastic IP race's pattern, confirm
 * the race with EC2, wait until the addresses are free, restore egress, and converge — at most `maxApplies`
 * applies in all. A sequence of named phases sharing one CutoverRun (result + timeline record):
 *
 *   preflight  digest, anything to apply, max-applies against the applies the plan needs, region, credentials, AMI
 *   apply      terraform apply -json; a race-pattern diagnostic starts the race watch at once (watch.ts)
 *   confirm    EC2: a NAT gateway being deleted holds or held the address     (per Elastic IP, in the watch)
 *   wait       until EC2 shows the address free                               (per Elastic IP, in the watch)
 *   restore    restore: associate — AssociateAddress the moment it is free, then terraform import
 *   converge   re-plan, check it only finishes what was reviewed (and nothing is left for an imported
 *              association), apply it; restore: reapply (or any fallback) takes this path alone
 *
 * Anything else fails at once with the diagnostics and what to do. Clients, clock and terraform are injected;
 * nothing here touches @actions/core.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../inputs/index';
import { describeError } from '../runtime/index';
import { describeUnexpected, unexpectedChanges } from './converge';
import { classifyFailure, matchRaceDiagnostic, type RaceVerdict } from './race';
import { importArgs } from './restore';
import { CutoverRun, type CutoverDeps, type CutoverOptions, type CutoverResult, type StreamedRun } from './run';
import { preflight, type Reviewed } from './preflight';
import type { HookEvent } from '../terraform/index';
import type { RestoreTiming } from './timeline';
import { RaceWatch, type WatchTask } from './watch';

export type {
  CutoverDeps,
  CutoverOptions,
  CutoverOutcome,
  CutoverOutput,
  CutoverResult,
  RestoreMode,
  RestoreRecord,
} from './run';
export { ROLLBACK } from './run';
export { bootstrapSteps } from './preflight';
export { releaseTarget } from './watch';

const EGRESS_DOWN =
  'Egress is down in the affected AZs (their routes point at NAT instances without their public IP) until the Elastic IPs are associated.';

export async function runCutover(options: CutoverOptions, deps: CutoverDeps): Promise<CutoverResult> {
  const planPath = resolve(options.workingDirectory, options.planfile);
  if (!existsSync(planPath))
    throw new InputError(`planfile: ${options.planfile} does not exist (in ${options.workingDirectory})`);
  const run = new CutoverRun({ restore: 'associate', ...options }, deps);
  const reviewed = await preflight(run, planPath);
  if (!reviewed) return run.result;

  let planToApply = planPath;
  for (;;) {
    if (run.cancelled)
      return run.fail(
        `cancelled before apply ${run.result.applies + 1}`,
        run.result.applies === 0
          ? ['Nothing was applied; egress is as it was. Re-run the job when ready.']
          : [EGRESS_DOWN, 'Re-run the job (plan, review, apply).'],
      );
    const applied = await applyPhase(run, reviewed, planToApply);
    if ('done' in applied) return run.result;
    const tasks = await waitPhase(run, applied.watch, applied.verdict);
    if (!tasks) return run.result;
    const imported = await restorePhase(run, tasks);
    if (!imported) return run.result;
    const next = await convergePhase(run, reviewed, imported, applied.n);
    if (next === undefined) return run.result;
    planToApply = next;
  }
}

type Applied = { done: true } | { n: number; watch: RaceWatch; verdict: RaceVerdict; stream: StreamedRun };

/** Phase apply: one `terraform apply -json`; race-pattern diagnostics start the watch as they arrive. */
export async function applyPhase(run: CutoverRun, reviewed: Reviewed, planfile: string): Promise<Applied> {
  const { options, result } = run;
  result.applies++;
  const n = result.applies;
  const started = run.clock.now();
  let hooks: readonly HookEvent[] = [];
  const watch = new RaceWatch(run, reviewed.plan.natChanges, () => hooks);
  const canRetry = n < options.maxApplies;
  let otherError = false;
  const applied = await run.terraform(
    `terraform apply (${n} of at most ${options.maxApplies})`,
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
  const ended = run.clock.now();
  let made: string[] = [];
  const stop = async () => {
    watch.cancel();
    made = importAdvice(await watch.settle());
  };
  if (applied.interrupted) {
    await stop();
    run.step('apply', started, 'interrupted', { n, detail: applied.exit, endedMs: ended });
    run.fail(
      `cancelled: terraform apply ${n} was interrupted and exited (${applied.exit}) after saving state`,
      [
        'Re-run the job to finish: plan again (the saved plan is stale once part of it was applied), review, and apply.',
        'If terraform was killed before it released the state lock, run `terraform force-unlock <id>` first.',
      ],
      { cancelled: true },
    );
    return { done: true };
  }
  if (applied.ok) {
    await stop();
    run.step('apply', started, 'ok', { n, endedMs: ended });
    run.succeed(n === 1 ? 'applied' : 'converged');
    return { done: true };
  }
  const verdict = classifyFailure(applied.stream.diagnostics, applied.stream.hooks);
  run.step('apply', started, verdict.race ? 'race pattern' : 'failed', { n, detail: verdict.reason, endedMs: ended });
  if (!verdict.race) {
    await stop();
    result.errors = applied.stream.errors;
    if (applied.stream.errors.length === 0) {
      const tail = applied.stream.text
        .filter((l) => l.trim() !== '')
        .slice(0, 3)
        .join(' | ');
      run.fail(
        `terraform apply ${n} exited (${applied.exit}) without reporting an error diagnostic: it may have crashed${tail ? `; its output: ${tail.slice(0, 300)}` : ''}`,
        [
          'Read the terraform output above (a crash prints a panic and a crash.log path). State may be locked: check it and `terraform force-unlock <id>` if needed.',
          'Plan again, review, and apply.',
        ],
      );
    } else {
      run.fail(
        `terraform apply ${n} failed: ${verdict.reason}; not retried (only the Elastic IP association race is)`,
        [...made, 'Fix the cause shown in the errors above, then plan again, review, and apply.'],
      );
    }
    return { done: true };
  }
  result.errors = applied.stream.errors;
  if (!canRetry) {
    await stop();
    run.fail(
      `terraform apply ${n} failed with the Elastic IP race's pattern (${verdict.reason}) and max-applies ${options.maxApplies} allows no other apply`,
      [
        `${EGRESS_DOWN} When the NAT gateways show deleted and their Elastic IPs no association, re-run the job (plan, review, apply) with max-applies ${Math.max(2, reviewed.expectedApplies)} or more.`,
      ],
    );
    return { done: true };
  }
  for (const e of verdict.raceErrors) watch.see(e);
  return { n, watch, verdict, stream: applied };
}

/** What to tell the operator about associations cutover made that terraform's state does not have yet. */
function importAdvice(tasks: readonly WatchTask[]): string[] {
  return tasks
    .filter(
      (t) =>
        t.associate?.outcome === 'associated' &&
        t.associate.associationId &&
        t.error.resourceType === 'aws_eip_association',
    )
    .map(
      (t) =>
        `cutover associated ${t.associate?.allocationId} with ${t.associate?.targetId} (${t.associate?.associationId}); bring it into state before planning: terraform import ${t.error.address} ${t.associate?.associationId}`,
    );
}

/** Phases confirm + wait: every race task's outcome, recorded on the timeline; undefined when the run ended. */
export async function waitPhase(
  run: CutoverRun,
  watch: RaceWatch,
  verdict: RaceVerdict,
): Promise<WatchTask[] | undefined> {
  const { result } = run;
  const tasks = await watch.settle();
  for (const t of tasks) {
    const w = t.wait;
    const confirmEnd = w.confirmedAt ?? w.endedAt;
    run.step('confirm', t.seenAt, w.confirmedAt !== undefined ? 'confirmed' : w.outcome, {
      detail: t.error.address,
      endedMs: confirmEnd,
    });
    if (w.confirmedAt !== undefined) {
      run.step('wait', w.confirmedAt, w.outcome, {
        detail: `${t.error.address}: ${w.polls} poll(s), ${w.ec2Calls} EC2 call(s)${w.throttled ? `, ${w.throttled} throttled` : ''}`,
        endedMs: w.releasedAt ?? w.endedAt,
      });
    }
  }
  result.waits = tasks.map((t) => t.wait);
  if (tasks[0]) result.wait = tasks[0].wait;
  const bad =
    tasks.find((t) => t.wait.outcome === 'cancelled') ??
    tasks.find((t) => t.wait.outcome === 'timeout') ??
    tasks.find((t) => t.wait.outcome === 'not-race');
  const made = importAdvice(tasks);
  if (bad) {
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
        'Look at the NAT gateways in the console; AWS support can help with a gateway stuck deleting. When the gateways show deleted and the Elastic IPs have no association, re-run the job (plan, review, apply).',
      ]);
    } else if ((w as { error?: boolean }).error) {
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
    return undefined;
  }
  const gateways = [...new Set(tasks.flatMap((t) => t.wait.gateways.map((g) => g.id)))];
  result.retriedBecause ||= `${verdict.reason}: the Elastic IP race, confirmed by EC2 (NAT gateway(s) ${gateways.join(', ')} being deleted held the addresses)`;
  for (const t of tasks) run.info(`${t.error.address}: ${t.wait.message}`);
  return tasks;
}

/**
 * Phase restore (restore: associate): records what the watch associated (timeline, egress gap), then imports
 * each association into terraform's state. Returns the imported addresses ([] for restore: reapply), or
 * undefined when the run ended (cancelled).
 */
export async function restorePhase(run: CutoverRun, tasks: readonly WatchTask[]): Promise<string[] | undefined> {
  const { options, result, clock } = run;
  const mode = options.restore ?? 'associate';
  const record = (result.restore ??= { mode, path: '', associations: [], imported: [] });
  if (mode === 'reapply') return [];
  const reasons = [...new Set(tasks.map((t) => t.notApplicable).filter((x): x is string => !!x))];
  if (reasons.length > 0) {
    record.notApplicable = reasons.join('; ');
    run.info(
      `Fast restore ${tasks.some((t) => t.associate?.outcome === 'associated') ? 'partly ' : ''}falls back to the re-apply path: ${record.notApplicable}`,
    );
  }
  const timings: RestoreTiming[] = [];
  for (const t of tasks) {
    const a = t.associate;
    if (!a) continue;
    record.associations.push(a);
    const released = t.wait.releasedAt;
    const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());
    timings.push({
      address: a.address,
      allocationId: a.allocationId,
      ...(released !== undefined ? { released: iso(released) } : {}),
      ...(a.sentAt !== undefined ? { sent: iso(a.sentAt) } : {}),
      ...(a.associatedAt !== undefined ? { associated: iso(a.associatedAt) } : {}),
      ...(released !== undefined && a.sentAt !== undefined ? { releaseToSentMs: a.sentAt - released } : {}),
      ...(released !== undefined && a.associatedAt !== undefined
        ? { releaseToAssociatedMs: a.associatedAt - released }
        : {}),
    });
    run.step('restore', a.sentAt ?? clock.now(), a.outcome, {
      detail: `${a.address}: ${a.allocationId} → ${a.targetId}${a.associationId ? ` (${a.associationId})` : ''}, ${a.attempts} attempt(s)`,
      endedMs: a.associatedAt ?? a.sentAt ?? clock.now(),
    });
    if (a.outcome === 'associated' && a.associatedAt !== undefined) {
      // Egress is back in this AZ now: the gap ends here, not at the convergence apply.
      run.hooks.push({
        type: 'apply_complete',
        address: a.address,
        resourceType: t.error.resourceType,
        action: 'create',
        at: a.associatedAt,
        stamped: false,
        ...(a.associationId ? { idValue: a.associationId } : {}),
      });
    }
  }
  if (timings.length > 0) result.timeline.restore = timings;
  const associated = tasks.filter((t) => t.associate?.outcome === 'associated');
  if (associated.length > 0) record.path = 'associate';
  if (tasks.some((t) => t.associate?.outcome === 'cancelled') || run.cancelled) {
    run.fail(
      'cancelled while associating the Elastic IPs',
      [EGRESS_DOWN, ...importAdvice(tasks), 'Re-run the job (plan, review, apply).'],
      { cancelled: true },
    );
    return undefined;
  }
  for (const t of associated) {
    const args = importArgs(
      t.associate as NonNullable<WatchTask['associate']>,
      t.error.resourceType === 'aws_eip' ? 'aws_eip' : 'aws_eip_association',
      options.applyArgs,
    );
    if (!args) continue; // an aws_eip reads its association when the re-plan refreshes it
    const started = clock.now();
    const imp = await run.terraform(`terraform import ${t.error.address}`, args);
    if (imp.interrupted) {
      run.step('import', started, 'interrupted', { detail: t.error.address });
      run.fail(
        `cancelled during terraform import of ${t.error.address}`,
        [
          ...importAdvice(tasks),
          'Egress is restored where cutover associated the addresses. Re-run the job (plan, review, apply) after the imports above.',
        ],
        { cancelled: true },
      );
      return undefined;
    }
    if (!imp.ok) {
      const why =
        imp.stream.errors[0]?.summary.split('\n')[0] ?? imp.stream.text.find((l) => /Error/.test(l)) ?? imp.exit;
      run.step('import', started, 'failed', { detail: `${t.error.address}: ${why}` });
      record.notApplicable = [
        record.notApplicable,
        `terraform import ${t.error.address} failed (${why}): re-applying instead`,
      ]
        .filter(Boolean)
        .join('; ');
      run.warn(
        `terraform import ${t.error.address} ${t.associate?.associationId} failed (${why}): falling back to the re-apply path`,
      );
      continue;
    }
    run.step('import', started, 'ok', { detail: `${t.error.address} ← ${t.associate?.associationId}` });
    record.imported.push(t.error.address);
  }
  for (const t of associated) if (t.error.resourceType === 'aws_eip') record.imported.push(t.error.address);
  return record.imported;
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
  const { options, result, clock } = run;
  const made = result.restore?.associations.filter((a) => a.outcome === 'associated') ?? [];
  const down =
    made.length > 0
      ? 'Egress is restored where cutover associated the addresses; the rest of the reviewed plan is not applied.'
      : EGRESS_DOWN;
  const planStart = clock.now();
  const replan = join(run.deps.tempDir, `cutover-replan-${process.pid}-${n + 1}.tfplan`);
  const planRun = await run.terraform(`terraform plan (for apply ${n + 1})`, [
    'plan',
    '-json',
    '-input=false',
    `-out=${replan}`,
    ...options.applyArgs,
  ]);
  if (planRun.interrupted) {
    run.step('plan', planStart, 'interrupted', { n: n + 1 });
    run.fail('cancelled during the re-plan', [down, 'Re-run the job (plan, review, apply).'], { cancelled: true });
    return undefined;
  }
  if (!planRun.ok) {
    run.step('plan', planStart, 'failed', { n: n + 1 });
    result.errors = planRun.stream.errors;
    run.fail(
      `the re-plan after the race failed (${planRun.exit})${planRun.stream.errors[0] ? `: ${planRun.stream.errors[0].summary.split('\n')[0]}` : ''}`,
      [down, 'Fix the error, then plan, review, and apply.'],
    );
    return undefined;
  }
  let next;
  try {
    next = await run.readPlan(replan, 're-plan', false);
  } catch (err) {
    run.step('plan', planStart, 'failed', { n: n + 1 });
    run.fail(`could not read the re-plan: ${describeError(err)}`, [down, 'Plan, review, and apply.']);
    return undefined;
  }
  const leftover = next.refs.filter((r) => imported.includes(r.address));
  if (leftover.length > 0) {
    const list = leftover.map((r) => `${r.kind} ${r.address}`);
    result.unexpected = list.map(
      (l) =>
        `${l}: cutover associated it and imported the association, but the configuration still wants a change there`,
    );
    run.step('plan', planStart, 'mismatch after import', { n: n + 1, detail: list.join(', ') });
    for (const u of result.unexpected) run.deps.out.line({ level: 'error', text: `after the import: ${u}` });
    run.fail(
      `the re-plan still changes ${list.join(', ')} after cutover associated and imported ${leftover.length === 1 ? 'it' : 'them'}: the association does not match the configuration; stopped, nothing more applied`,
      [
        'Egress is restored on the associations cutover made. Review the re-plan (plan-guard): the configuration wants something other than the reviewed association there; fix the configuration or apply the new plan through the reviewed path.',
      ],
    );
    return undefined;
  }
  const unexpected = unexpectedChanges(reviewed.plan.refs, next.refs);
  if (unexpected.length > 0) {
    result.unexpected = unexpected.map(describeUnexpected);
    run.step('plan', planStart, 'unexpected changes', {
      n: n + 1,
      detail: `${unexpected.length} change(s) not in the reviewed plan`,
    });
    for (const u of result.unexpected) run.deps.out.line({ level: 'error', text: `unexpected in the re-plan: ${u}` });
    run.fail(
      `the re-plan contains ${unexpected.length} change(s) that were not in the reviewed plan (first: ${result.unexpected[0]}): stopped, nothing more applied`,
      [`${down} Review the new plan (plan-guard) and apply it through the normal reviewed path.`],
    );
    return undefined;
  }
  if (next.refs.length === 0) {
    run.step('plan', planStart, 'no changes', { n: n + 1 });
    run.info('The re-plan has no changes left: the reviewed plan is fully applied.');
    rmSync(replan, { force: true });
    run.succeed('converged');
    return undefined;
  }
  run.step('plan', planStart, 'ok', {
    n: n + 1,
    detail: next.refs
      .map((r) => `${r.kind} ${r.address}`)
      .join(', ')
      .slice(0, 300),
  });
  run.info(`The re-plan finishes the reviewed plan: ${next.refs.map((r) => `${r.kind} ${r.address}`).join(', ')}`);
  if (result.restore && result.restore.path === '') result.restore.path = 'reapply';
  return replan;
}
