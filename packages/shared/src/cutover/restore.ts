/**
 * Fast restore: when EC2 has confirmed the Elastic IP race and the reviewed plan says which allocation goes to
 * which NAT instance or network interface, cutover associates the address itself (EC2 AssociateAddress with
 * AllowReassociation false) the moment EC2 shows it free, then brings terraform's state in line
 * (`terraform import <association address> <association id>`), and the convergence re-plan must then show nothing
 * left for that association. Anything that does not match the reviewed plan falls back to the re-apply path.
 *
 * Which allocation, which target and which private IP come from the association's planned claim, read through
 * nat/ (claimOf: `allocation_id`, `instance_id` / `network_interface_id`, `private_ip_address`; for an `aws_eip`,
 * its allocation id and `instance` / `network_interface`, `associate_with_private_ip`). A
 * target that is "known after apply" is the NAT instance or interface the reviewed plan creates in the same
 * module instance with the same index key, and its id is the one the first apply's stream reported when it was
 * created (`apply_complete` hook, `id_value`). A gateway that failed to create cannot be restored this way:
 * terraform tainted it and must replace it.
 */
import { AssociateAddressCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { CutoverJournal } from './journal-types';
import { awsErrorCode } from '../aws/index';
import {
  claimOf,
  modelFromPlan,
  natInstanceOf,
  natRoles,
  sensitiveClaimAttributes,
  type ClaimFacts,
  type ClaimTarget,
  type NatNode,
  type Role,
} from '../nat/index';
import { actionKind, type ResourceChange } from '../plan/index';
import { describeError, isDeadlineExceeded, type Clock } from '../runtime/index';
import { within } from './bounded';
import type { RaceError } from './race';
import type { HookEvent } from '../terraform/index';

export interface AssociationTarget {
  kind: 'instance' | 'network-interface';
  /** The target's resource address, when the plan creates it. */
  address?: string;
  /** The instance or interface id: from the plan when known at review, else from the first apply's stream. */
  id?: string;
}

export interface PlannedAssociation {
  /** The resource that failed: an aws_eip_association (imported afterwards) or an aws_eip (read on refresh). */
  address: string;
  resourceType: 'aws_eip_association' | 'aws_eip';
  allocationId: string;
  target: AssociationTarget;
  privateIp?: string;
}

export interface RestorePlan {
  associations: PlannedAssociation[];
  /** Why fast restore does not apply (then the re-apply path runs); undefined when it applies. */
  notApplicable?: string;
}

export const GATEWAY_NOT_APPLICABLE =
  'fast restore does not apply to a NAT gateway whose creation failed: terraform has tainted it and must delete ' +
  'and create it again (minutes), so cutover waits for the release and re-applies';

function sameInstanceKey(a: ResourceChange, b: ResourceChange): boolean {
  return (
    (a.module_address ?? '') === (b.module_address ?? '') &&
    JSON.stringify(a.index ?? null) === JSON.stringify(b.index ?? null)
  );
}

/** The AZ key of a resource: its own index, else its innermost module instance's key (`module.nat["us-east-1a"]`). */
function keyString(rc: ResourceChange): string | undefined {
  if (rc.index !== undefined && rc.index !== null) return String(rc.index);
  const m = /\[([^\]]+)\]$/.exec(rc.module_address ?? '');
  if (!m) return undefined;
  const raw = m[1] as string;
  return raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
}

/** What the restore plan reads from the reviewed plan's NAT model (nat/): the roles and the after side. */
interface RestoreModel {
  roles: ReadonlyMap<ResourceChange, Role>;
  /** The NAT instances and interfaces (aws_instance, aws_network_interface) the plan creates or replaces. */
  created: NatNode[];
}

function restoreModel(changes: readonly ResourceChange[]): RestoreModel {
  const roles = natRoles(changes);
  const created = modelFromPlan(changes, roles, 'after').nats.filter(
    (n) =>
      (n.kind === 'instance' || n.kind === 'interface') &&
      !!n.rc &&
      !n.rc.deposed &&
      ['create', 'replace'].includes(actionKind(n.rc.change.actions)),
  );
  return { roles, created };
}

/**
 * The NAT instance or interface the reviewed plan creates for `rc`, if exactly one: in the same module instance
 * with the same index, else with the same AZ key (an association `aws_eip_association.nat["us-east-1a"]` next to
 * `module.fck_nat["us-east-1a"].aws_network_interface.main`).
 */
function createdTarget(
  rc: ResourceChange,
  kind: AssociationTarget['kind'],
  model: RestoreModel,
): ResourceChange | string {
  const nodeKind = kind === 'instance' ? 'instance' : 'interface';
  const created = model.created.filter((n) => n.kind === nodeKind).map((n) => n.rc as ResourceChange);
  const exact = created.filter((c) => sameInstanceKey(c, rc));
  const key = keyString(rc);
  const candidates = exact.length > 0 ? exact : key === undefined ? [] : created.filter((c) => keyString(c) === key);
  if (candidates.length === 1) return candidates[0] as ResourceChange;
  if (candidates.length === 0) {
    const what = kind === 'instance' ? 'instance' : 'network interface';
    return `the reviewed plan creates no NAT ${what} next to ${rc.address} (same module instance and key)`;
  }
  const what = kind === 'instance' ? 'instances' : 'network interfaces';
  return (
    `the reviewed plan creates ${candidates.length} NAT ${what} next to ${rc.address}: cannot tell which one it ` +
    'targets'
  );
}

/** Is `id` the id of a NAT instance or interface in the reviewed plan (before or after: id, primary interface)? */
function isNatTargetId(id: string, model: RestoreModel): boolean {
  return [...model.roles].some(
    ([c, role]) =>
      role === 'instance' && (['before', 'after'] as const).some((side) => natInstanceOf(c, side)?.ids.includes(id)),
  );
}

/** The allocation fast restore associates: an aws_eip's own (before side, else after), an association's (after). */
function plannedAllocation(rc: ResourceChange): string | undefined {
  if (rc.type === 'aws_eip') return claimOf(rc, 'before')?.allocationId ?? claimOf(rc, 'after')?.allocationId;
  return claimOf(rc, 'after')?.allocationId;
}

type Kind = AssociationTarget['kind'];
const isAssociationTarget = (t: ClaimTarget): t is ClaimTarget & { kind: Kind } => t.kind !== 'nat-gateway';

/**
 * The target of `rc`'s planned association (its after side's claim, nat/ claimOf): a known instance (preferred) or
 * interface that must be a NAT one in the reviewed plan, else — known after apply — the NAT instance or interface
 * the plan creates next to it. When both attributes are unknown (one is computed from the other), the kind the
 * plan creates next to it decides; exactly one must. A string says why there is none.
 */
function plannedTarget(
  rc: ResourceChange,
  claim: ClaimFacts | undefined,
  model: RestoreModel,
): AssociationTarget | string {
  const targets = (claim?.targets ?? []).filter(isAssociationTarget);
  const known = targets.find((t) => t.id);
  if (known?.id) {
    if (!isNatTargetId(known.id, model))
      return `${rc.address} targets ${known.id}, which is not a NAT instance or interface in the reviewed plan`;
    return { kind: known.kind, id: known.id };
  }
  const unknown = targets.filter((t) => t.unknown);
  if (unknown.length === 0) return `${rc.address} has no instance or network interface in the reviewed plan`;
  const found = unknown.map((t) => [t.kind, createdTarget(rc, t.kind, model)] as const);
  const hits = found.filter((f): f is readonly [Kind, ResourceChange] => typeof f[1] !== 'string');
  if (hits.length === 0) return found[0]?.[1] as string;
  if (hits.length > 1)
    return `${rc.address} could target a NAT instance or a NAT network interface the plan creates: cannot tell which`;
  const [kind, created] = hits[0] as readonly [Kind, ResourceChange];
  return { kind, address: created.address };
}

/** The association fast restore makes for one race error, or why it does not apply. */
function plannedAssociation(
  e: RaceError,
  changes: readonly ResourceChange[],
  model: RestoreModel,
): PlannedAssociation | string {
  if (e.resourceType === 'aws_nat_gateway') return GATEWAY_NOT_APPLICABLE;
  const rc = changes.find((c) => c.address === e.address && !c.deposed);
  if (!rc) return `${e.address} is not in the reviewed plan`;
  // Values the plan marks sensitive are never logged, so cutover does not act on them itself.
  const hidden = sensitiveClaimAttributes(rc);
  if (hidden.length > 0) return `the reviewed plan marks ${e.address}'s ${hidden.join(', ')} sensitive`;
  const allocationId = plannedAllocation(rc);
  if (!allocationId) return `the reviewed plan does not know ${e.address}'s allocation id at review`;
  if (e.allocationId && e.allocationId !== allocationId)
    return `${e.address} failed on ${e.allocationId}, but the reviewed plan associates ${allocationId}`;
  const claim = claimOf(rc, 'after');
  const target = plannedTarget(rc, claim, model);
  if (typeof target === 'string') return target;
  return {
    address: e.address,
    resourceType: e.resourceType,
    allocationId,
    target,
    ...(claim?.privateIp ? { privateIp: claim.privateIp } : {}),
  };
}

/**
 * What fast restore would associate for each race error, from the reviewed plan read through nat/ (the claim of
 * each association or aws_eip: its allocation, targets and private IP; the hidden claim attributes; the NAT
 * instances and interfaces of the plan). Any error it cannot map exactly (a gateway-creation race, an allocation
 * or target not in the reviewed plan, an allocation the message names differently) makes fast restore not
 * applicable for the whole run.
 */
export function planRestore(errors: readonly RaceError[], changes: readonly ResourceChange[]): RestorePlan {
  const model = restoreModel(changes);
  const associations: PlannedAssociation[] = [];
  for (const e of errors) {
    const planned = plannedAssociation(e, changes, model);
    if (typeof planned === 'string') return { associations: [], notApplicable: planned };
    if (!associations.some((a) => a.address === e.address)) associations.push(planned);
  }
  if (associations.length === 0) return { associations: [], notApplicable: 'no association to restore' };
  return { associations };
}

/** Fills in target ids "known after apply" from the apply's hooks; returns why not, when one is missing. */
export function resolveTargetIds(plan: RestorePlan, hooks: readonly HookEvent[]): string | undefined {
  for (const a of plan.associations) {
    if (a.target.id) continue;
    const done = hooks.find((h) => h.type === 'apply_complete' && h.address === a.target.address && h.idValue);
    if (!done) return `${a.target.address} has not been created (no id in the apply's stream)`;
    a.target.id = done.idValue as string;
  }
  return undefined;
}

export interface AssociateResult {
  address: string;
  allocationId: string;
  targetId: string;
  outcome: 'associated' | 'failed' | 'cancelled';
  associationId?: string;
  /** When the first AssociateAddress was sent, and when one succeeded (epoch ms). */
  sentAt?: number;
  associatedAt?: number;
  attempts: number;
  /** One line, when failed. */
  message?: string;
}

export interface AssociateOptions {
  ec2: EC2Client;
  clock: Clock;
  signal?: AbortSignal;
  /** Hard deadline (epoch ms on `clock`) for the attempts and the calls in flight. */
  deadline?: number;
  /** How long an AuthFailure / Resource.AlreadyAssociated just after the release is retried (default 10 s). */
  lingerMs?: number;
  /** Pause between attempts (default 500 ms). */
  retryMs?: number;
  log?: (message: string) => void;
  /** The association is recorded here before the first AssociateAddress (write-ahead); done with its id. */
  journal?: CutoverJournal;
}

/** EC2 errors that mean "the address is not quite free yet" right after DescribeAddresses showed it free. */
const LINGERING = /^(AuthFailure|Resource\.AlreadyAssociated|InvalidAddress\.Locked)$/;

/**
 * EC2 AssociateAddress (AllowReassociation false) for one planned association, retrying the lingering errors
 * for `lingerMs`. Never throws: the outcome says what happened.
 */
export async function associateAddress(a: PlannedAssociation, options: AssociateOptions): Promise<AssociateResult> {
  const { clock } = options;
  const lingerMs = options.lingerMs ?? 10_000;
  const retryMs = options.retryMs ?? 500;
  const targetId = a.target.id ?? '';
  const r: AssociateResult = {
    address: a.address,
    allocationId: a.allocationId,
    targetId,
    outcome: 'failed',
    attempts: 0,
  };
  const started = clock.now();
  let entry: string | undefined;
  try {
    entry = await options.journal?.intend({
      kind: 'associate',
      address: a.address,
      allocationId: a.allocationId,
      targetId,
    });
  } catch (err) {
    return { ...r, outcome: 'failed', message: `not associated: ${describeError(err)}` };
  }
  for (;;) {
    if (options.signal?.aborted)
      return { ...r, outcome: 'cancelled', message: 'cancelled before the association was made' };
    r.attempts++;
    r.sentAt ??= clock.now();
    try {
      const out = await within(
        (abortSignal) =>
          options.ec2.send(
            new AssociateAddressCommand({
              AllocationId: a.allocationId,
              ...(a.target.kind === 'instance' ? { InstanceId: targetId } : { NetworkInterfaceId: targetId }),
              ...(a.privateIp ? { PrivateIpAddress: a.privateIp } : {}),
              AllowReassociation: false,
            }),
            { abortSignal },
          ),
        {
          clock,
          ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          what: 'EC2 AssociateAddress',
        },
      );
      r.outcome = 'associated';
      r.associatedAt = clock.now();
      if (out.AssociationId) r.associationId = out.AssociationId;
      if (entry) await options.journal?.done(entry, out.AssociationId ? { associationId: out.AssociationId } : {});
      const id = out.AssociationId ? `, ${out.AssociationId}` : '';
      options.log?.(`associated ${a.allocationId} with ${targetId} (${a.address}${id}) after ${r.attempts} attempt(s)`);
      return r;
    } catch (err) {
      if (options.signal?.aborted) return { ...r, outcome: 'cancelled', message: 'cancelled while associating' };
      const code = awsErrorCode(err);
      const lingering = LINGERING.test(code) && clock.now() - started < lingerMs && !isDeadlineExceeded(err);
      if (!lingering) {
        const iam = /UnauthorizedOperation|AccessDenied/.test(code) ? ' (the role needs ec2:AssociateAddress)' : '';
        return {
          ...r,
          outcome: 'failed',
          message:
            `AssociateAddress ${a.allocationId} → ${targetId} failed after ${r.attempts} attempt(s): ` +
            `${describeError(err)}${iam}`,
        };
      }
      options.log?.(
        `AssociateAddress ${a.allocationId} → ${targetId}: ${code} just after the release; again in ${retryMs} ms`,
      );
      try {
        await clock.sleep(retryMs, options.signal);
      } catch {
        return { ...r, outcome: 'cancelled', message: 'cancelled while associating' };
      }
    }
  }
}

/** The `terraform import` arguments for an association cutover made (aws_eip reads its association on refresh). */
export function importArgs(
  a: AssociateResult,
  resourceType: PlannedAssociation['resourceType'],
  applyArgs: readonly string[],
): string[] | undefined {
  if (resourceType !== 'aws_eip_association' || !a.associationId) return undefined;
  const passed = applyArgs.filter((x) =>
    /^-(var|var-file|lock|lock-timeout|parallelism|state|state-out|backup|no-color)(=|$)/.test(x),
  );
  return ['import', '-input=false', ...passed, a.address, a.associationId];
}
