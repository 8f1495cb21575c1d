/**
 * Confirming the EIP race with EC2 and waiting it out, as a small explicit state machine (release-machine.ts):
 *
 *   state               polls                                         next
 *   confirming          DescribeNatGateways, every state, all gateways  gateways-deleting, address-lingering,
 *                                                                       address-watching, grace, not-race
 *   gateways-deleting   DescribeNatGateways of the confirmed gateways   itself, address-lingering,
 *                                                                       address-watching, grace, not-race
 *   address-lingering   DescribeAddresses                               itself, grace, not-race
 *   address-watching    DescribeAddresses (+ gateways every 15 s)       itself, grace, not-race
 *   grace               (a pause)                                       released, cancelled
 *   every polling state ends in timeout at the deadline and cancelled on abort
 *
 * confirming: a NAT gateway being deleted must hold or have held the addresses (matched on their allocation ids);
 * gateways-deleting: until none of them is left holding one; address-lingering: until DescribeAddresses shows the
 * addresses without an association (it can lag a little behind `deleted`); grace: a short pause (AuthFailure can
 * linger just after). `watch: 'addresses'` (fast restore) goes from the confirmation to address-watching:
 * DescribeAddresses every second (the moment it shows no association is the release), a DescribeNatGateways every
 * 15 s for the log and the timeout message, and no grace pause: the caller associates the address at once and
 * retries a lingering AuthFailure itself.
 *
 * One EC2 call per poll. The poll schedule is data (SCHEDULE, THROTTLE): adaptive 2 s, 3 s, 4 s, then 5 s while a
 * gateway is deleting, 3 s while an address lingers, 1 s while watching; never above 5 s unless a fixed interval is
 * given, and a back-off when EC2 throttles (after the SDK's own adaptive retries gave up). Every EC2 call carries
 * the run's AbortSignal and the deadline (bounded.ts): a call in flight that never answers ends the wait at
 * `timeoutMs`, and cancellation ends it at once. Everything runs on the injected Clock.
 * Sources: EC2 API reference (NatGateway.State: pending, failed, available, deleting, deleted; Address
 * AssociationId / InstanceId), DOMAIN.md "The cutover race".
 */
import { awsErrorCode, isTransientAwsError } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { describeError, isDeadlineExceeded } from '../runtime/index';
import {
  HOLDING_STATES,
  SCHEDULE,
  THROTTLE,
  TRANSITIONS,
  type GatewaySeen,
  type ReleaseOptions,
  type ReleaseTarget,
  type Wait,
} from './release-machine';

export {
  ADAPTIVE_MAX_MS,
  FAST_POLL_MS,
  adaptiveInterval,
  type GatewaySeen,
  type ReleaseOptions,
  type ReleaseTarget,
} from './release-machine';

export interface ReleaseResult {
  outcome: 'released' | 'timeout' | 'not-race' | 'cancelled';
  /** One line for the log and the failure message. */
  message: string;
  startedAt: number;
  /** When EC2 confirmed the race (a gateway being deleted holds or held the addresses). */
  confirmedAt?: number;
  /** When the addresses were first seen free. */
  releasedAt?: number;
  endedAt: number;
  polls: number;
  ec2Calls: number;
  throttled: number;
  gateways: GatewaySeen[];
  /** Allocation ids still associated at the end (timeout) or at release (empty). */
  stillAssociated: string[];
}

const DEFAULT_GRACE_MS = 2_000;
const CANCELLED = 'cancelled while waiting for the Elastic IPs to be released';

function newWait(target: ReleaseTarget, options: ReleaseOptions): Wait {
  const startedAt = options.clock.now();
  const wanted = new Set(target.allocationIds);
  return {
    target,
    options,
    wanted,
    fast: options.watch === 'addresses',
    log: options.log ?? (() => undefined),
    startedAt,
    deadline: startedAt + options.timeoutMs,
    state: 'confirming',
    seen: new Map(),
    lastGatewayPoll: 0,
    lastLine: '',
    stillAssociated: [...wanted],
    polls: 0,
    ec2Calls: 0,
    throttled: 0,
    phasePolls: 0,
    backoffMs: 0,
  };
}

function end(w: Wait, outcome: ReleaseResult['outcome'], message: string, releasedAt?: number): ReleaseResult {
  return {
    outcome,
    message,
    startedAt: w.startedAt,
    ...(w.confirmedAt !== undefined ? { confirmedAt: w.confirmedAt } : {}),
    ...(releasedAt !== undefined ? { releasedAt } : {}),
    endedAt: w.options.clock.now(),
    polls: w.polls,
    ec2Calls: w.ec2Calls,
    throttled: w.throttled,
    gateways: [...w.seen.values()],
    stillAssociated: w.stillAssociated,
  };
}

/**
 * A failed poll: cancelled, timeout (a call still unanswered at the deadline), thrown (not transient: a
 * permission or a bug, with the IAM actions named), or throttled — then undefined, and the state polls again
 * after the back-off.
 */
function pollFailed(w: Wait, err: unknown): ReleaseResult | undefined {
  const { clock, timeoutMs, signal } = w.options;
  if (signal?.aborted) return end(w, 'cancelled', CANCELLED);
  if (isDeadlineExceeded(err)) {
    return end(
      w,
      'timeout',
      `an EC2 call was still unanswered at the deadline (${describeError(err)}) after ` +
        `${formatDuration(clock.now() - w.startedAt)} (release-timeout ${formatDuration(timeoutMs)})`,
    );
  }
  if (!isTransientAwsError(err)) {
    const iam = /UnauthorizedOperation|AccessDenied/.test(awsErrorCode(err))
      ? ' (the role needs ec2:DescribeNatGateways and ec2:DescribeAddresses)'
      : '';
    const call = SCHEDULE[w.state].phase === 'gateways' ? 'DescribeNatGateways' : 'DescribeAddresses';
    throw Object.assign(new Error(`EC2 ${call} failed while confirming the EIP race: ${describeError(err)}${iam}`), {
      cause: err,
    });
  }
  w.throttled++;
  w.backoffMs = Math.min(THROTTLE.maxMs, Math.max(w.backoffMs * THROTTLE.factor, THROTTLE.firstMs));
  w.log(
    `EC2 is throttling or unavailable (${awsErrorCode(err) || describeError(err)}): ` +
      `polling again in ${Math.round(w.backoffMs / 1000)} s`,
  );
  return undefined;
}

/** The timeout at the deadline, naming what is still held: the gateways, or the addresses after them. */
function timedOut(w: Wait, now: number): ReleaseResult {
  const holding = [...w.seen.values()].filter((g) => HOLDING_STATES.has(g.state));
  const what =
    SCHEDULE[w.state].phase === 'gateways'
      ? `NAT gateway(s) ${holding.map((g) => `${g.id} still ${g.state}`).join(', ')}`
      : `Elastic IP(s) ${w.stillAssociated.join(', ')} still associated after the gateway(s) were deleted`;
  const total = `release-timeout ${formatDuration(w.options.timeoutMs)}`;
  return end(w, 'timeout', `${what} after ${formatDuration(now - w.startedAt)} (${total})`);
}

/** The pause before the next poll: the back-off, else the fixed interval, else the state's schedule. */
async function pause(w: Wait, now: number): Promise<boolean> {
  const { clock, pollIntervalMs, signal } = w.options;
  const interval = w.backoffMs || (pollIntervalMs ?? SCHEDULE[w.state].intervalMs(w.phasePolls));
  w.phasePolls++;
  try {
    await clock.sleep(Math.min(interval, Math.max(1, w.deadline - now)), signal);
    return true;
  } catch {
    return false;
  }
}

/** State grace: the addresses are free; pause `graceMs` (none when watching the address), then released. */
async function grace(w: Wait): Promise<ReleaseResult> {
  const { clock, signal } = w.options;
  const graceMs = w.fast ? 0 : (w.options.graceMs ?? DEFAULT_GRACE_MS);
  const releasedAt = clock.now();
  const after = formatDuration(releasedAt - w.startedAt);
  const line = w.fast
    ? `Elastic IP(s) released after ${after}`
    : `Elastic IP(s) released after ${after}; grace ${formatDuration(graceMs)} before re-applying`;
  if (w.options.progress) w.options.progress.released(line);
  else w.log(line);
  try {
    if (graceMs > 0) await clock.sleep(graceMs, signal);
  } catch {
    return end(w, 'cancelled', CANCELLED, releasedAt);
  }
  return end(
    w,
    'released',
    `Elastic IP(s) ${[...w.wanted].join(', ')} released ${after} after the race was seen`,
    releasedAt,
  );
}

/**
 * Waits until EC2 shows the Elastic IPs free (see the file comment for the states). Never rejects for a
 * not-race, timeout or cancellation (the outcome says it); throws on an EC2 error that is not transient.
 * With `options.progress`, the state lines are progress stages, the release its end `released`, and any other
 * ending (timeout, not-race, cancelled, an EC2 error) the end `timeout`, `not-race` or `stopped`.
 */
export async function waitForRelease(target: ReleaseTarget, options: ReleaseOptions): Promise<ReleaseResult> {
  let result: ReleaseResult | undefined;
  try {
    result = await runWait(target, options);
    return result;
  } finally {
    const outcome = result?.outcome;
    if (outcome !== 'released')
      options.progress?.stopped(outcome === 'timeout' || outcome === 'not-race' ? outcome : 'stopped');
  }
}

/** The wait's loop: one transition per poll, the pause between polls, the deadline. */
async function runWait(target: ReleaseTarget, options: ReleaseOptions): Promise<ReleaseResult> {
  const w = newWait(target, options);
  if (w.wanted.size === 0 && target.gatewayIds.length === 0) {
    return end(
      w,
      'not-race',
      'the failed associations name no Elastic IP allocation and the plan deletes no NAT gateway: ' +
        'cannot confirm the race with EC2',
    );
  }
  for (;;) {
    if (options.signal?.aborted) return end(w, 'cancelled', CANCELLED);
    w.polls++;
    let next;
    try {
      next = await TRANSITIONS[w.state](w);
      w.backoffMs = 0;
    } catch (err) {
      const ended = pollFailed(w, err);
      if (ended) return ended;
    }
    if (next?.state === 'not-race') return end(w, 'not-race', next.message);
    if (next?.state === 'grace') return grace(w);
    if (next && next.state !== w.state) {
      if (SCHEDULE[next.state].phase !== SCHEDULE[w.state].phase) w.phasePolls = 0;
      w.state = next.state;
    }
    if (next?.now) continue; // the new state polls at once
    const now = options.clock.now();
    if (now >= w.deadline) return timedOut(w, now);
    if (!(await pause(w, now))) return end(w, 'cancelled', CANCELLED);
  }
}
