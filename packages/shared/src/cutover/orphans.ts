/**
 * Phase orphans, before the first apply: an interrupted apply can leave objects it created but never recorded
 * (terraform persists state only on resource completions ≥ 20 s apart, so a kill before the gateways finish
 * deleting loses every create: /work/notes/research-19.md §3, §6). For each create in the reviewed plan the object
 * is looked up by its planned identity (nat/identity.ts; EC2 in nat/orphans.ts, IAM here):
 *
 * - found and matching the reviewed configuration → `terraform import` (journal first), then a re-plan that may
 *   differ from the reviewed plan only where an import made a reviewed create a no-op or an in-place update of the
 *   imported object (converge.ts otherwise), and that re-plan is applied instead;
 * - found and not matching (or two for one address) → stop before applying, with the exact commands;
 * - nothing found → the reviewed plan is applied as it is.
 *
 * The apply never silently duplicates a NAT instance or gateway (a local-state kill would: two per AZ).
 */
import { GetInstanceProfileCommand, GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { awsErrorCode } from '../aws/index';
import { canonicalJson } from '../plan/index';
import { managedIds, plannedIdentities, type PlannedIdentity } from '../nat/identity';
import { findEc2Objects, type FoundObject } from '../nat/orphans';
import { describeError } from '../runtime/index';
import { NOTHING_APPLIED } from './advice';
import { within } from './bounded';
import { describeUnexpected, unexpectedChanges, type ChangeRef } from './converge';
import { describeRun, Journal, unsettled } from './journal';
import { importFailure, importRecorded } from './import';
import type { Reviewed } from './preflight';
import type { CutoverRun } from './run';

/**
 * Why look for orphans: an earlier run of this workflow and environment did not see an apply or import it started
 * finish (the journal: pending, or ended other than with exit code 0, in a run that did not end finished and was not
 * reconciled since), or there is no
 * history to tell (the journal is not beside the state, or was unreadable). Undefined: nothing can have been left
 * (or, for a run given an in-memory or a test's own journal, nothing is known).
 */
export function lookUpBecause(run: CutoverRun): string | undefined {
  const journal = run.journal;
  if (!(journal instanceof Journal)) return undefined; // a test's own CutoverJournal: no history

  if (journal.historyUnknown) return 'the journal could not be read';
  if (!journal.store.durable && journal.store.location !== '(memory)') return 'the journal does not outlive the runner';
  const unfinished = journal.earlier.find(
    (r) =>
      unsettled(r) &&
      r.entries.some(
        (e) =>
          e.intent.kind === 'terraform' &&
          (e.intent.command === 'apply' || e.intent.command === 'import') &&
          e.done?.facts.exit !== 'exit code 0',
      ),
  );
  return unfinished ? `${describeRun(unfinished.run)} did not see its terraform apply or import finish` : undefined;
}

/** terraform import's answer for an id whose object the provider reads as gone (research-19 §4). */
const NOT_LIVE = /Cannot import non-existent remote object/;

/** Bound of all the look-ups together. */
const LOOKUP_MS = 60_000;

function policyOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    return canonicalJson(JSON.parse(decodeURIComponent(text)));
  } catch {
    return undefined;
  }
}

/** The IAM role and instance profile the plan creates, when they exist (IAM: iam:GetRole, iam:GetInstanceProfile). */
async function iamObjects(
  iam: IAMClient,
  identities: readonly PlannedIdentity[],
  managed: Set<string>,
): Promise<FoundObject[]> {
  const out: FoundObject[] = [];
  for (const i of identities) {
    const name = i.known.name;
    if (!name || managed.has(name) || (i.type !== 'aws_iam_role' && i.type !== 'aws_iam_instance_profile')) continue;
    try {
      if (i.type === 'aws_iam_role') {
        const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
        const planned = policyOf(i.known.assume_role_policy);
        const mismatch = planned && planned !== policyOf(role?.AssumeRolePolicyDocument) ? ['assume_role_policy'] : [];
        out.push({ identity: i, id: name, importId: name, mismatch });
      } else {
        const p = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
        const roles = (p?.Roles ?? []).map((r) => r.RoleName ?? '');
        const mismatch =
          i.known.role && !roles.includes(i.known.role) ? [`role (AWS: ${roles.join(', ') || 'none'})`] : [];
        out.push({ identity: i, id: name, importId: name, mismatch });
      }
    } catch (err) {
      if (awsErrorCode(err) !== 'NoSuchEntity') throw err;
    }
  }
  return out;
}

/** How to remove an object the reviewed configuration does not want (AWS CLI), per type. */
function removeCommand(f: FoundObject): string {
  switch (f.identity.type) {
    case 'aws_instance':
      return `aws ec2 terminate-instances --instance-ids ${f.id}`;
    case 'aws_nat_gateway':
      return `aws ec2 delete-nat-gateway --nat-gateway-id ${f.id}`;
    case 'aws_security_group':
      return `aws ec2 delete-security-group --group-id ${f.id}`;
    case 'aws_iam_role':
      return `aws iam delete-role --role-name ${f.id}`;
    case 'aws_iam_instance_profile':
      return `aws iam delete-instance-profile --instance-profile-name ${f.id}`;
    default:
      return `(remove ${f.id} in AWS)`;
  }
}

/** Found objects that cannot be imported as they are: not matching, or more than one for an address. */
function conflicts(found: readonly FoundObject[]): Array<{ address: string; objects: FoundObject[]; why: string }> {
  const byAddress = new Map<string, FoundObject[]>();
  for (const f of found) byAddress.set(f.identity.address, [...(byAddress.get(f.identity.address) ?? []), f]);
  const out: Array<{ address: string; objects: FoundObject[]; why: string }> = [];
  for (const [address, objects] of byAddress) {
    if (objects.length > 1) out.push({ address, objects, why: `${objects.length} objects exist for it` });
    else if ((objects[0]?.mismatch.length ?? 0) > 0)
      out.push({ address, objects, why: `it differs in ${objects[0]?.mismatch.join(', ')}` });
  }
  return out;
}

async function lookUp(run: CutoverRun, identities: PlannedIdentity[], reviewed: Reviewed): Promise<FoundObject[]> {
  const managed = managedIds(reviewed.plan.natChanges);
  const iam = run.deps.iam;
  return within(
    async () => {
      const found =
        iam && identities.some((i) => i.type.startsWith('aws_iam_'))
          ? await iamObjects(iam(), identities, managed)
          : [];
      return findEc2Objects(run.deps.ec2(), identities, managed, found);
    },
    {
      clock: run.clock,
      deadline: run.clock.now() + LOOKUP_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: 'looking for objects an interrupted apply left outside the state',
    },
  );
}

/** Stops before applying: objects exist that the reviewed configuration does not describe. */
function refuseConflicts(run: CutoverRun, started: number, list: ReturnType<typeof conflicts>): undefined {
  const lines = list.map(
    (c) => `${c.address}: ${c.objects.map((o) => o.id).join(', ')} exist(s) outside terraform's state, but ${c.why}`,
  );
  for (const l of lines) run.deps.out.line({ level: 'error', text: `orphan: ${l}` });
  run.step('orphans', started, 'conflict', { detail: lines.join('; ').slice(0, 300) });
  const steps = list.flatMap((c) =>
    c.objects.map(
      (o) =>
        `${c.address}: either remove ${o.id} (${removeCommand(o)}) or, if it is the one you want, ` +
        `terraform import '${c.address}' ${o.importId}`,
    ),
  );
  run.fail(
    `objects an interrupted apply left exist outside terraform's state and do not match the reviewed plan ` +
      `(first: ${lines[0]}): stopped before applying, so that nothing is duplicated`,
    [
      NOTHING_APPLIED.replace('Nothing was applied', 'Nothing was applied by this run'),
      ...steps,
      'Then plan, review and apply again.',
    ],
  );
  return undefined;
}

/** The re-plan after the imports; may differ from the reviewed plan only where an import made a create an update. */
async function replanAfterImports(run: CutoverRun, reviewed: Reviewed, imported: string[], started: number) {
  const file = join(run.deps.tempDir, `cutover-import-replan-${process.pid}.tfplan`);
  const planRun = await run.terraform('terraform plan (after importing)', [
    'plan',
    '-json',
    '-input=false',
    `-out=${file}`,
    ...run.options.applyArgs,
  ]);
  if (!planRun.ok) {
    run.step('orphans', started, planRun.interrupted ? 'interrupted' : 'failed', { detail: 're-plan after imports' });
    const first = planRun.stream.errors[0]?.summary.split('\n')[0];
    run.fail(
      planRun.interrupted
        ? 'cancelled during the re-plan after the imports'
        : `the re-plan after importing ${imported.join(', ')} failed${first ? `: ${first}` : ''}`,
      ['Nothing of the reviewed plan was applied; the imports are in the state. Re-run the workflow.'],
      { cancelled: planRun.interrupted },
    );
    return undefined;
  }
  const next = await run.readPlan(file, 're-plan after imports', false);
  const allowed: ChangeRef[] = [
    ...reviewed.plan.refs,
    ...reviewed.plan.refs
      .filter((r) => imported.includes(r.address) && r.kind === 'create')
      .map((r) => ({ address: r.address, kind: 'update' })),
  ];
  const unexpected = unexpectedChanges(allowed, next.refs);
  if (unexpected.length > 0) {
    run.result.unexpected = unexpected.map(describeUnexpected);
    run.step('orphans', started, 'unexpected changes', { detail: run.result.unexpected[0] ?? '' });
    rmSync(file, { force: true });
    run.fail(
      `after importing ${imported.join(', ')} the re-plan contains ${unexpected.length} change(s) that were not in ` +
        `the reviewed plan (first: ${run.result.unexpected[0]}): stopped, nothing applied`,
      ['The imports are in the state. Plan again, review (plan-guard) and apply.'],
    );
    return undefined;
  }
  return { file, next, allowed };
}

/**
 * The addresses in the current state (`terraform state list`; undefined when it fails: the look-up goes on). A
 * reviewed create (not a replace) whose address the state already has means the state moved since the plan (an
 * earlier run applied part of it before it was cancelled): the saved plan is stale — terraform would refuse it, and
 * importing objects the state already manages would fail. The create half of a replace (a tainted object) has its
 * address in the state: the object there is terraform's, not an orphan, and is not looked up.
 */
async function stateAddresses(run: CutoverRun): Promise<Set<string> | undefined> {
  const list = await run.terraform('terraform state list', ['state', 'list']);
  return list.ok ? new Set(list.stream.text.map((l) => l.trim())) : undefined;
}

function staleBeforeApplying(run: CutoverRun, started: number, addresses: string[]): undefined {
  run.step('orphans', started, 'stale plan', { detail: addresses.join(', ').slice(0, 300) });
  const more = addresses.length > 1 ? ` (and ${addresses.length - 1} more)` : '';
  run.fail(
    `the saved plan is stale: it creates ${addresses[0]}${more}, which the state already has (an earlier run ` +
      'applied part of this plan); it can never be applied; not retried',
    [
      'Nothing was applied by this run. Re-run the whole workflow: plan again, review the new plan (plan-guard), ' +
        'and apply it (re-running only the apply job re-uses this stale plan).',
    ],
    { stale: true },
  );
  return undefined;
}

/** Imports each found object (journal first); the addresses imported, or undefined when the run ended. */
async function importAll(
  run: CutoverRun,
  found: readonly FoundObject[],
  started: number,
): Promise<string[] | undefined> {
  const imported: string[] = [];
  for (const f of found) {
    run.info(
      `${f.identity.address}: ${f.id} exists outside terraform's state (left by an interrupted apply): importing it`,
    );
    const { imp, journal } = await importRecorded(run, f.identity.address, f.importId);
    if (imp && !imp.ok && !imp.interrupted && NOT_LIVE.test(importFailure(imp))) {
      // The provider reads no live object there (e.g. a NAT gateway that failed or is deleting): an apply creates
      // the planned one, as it would have without it; nothing is duplicated.
      run.warn(
        `${f.identity.address}: terraform sees no live object ${f.id} (Cannot import non-existent remote ` +
          'object): not an orphan; the apply creates the planned one',
      );
      continue;
    }
    if (!imp || !imp.ok) {
      const why = imp ? importFailure(imp) : journal;
      run.step('orphans', started, imp?.interrupted ? 'interrupted' : 'import failed', {
        detail: `${f.identity.address}: ${why}`,
      });
      run.fail(
        imp?.interrupted
          ? `cancelled while importing ${f.identity.address}`
          : `terraform import ${f.identity.address} ${f.importId} failed: ${why}`,
        [
          'Nothing of the reviewed plan was applied.',
          `Import it by hand (terraform import '${f.identity.address}' ${f.importId}) or ` +
            `remove it (${removeCommand(f)}), then plan, review and apply again.`,
        ],
        { cancelled: imp?.interrupted === true },
      );
      return undefined;
    }
    imported.push(f.identity.address);
  }
  return imported;
}

/**
 * Phase orphans (see the file comment). Returns what to apply: the reviewed plan as it is when nothing was found;
 * after imports, the re-plan (planPath) with its NAT changes (for the race watch) and the reviewed changes plus the
 * updates the imports allow (for every later subset check). Undefined when the run ended (run.result says how).
 */
export async function orphanPhase(run: CutoverRun, reviewed: Reviewed): Promise<Reviewed | undefined> {
  const identities = plannedIdentities(reviewed.plan.natChanges);
  const why = lookUpBecause(run);
  if (identities.length === 0 || !why) return reviewed;
  run.info(`Looking for objects an interrupted apply may have left outside the state (${why}).`);
  const started = run.clock.now();
  const inState = await stateAddresses(run);
  const stale = identities.filter((i) => i.action === 'create' && inState?.has(i.address)).map((i) => i.address);
  if (stale.length > 0) return staleBeforeApplying(run, started, stale);
  const wanted = identities.filter((i) => !inState?.has(i.address));
  if (wanted.length === 0) return reviewed;
  let found: FoundObject[];
  try {
    found = await lookUp(run, wanted, reviewed);
  } catch (err) {
    run.step('orphans', started, 'failed', { detail: describeError(err) });
    run.fail(
      `could not look for objects an interrupted apply may have left outside the state: ${describeError(err)}; ` +
        'refusing to apply (the apply could duplicate them)',
      [
        NOTHING_APPLIED,
        'Grant the look-ups in docs/iam/cutover.json (Describe*, iam:GetRole, iam:GetInstanceProfile), then ' +
          're-run the job.',
      ],
      { cancelled: run.cancelled },
    );
    return undefined;
  }
  if (found.length === 0) {
    run.step('orphans', started, 'none', { detail: `${wanted.length} planned create(s) looked up` });
    return reviewed;
  }
  const bad = conflicts(found);
  if (bad.length > 0) return refuseConflicts(run, started, bad);
  const imported = await importAll(run, found, started);
  if (!imported) return undefined;
  run.recovery.imported.push(
    ...found.filter((f) => imported.includes(f.identity.address)).map((f) => `${f.identity.address} ← ${f.importId}`),
  );
  if (imported.length === 0) {
    run.step('orphans', started, 'none', { detail: 'found objects terraform sees as gone' });
    return reviewed;
  }
  const planned = await replanAfterImports(run, reviewed, imported, started);
  if (!planned) return undefined;
  run.step('orphans', started, 'imported', { detail: imported.join(', ').slice(0, 300) });
  run.info(
    `Imported ${imported.length} object(s) left outside the state; applying the re-plan: ` +
      (planned.next.refs.map((r) => `${r.kind} ${r.address}`).join(', ') || 'nothing left'),
  );
  return {
    ...reviewed,
    plan: { ...reviewed.plan, refs: planned.allowed, natChanges: planned.next.natChanges },
    planPath: planned.file,
  };
}
