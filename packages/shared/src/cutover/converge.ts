/**
 * The convergence check: after the race, the re-plan may only contain what the reviewed plan already
 * contained and did not finish (the EIP associations, perhaps route updates). A change at an address the
 * reviewed plan did not change, or an action the reviewed plan did not intend there, means the world or the
 * configuration moved since the review: stop and show it instead of applying something nobody reviewed.
 */
import { actionKind, changedAttributes, knownAfterValues, type ResourceChange } from '../plan/index';

export interface ChangeRef {
  address: string;
  kind: string;
  deposed?: string;
  reason?: string;
  /**
   * The planned top-level values that are known at plan time (canonical JSON by attribute), so a re-plan
   * that would set a known attribute to something else than was reviewed is caught. Never printed.
   */
  known?: Record<string, string>;
  /** Known attributes the change leaves as they are (after = before): names only. */
  unchanged?: string[];
}

/** The changes of a plan that do something (no-ops and data-source reads left out). */
export function changeRef(rc: ResourceChange): ChangeRef | undefined {
  const kind = actionKind(rc.change.actions);
  if (kind === 'no-op' || kind === 'read' || rc.mode === 'data') return undefined;
  const ref: ChangeRef = { address: rc.address, kind };
  if (rc.deposed) ref.deposed = rc.deposed;
  if (rc.action_reason) ref.reason = rc.action_reason;
  const known = knownAfterValues(rc);
  if (known) {
    ref.known = known;
    const changed = new Set(changedAttributes(rc));
    const unchanged = Object.keys(known).filter((k) => !changed.has(k));
    if (unchanged.length > 0) ref.unchanged = unchanged;
  }
  return ref;
}

/**
 * A string attribute of a provider built on the plugin SDK v2 (hashicorp/aws's aws_route among them) has no null
 * distinct from "": the provider reads an unset target back as "" and plans a null config as null or "".
 */
const sameValue = (a: string | undefined, b: string | undefined) =>
  a === b || ((a === '""' || a === 'null') && (b === '""' || b === 'null'));

/**
 * Attributes known in both plans with different planned values (names only: values may be sensitive). An attribute
 * both plans leave as it is (an optional + computed attribute carried over from the prior state, e.g. a route's
 * `network_interface_id` while a bridge points it at another AZ's NAT: research-18 §2) sets nothing: not diverged.
 */
function divergedAttributes(reviewed: ChangeRef, next: ChangeRef): string[] {
  if (!reviewed.known || !next.known) return [];
  const carried = (r: ChangeRef, k: string) => r.unchanged?.includes(k) ?? false;
  return Object.keys(next.known)
    .filter((k) => reviewed.known?.[k] !== undefined && !sameValue(reviewed.known[k], next.known?.[k]))
    .filter((k) => !(carried(reviewed, k) && carried(next, k)))
    .sort();
}

/**
 * May a re-plan do `next` at an address where the reviewed plan did `reviewed`? What is left of a partly
 * applied change is compatible: a replace may become its create or its delete (a deposed object), a create
 * may become a replace only because the failed apply left the new object tainted.
 */
function compatibleAction(reviewed: string, next: ChangeRef): boolean {
  if (reviewed === next.kind) return true;
  if (reviewed === 'replace') return next.kind === 'create' || next.kind === 'delete';
  if (reviewed === 'create') return next.kind === 'replace' && next.reason === 'replace_because_tainted';
  return false;
}

export interface UnexpectedChange {
  change: ChangeRef;
  /** What the reviewed plan did at that address, if anything. */
  reviewed?: string;
  /** Attributes the re-plan would set to other values than the reviewed plan did. */
  diverged?: string[];
}

export function unexpectedChanges(reviewed: readonly ChangeRef[], replan: readonly ChangeRef[]): UnexpectedChange[] {
  const byAddress = new Map<string, ChangeRef[]>();
  for (const r of reviewed) byAddress.set(r.address, [...(byAddress.get(r.address) ?? []), r]);
  const out: UnexpectedChange[] = [];
  for (const next of replan) {
    const refs = byAddress.get(next.address);
    if (!refs) {
      out.push({ change: next });
      continue;
    }
    const compatible = refs.filter((r) => compatibleAction(r.kind, next));
    if (compatible.length === 0) {
      out.push({ change: next, reviewed: refs.map((r) => r.kind).join('/') });
      continue;
    }
    // Deletions plan no values; for the rest, what was known at review must still be what is planned.
    if (next.kind === 'delete') continue;
    const diverged = compatible.map((r) => divergedAttributes(r, next));
    if (diverged.every((d) => d.length > 0))
      out.push({ change: next, reviewed: compatible[0]?.kind, diverged: diverged[0] });
  }
  return out;
}

export function describeUnexpected(u: UnexpectedChange): string {
  const what = `${u.change.kind} ${u.change.address}${u.change.deposed ? ` (deposed ${u.change.deposed})` : ''}`;
  if (u.diverged && u.diverged.length > 0)
    return `${what}: would set ${u.diverged.join(', ')} to other values than the reviewed plan`;
  return u.reviewed ? `${what}: the reviewed plan would ${u.reviewed} it` : `${what}: not in the reviewed plan`;
}
