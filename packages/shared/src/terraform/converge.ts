/**
 * The convergence check: after the race, the re-plan may only contain what the reviewed plan already
 * contained and did not finish (the EIP associations, perhaps route updates). A change at an address the
 * reviewed plan did not change, or an action the reviewed plan did not intend there, means the world or the
 * configuration moved since the review: stop and show it instead of applying something nobody reviewed.
 */
import { actionKind, type ResourceChange } from '../plan/index';

export interface ChangeRef {
  address: string;
  kind: string;
  deposed?: string;
  reason?: string;
}

/** The changes of a plan that do something (no-ops and data-source reads left out). */
export function changeRef(rc: ResourceChange): ChangeRef | undefined {
  const kind = actionKind(rc.change.actions);
  if (kind === 'no-op' || kind === 'read' || rc.mode === 'data') return undefined;
  const ref: ChangeRef = { address: rc.address, kind };
  if (rc.deposed) ref.deposed = rc.deposed;
  if (rc.action_reason) ref.reason = rc.action_reason;
  return ref;
}

/**
 * May a re-plan do `next` at an address where the reviewed plan did `reviewed`? What is left of a partly
 * applied change is compatible: a replace may become its create or its delete (a deposed object), a create
 * may become a replace only because the failed apply left the new object tainted.
 */
export function compatibleAction(reviewed: string, next: ChangeRef): boolean {
  if (reviewed === next.kind) return true;
  if (reviewed === 'replace') return next.kind === 'create' || next.kind === 'delete';
  if (reviewed === 'create') return next.kind === 'replace' && next.reason === 'replace_because_tainted';
  return false;
}

export interface UnexpectedChange {
  change: ChangeRef;
  /** What the reviewed plan did at that address, if anything. */
  reviewed?: string;
}

export function unexpectedChanges(reviewed: readonly ChangeRef[], replan: readonly ChangeRef[]): UnexpectedChange[] {
  const byAddress = new Map<string, string[]>();
  for (const r of reviewed) byAddress.set(r.address, [...(byAddress.get(r.address) ?? []), r.kind]);
  const out: UnexpectedChange[] = [];
  for (const next of replan) {
    const kinds = byAddress.get(next.address);
    if (!kinds) out.push({ change: next });
    else if (!kinds.some((k) => compatibleAction(k, next))) out.push({ change: next, reviewed: kinds.join('/') });
  }
  return out;
}

export function describeUnexpected(u: UnexpectedChange): string {
  const what = `${u.change.kind} ${u.change.address}${u.change.deposed ? ` (deposed ${u.change.deposed})` : ''}`;
  return u.reviewed ? `${what}: the reviewed plan would ${u.reviewed} it` : `${what}: not in the reviewed plan`;
}
