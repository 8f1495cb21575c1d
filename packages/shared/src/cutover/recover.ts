/**
 * Phase recover, first in every run (and all of `operation: recover`, which the plan job runs before planning):
 *
 * 1. the journal can be written (apply: a cutover that cannot record its changes before making them does not start);
 * 2. what earlier runs of this workflow and environment left, reconciled with AWS — AWS facts win where both exist:
 *    DescribeAddresses for associations (AssociateAddress to the same target is idempotent, the apply or the
 *    orphan import finishes it), DescribeRouteTables for bridge routes, the state (the orphan look-up) for imports,
 *    the lock object for locks;
 * 3. the state lock: none → go on; a lock an earlier run recorded and that is no longer running → released with
 *    `terraform force-unlock -force <ID>` and a log line; any other lock → stop at once, naming who holds it since
 *    when, and the command that would release it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeAddressesCommand, DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import { defaultRouteOf } from '../nat/index';
import { describeError } from '../runtime/index';
import { NOTHING_APPLIED } from './advice';
import { within } from './bounded';
import { describeRun, Journal, unsettled } from './journal';
import type { JournalEntry, JournalRun } from './journal-types';
import { describeLock, judgeLock, type LockInfo } from './lock';
import type { CutoverRun } from './run';
import { ERRORED_STATE, erroredStateAdvice } from './state-errors';

/** Bound of the reconcile's AWS reads (all together) and of reading the lock. */
const RECONCILE_MS = 30_000;

type Intent<K extends JournalEntry['intent']['kind']> = Extract<JournalEntry['intent'], { kind: K }>;

function pending(runs: readonly JournalRun[]): Array<{ run: JournalRun; entry: JournalEntry }> {
  return runs.flatMap((run) => run.entries.map((entry) => ({ run, entry })));
}

/** What each association an earlier run made or tried looks like in EC2 now. */
async function associations(run: CutoverRun, items: ReturnType<typeof pending>): Promise<string[]> {
  const wanted = items.filter((x) => x.entry.intent.kind === 'associate');
  if (wanted.length === 0) return [];
  const ids = [...new Set(wanted.map((x) => (x.entry.intent as Intent<'associate'>).allocationId))];
  const out = await run.deps.ec2().send(new DescribeAddressesCommand({ AllocationIds: ids }));
  return wanted.map(({ run: r, entry }) => {
    const i = entry.intent as Intent<'associate'>;
    const a = (out.Addresses ?? []).find((x) => x.AllocationId === i.allocationId);
    const holder = a?.InstanceId ?? a?.NetworkInterfaceId;
    const now = !a
      ? 'EC2 no longer has the address'
      : holder === i.targetId
        ? `EC2 shows it associated (${a.AssociationId}): the state gets it by import if the plan still creates it`
        : holder
          ? `EC2 shows it with ${holder}`
          : 'EC2 shows it unassociated: the apply associates it';
    const did = entry.done ? 'associated' : 'was associating';
    return `${describeRun(r.run)} ${did} ${i.allocationId} with ${i.targetId} (${i.address}); ${now}`;
  });
}

/** Bridge routes an earlier run made and did not put back: where each route points now (EC2). */
async function bridges(run: CutoverRun, items: ReturnType<typeof pending>): Promise<string[]> {
  const open = items.filter(
    (x) =>
      x.entry.intent.kind === 'bridge' &&
      !items.some(
        (y) =>
          y.entry.intent.kind === 'unbridge' &&
          y.entry.done &&
          y.entry.intent.routeTableId === (x.entry.intent as Intent<'bridge'>).routeTableId &&
          y.entry.at >= x.entry.at,
      ),
  );
  if (open.length === 0) return [];
  const tables = [...new Set(open.map((x) => (x.entry.intent as Intent<'bridge'>).routeTableId))];
  const out = await run.deps.ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: tables }));
  return open.map(({ run: r, entry }) => {
    const i = entry.intent as Intent<'bridge'>;
    const table = (out.RouteTables ?? []).find((t) => t.RouteTableId === i.routeTableId);
    const target = table ? defaultRouteOf(table).target : '';
    const where = !target
      ? 'it has no default route now'
      : target === i.to
        ? 'it is still bridged'
        : `it points at ${target}`;
    return `${describeRun(r.run)} bridged ${i.az} (${i.routeTableId}) from ${i.from} to ${i.to}; ${where}`;
  });
}

/** Lines for the terraform commands and imports earlier runs did not see finish. */
function unfinished(items: ReturnType<typeof pending>): string[] {
  const lines: string[] = [];
  for (const { run: r, entry } of items) {
    const i = entry.intent;
    if (i.kind === 'terraform' && !entry.done)
      lines.push(`${describeRun(r.run)} stopped during terraform ${i.command} (${i.detail}), started ${entry.at}`);
    if (i.kind === 'import' && !entry.done)
      lines.push(
        `${describeRun(r.run)} was importing ${i.address} (${i.id}): brought in by the look-up for objects outside ` +
          'the state if the plan still creates it',
      );
  }
  return lines;
}

/** Step 2: what earlier runs left, with AWS's view; a failing read is a warning (the lock and orphans decide). */
async function reconcile(run: CutoverRun, journal: Journal): Promise<void> {
  const runs = journal.earlier.filter((r) => unsettled(r) && r.entries.length > 0);
  if (runs.length === 0) return;
  const items = pending(runs);
  const lines = unfinished(items);
  try {
    const aws = await within(async () => [...(await associations(run, items)), ...(await bridges(run, items))], {
      clock: run.clock,
      deadline: run.clock.now() + RECONCILE_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: 'reading what earlier runs left (EC2)',
    });
    lines.push(...aws);
  } catch (err) {
    run.warn(`recover: could not check what earlier runs left with EC2: ${describeError(err)}`);
  }
  run.recovery.found.push(...lines);
  for (const l of lines) run.info(`journal: ${l}`);
}

/** Step 3 for a lock that is an earlier run's: force-unlock it. False when that failed (the run ended). */
async function release(run: CutoverRun, lock: LockInfo, owner: string, started: number): Promise<boolean> {
  run.info(`The state is locked by ${describeLock(lock)}, left by ${owner} (journal): releasing it.`);
  const r = await run.terraform(`terraform force-unlock ${lock.ID}`, ['force-unlock', '-force', lock.ID]);
  const rec = run.recovery;
  if (r.ok) {
    rec.lock = { id: lock.ID, who: lock.Who, created: lock.Created, operation: lock.Operation, released: true };
    rec.done.push(`released the state lock ${lock.ID} left by ${owner} (terraform force-unlock -force ${lock.ID})`);
    run.info(`Released the state lock ${lock.ID} left by ${owner} (terraform force-unlock -force ${lock.ID}).`);
    return true;
  }
  const why = r.stream.errors[0]?.summary ?? r.stream.text.find((l) => /Failed|Error/.test(l))?.trim() ?? r.exit;
  run.step('recover', started, 'failed', { detail: `force-unlock ${lock.ID}: ${why}` });
  run.fail(
    `could not release the state lock ${lock.ID} left by ${owner}: ${why}`,
    [
      NOTHING_APPLIED,
      `Release it: terraform force-unlock -force ${lock.ID} (in ${run.options.workingDirectory}), then re-run.`,
    ],
    { cancelled: r.interrupted },
  );
  return false;
}

/** Step 3 (see the file comment). False when the run ended. */
async function inspectLock(run: CutoverRun, journal: Journal | undefined, started: number): Promise<boolean> {
  const reader = run.deps.stateLock;
  if (!reader) return true;
  let lock: LockInfo | undefined;
  try {
    lock = await within(() => reader.read(), {
      clock: run.clock,
      deadline: run.clock.now() + RECONCILE_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: `reading the state lock ${reader.location}`,
    });
  } catch (err) {
    run.step('recover', started, 'failed', { detail: describeError(err) });
    run.fail(
      `could not read the state lock: ${describeError(err)}`,
      [NOTHING_APPLIED, `Grant s3:GetObject on ${reader.location} (docs/iam/cutover.json), then re-run.`],
      { cancelled: run.cancelled },
    );
    return false;
  }
  if (!lock) return true;
  const verdict = journal
    ? judgeLock(lock, journal)
    : { kind: 'foreign' as const, lock, why: 'no journal to say whose' };
  if (verdict.kind === 'stale')
    return release(run, lock, `${describeRun(verdict.run.run)} (no longer running)`, started);
  run.recovery.lock = { id: lock.ID, who: lock.Who, created: lock.Created, operation: lock.Operation, released: false };
  run.step('recover', started, 'locked', { detail: describeLock(lock) });
  run.fail(`the state is locked by ${describeLock(lock)}: ${verdict.why}; not released`, [
    NOTHING_APPLIED,
    'If that terraform is still running (a person, another tool or another run), wait for it and re-run.',
    `If nobody holds it any more, release it: terraform force-unlock -force ${lock.ID} ` +
      `(in ${run.options.workingDirectory}), then re-run the job.`,
  ]);
  return false;
}

/**
 * Phase recover (see the file comment). `writeJournal`: the journal must be writable (apply). Returns false when the
 * run ended (run.result says how).
 */
export async function recoverPhase(run: CutoverRun, writeJournal: boolean): Promise<boolean> {
  const started = run.clock.now();
  const journal = run.journal instanceof Journal ? run.journal : undefined;
  if (journal) {
    run.recovery.journal = journal.store.location;
    run.recovery.durable = journal.store.durable;
    if (writeJournal) {
      try {
        await journal.begin();
      } catch (err) {
        run.step('recover', started, 'failed', { detail: describeError(err) });
        run.fail(`${describeError(err)}: the cutover records its changes there before making them; refusing to apply`, [
          NOTHING_APPLIED,
          `Grant s3:GetObject and s3:PutObject on ${journal.store.location} (docs/iam/cutover.json), then re-run.`,
        ]);
        return false;
      }
    }
    await reconcile(run, journal);
  }
  if (writeJournal && existsSync(join(run.options.workingDirectory, ERRORED_STATE))) {
    run.step('recover', started, 'errored state', { detail: ERRORED_STATE });
    run.fail(
      `${ERRORED_STATE} is in the working directory: an earlier apply could not write the state to its backend; ` +
        'applying now would fork the state',
      erroredStateAdvice(run.options.workingDirectory, []),
    );
    return false;
  }
  if (!(await inspectLock(run, journal, started))) return false;
  const rec = run.result.recovery;
  const said = rec ? rec.found.length + rec.done.length : 0;
  // An in-memory journal and no lock to read (tests): nothing was looked at, no step.
  if (said === 0 && !run.deps.stateLock && (!journal || journal.store.location === '(memory)')) return true;
  run.step('recover', started, said > 0 ? 'reconciled' : 'nothing left', {
    ...(rec && said > 0 ? { detail: [...rec.done, ...rec.found].join('; ').slice(0, 300) } : {}),
  });
  return true;
}
