/**
 * Phase restore (restore: associate): what the watch associated goes on the record (timeline, per-address
 * timings, the egress gap ends at the association), then each association is imported into terraform's state
 * (`terraform import`); an import that fails falls back to the re-apply path for that address.
 */
import { EGRESS_DOWN, importAdvice } from './advice';
import { importFailure, importRecorded } from './import';
import { importArgs, type AssociateResult } from './restore';
import type { CutoverRun, RestoreRecord } from './run';
import type { RestoreTiming } from './timeline';
import type { WatchTask } from './watch';

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** One address's way back: release → AssociateAddress sent → associated. */
function restoreTiming(a: AssociateResult, released: number | undefined): RestoreTiming {
  return {
    address: a.address,
    allocationId: a.allocationId,
    ...(released !== undefined ? { released: iso(released) } : {}),
    ...(a.sentAt !== undefined ? { sent: iso(a.sentAt) } : {}),
    ...(a.associatedAt !== undefined ? { associated: iso(a.associatedAt) } : {}),
    ...(released !== undefined && a.sentAt !== undefined ? { releaseToSentMs: a.sentAt - released } : {}),
    ...(released !== undefined && a.associatedAt !== undefined
      ? { releaseToAssociatedMs: a.associatedAt - released }
      : {}),
  };
}

/** Records each association the watch made or tried: the record, a restore step, the timings, the gap's end. */
function recordAssociations(run: CutoverRun, tasks: readonly WatchTask[], record: RestoreRecord): void {
  const { clock } = run;
  const timings: RestoreTiming[] = [];
  for (const t of tasks) {
    const a = t.associate;
    if (!a) continue;
    record.associations.push(a);
    timings.push(restoreTiming(a, t.wait.releasedAt));
    run.step('restore', a.sentAt ?? clock.now(), a.outcome, {
      detail:
        `${a.address}: ${a.allocationId} → ${a.targetId}${a.associationId ? ` (${a.associationId})` : ''}, ` +
        `${a.attempts} attempt(s)`,
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
  if (timings.length > 0) run.result.timeline.restore = timings;
}

/**
 * `terraform import` of one association cutover made: 'imported', 'skipped' (an aws_eip reads its association
 * when the re-plan refreshes it), 'failed' (the re-apply path takes it), or 'interrupted' (the run ended).
 */
async function importAssociation(
  run: CutoverRun,
  t: WatchTask,
  tasks: readonly WatchTask[],
  record: RestoreRecord,
): Promise<'imported' | 'skipped' | 'failed' | 'interrupted'> {
  const a = t.associate as AssociateResult;
  const type = t.error.resourceType === 'aws_eip' ? 'aws_eip' : 'aws_eip_association';
  if (!importArgs(a, type, run.options.applyArgs)) return 'skipped';
  const started = run.clock.now();
  const recorded = await importRecorded(run, t.error.address, a.associationId as string);
  if (!recorded.imp) {
    run.step('import', started, 'failed', { detail: `${t.error.address}: ${recorded.journal}` });
    record.notApplicable = [record.notApplicable, `${recorded.journal}: re-applying instead`]
      .filter(Boolean)
      .join('; ');
    run.warn(`${recorded.journal}: falling back to the re-apply path`);
    return 'failed';
  }
  const imp = recorded.imp;
  if (imp.interrupted) {
    run.step('import', started, 'interrupted', { detail: t.error.address });
    run.fail(
      `cancelled during terraform import of ${t.error.address}`,
      [
        ...importAdvice(tasks),
        'Egress is restored where cutover associated the addresses. Re-run all jobs of the workflow (plan, review, ' +
          'apply) after the imports above.',
      ],
      { cancelled: true },
    );
    return 'interrupted';
  }
  if (!imp.ok) {
    const why = importFailure(imp);
    run.step('import', started, 'failed', { detail: `${t.error.address}: ${why}` });
    record.notApplicable = [
      record.notApplicable,
      `terraform import ${t.error.address} failed (${why}): re-applying instead`,
    ]
      .filter(Boolean)
      .join('; ');
    run.warn(
      `terraform import ${t.error.address} ${a.associationId} failed (${why}): falling back to the re-apply path`,
    );
    return 'failed';
  }
  run.step('import', started, 'ok', { detail: `${t.error.address} ← ${a.associationId}` });
  record.imported.push(t.error.address);
  return 'imported';
}

/**
 * Phase restore (restore: associate): records what the watch associated (timeline, egress gap), then imports
 * each association into terraform's state. Returns the imported addresses ([] for restore: reapply), or
 * undefined when the run ended (cancelled).
 */
export async function restorePhase(run: CutoverRun, tasks: readonly WatchTask[]): Promise<string[] | undefined> {
  const { options, result } = run;
  const mode = options.restore ?? 'associate';
  const record = (result.restore ??= { mode, path: '', associations: [], imported: [] });
  if (mode === 'reapply') return [];
  const reasons = [...new Set(tasks.map((t) => t.notApplicable).filter((x): x is string => !!x))];
  if (reasons.length > 0) {
    record.notApplicable = reasons.join('; ');
    const partly = tasks.some((t) => t.associate?.outcome === 'associated') ? 'partly ' : '';
    run.info(`Fast restore ${partly}falls back to the re-apply path: ${record.notApplicable}`);
  }
  recordAssociations(run, tasks, record);
  const associated = tasks.filter((t) => t.associate?.outcome === 'associated');
  if (associated.length > 0) record.path = 'associate';
  if (tasks.some((t) => t.associate?.outcome === 'cancelled') || run.cancelled) {
    run.fail(
      'cancelled while associating the Elastic IPs',
      [EGRESS_DOWN, ...importAdvice(tasks), 'Re-run all jobs of the workflow (plan, review, apply).'],
      { cancelled: true },
    );
    return undefined;
  }
  for (const t of associated) if ((await importAssociation(run, t, tasks, record)) === 'interrupted') return undefined;
  for (const t of associated) if (t.error.resourceType === 'aws_eip') record.imported.push(t.error.address);
  return record.imported;
}
