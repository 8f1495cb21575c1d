/**
 * The instance → gateway race: terraform deletes an `aws_eip_association` and creates the NAT gateway that takes
 * the same Elastic IP in parallel, so the gateway's creation can be refused at once (moto: `Resource.
 * AlreadyAssociated`) or end `failed` (EC2: FailureCode `Resource.AlreadyAssociated`, the failed gateway tainted in
 * state) while the address is still on the instance. This wait confirms with EC2 that the holder is the association
 * the reviewed plan deletes (DescribeAddresses: its AssociationId, or its instance / interface), waits until the
 * address is free, and ends like the gateway release wait (release.ts) so the converge phase re-plans and applies.
 * An address held by anything else is not the race. Sources: EC2 API reference Address (AssociationId, InstanceId,
 * NetworkInterfaceId), CreateNatGateway / NatGateway.FailureCode; research-18 §4 (race.out, s2az.out).
 */
import { DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import { isTransientAwsError } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { addressClaims, claimOf, type AddressClaim } from '../nat/index';
import { actionKind, type ResourceChange } from '../plan/index';
import { describeError, isDeadlineExceeded } from '../runtime/index';
import { within } from './bounded';
import type { ReleaseOptions, ReleaseResult, ReleaseTarget } from './release';

export interface AssociationHolder {
  /** The allocations the failed gateway needs. */
  allocationIds: string[];
  /** Before-side ids of the associations the reviewed plan deletes that hold them (eipassoc-…). */
  associationIds: string[];
  /** Instances / interfaces those associations target (before side). */
  holderIds: string[];
}

/**
 * The associations that hold a failed gateway's addresses, when no NAT gateway the plan deletes holds them: the
 * aws_eip_associations the reviewed plan deletes or replaces whose before side takes one of the allocations (read
 * through nat/ claimOf). Undefined when a deleted gateway holds them (the gateway release wait applies) or no
 * such association exists.
 */
export function associationHolder(
  target: ReleaseTarget,
  natChanges: readonly ResourceChange[],
): AssociationHolder | undefined {
  if (target.gatewayIds.length > 0 || target.allocationIds.length === 0) return undefined;
  const claims = natChanges
    .filter((rc) => ['delete', 'replace'].includes(actionKind(rc.change.actions)))
    .map((rc) => claimOf(rc, 'before'))
    .filter((c) => !!c && !!c.allocationId && target.allocationIds.includes(c.allocationId));
  if (claims.length === 0) return undefined;
  return {
    allocationIds: target.allocationIds,
    associationIds: claims.flatMap((c) => (c?.associationId ? [c.associationId] : [])),
    holderIds: claims.flatMap((c) => (c?.targets ?? []).flatMap((t) => (t.id ? [t.id] : []))),
  };
}

/** Poll every second (an association's deletion takes a moment). */
const POLL_MS = 1_000;

/** One wait's record (what the result reports). */
interface Tally {
  startedAt: number;
  polls: number;
  ec2Calls: number;
  throttled: number;
  confirmedAt?: number;
}

function ended(
  t: Tally,
  options: ReleaseOptions,
  outcome: ReleaseResult['outcome'],
  message: string,
  still: string[] = [],
): ReleaseResult {
  if (outcome === 'released') options.progress?.released(message);
  else options.progress?.stopped(outcome === 'cancelled' ? 'stopped' : outcome);
  const at = options.clock.now();
  return {
    outcome,
    message,
    startedAt: t.startedAt,
    ...(t.confirmedAt !== undefined ? { confirmedAt: t.confirmedAt } : {}),
    ...(outcome === 'released' ? { releasedAt: at } : {}),
    endedAt: at,
    polls: t.polls,
    ec2Calls: t.ec2Calls,
    throttled: t.throttled,
    gateways: [],
    stillAssociated: still,
  };
}

/** What one answer decides: an outcome, or undefined to poll again (the race confirmed on the first answer). */
function decide(t: Tally, h: AssociationHolder, options: ReleaseOptions, claims: AddressClaim[]) {
  const wanted = h.allocationIds.join(', ');
  const missing = claims.filter((c) => c.state === 'missing').map((c) => c.allocationId);
  if (missing.length > 0) return ended(t, options, 'not-race', `EC2 does not know ${missing.join(', ')}`);
  const other = claims.find((c) => c.state === 'other');
  if (other)
    return ended(
      t,
      options,
      'not-race',
      `${other.allocationId} is associated with ${other.holder}, which the reviewed plan does not disassociate`,
    );
  const still = claims.filter((c) => c.state === 'ours').map((c) => c.allocationId);
  if (t.confirmedAt === undefined) {
    t.confirmedAt = options.clock.now();
    options.log?.(
      still.length > 0
        ? `EC2 confirms the instance → gateway race: ${still.join(', ')} still on the association the plan deletes`
        : `EC2 confirms the instance → gateway race: ${wanted} was on the association the plan deleted, now free`,
    );
  }
  return still.length === 0 ? ended(t, options, 'released', `${wanted} free (the association is deleted)`) : undefined;
}

const CANCELLED = 'cancelled while waiting for the Elastic IPs to be released';

/**
 * Waits until EC2 shows every allocation free, having confirmed that only the associations the plan deletes held
 * them. Outcomes as release.ts: released, not-race (held by something else, or unknown), timeout, cancelled.
 * Never throws for EC2 errors: a transient one is retried at the next poll, another ends as not-race.
 */
export async function waitForDisassociation(h: AssociationHolder, options: ReleaseOptions): Promise<ReleaseResult> {
  const { clock, ec2, signal } = options;
  const t: Tally = { startedAt: clock.now(), polls: 0, ec2Calls: 0, throttled: 0 };
  const deadline = t.startedAt + options.timeoutMs;
  const wanted = h.allocationIds.join(', ');
  const late = () => `${wanted} still associated after ${formatDuration(options.timeoutMs)}`;
  options.progress?.state(`waiting for the association of ${wanted} to be deleted`);
  for (;;) {
    if (signal?.aborted) return ended(t, options, 'cancelled', CANCELLED);
    t.polls++;
    t.ec2Calls++;
    try {
      const out = await within(
        (abortSignal) => ec2.send(new DescribeAddressesCommand({ AllocationIds: h.allocationIds }), { abortSignal }),
        { clock, deadline, ...(signal ? { signal } : {}), what: 'EC2 DescribeAddresses' },
      );
      const done = decide(t, h, options, addressClaims(out.Addresses ?? [], h.allocationIds, h));
      if (done) return done;
    } catch (err) {
      if (signal?.aborted) return ended(t, options, 'cancelled', CANCELLED);
      if (isDeadlineExceeded(err)) return ended(t, options, 'timeout', late(), h.allocationIds);
      if (!isTransientAwsError(err))
        return ended(t, options, 'not-race', `could not read ${wanted}: ${describeError(err)}`);
      t.throttled++;
    }
    if (clock.now() + POLL_MS >= deadline) return ended(t, options, 'timeout', late(), h.allocationIds);
    try {
      await clock.sleep(POLL_MS, signal);
    } catch {
      return ended(t, options, 'cancelled', CANCELLED);
    }
  }
}
