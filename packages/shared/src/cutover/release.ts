/**
 * Confirming the EIP race with EC2 and waiting it out: find the NAT gateways that hold or held the Elastic
 * IPs (DescribeNatGateways in every state, deleting and deleted included, matched on their allocation ids),
 * wait until none of them is left holding one, then until DescribeAddresses shows the addresses without an
 * association (it can lag a little behind `deleted`), then a short grace (AuthFailure can linger just after).
 *
 * One EC2 call per poll: DescribeNatGateways while a gateway is still deleting, DescribeAddresses after. The
 * poll interval adapts (2 s, 3 s, 4 s, then 5 s while a gateway is deleting; 3 s while an address lingers),
 * never above 5 s unless a fixed interval is given, and backs off when EC2 throttles (after the SDK's own
 * adaptive retries gave up). Everything is bounded by `timeoutMs` and runs on the injected Clock.
 *
 * `watch: 'addresses'` (fast restore): after the first DescribeNatGateways has confirmed the race, the address
 * itself is what is watched — DescribeAddresses every second (the moment it shows no association is the release),
 * with a DescribeNatGateways every 15 s for the log and the timeout message — and there is no grace: the caller
 * associates the address at once and retries a lingering AuthFailure itself.
 * Every EC2 call carries the run's AbortSignal and the deadline (bounded.ts): a call in flight that never answers
 * ends the wait at `timeoutMs`, and cancellation ends it at once.
 */
import {
  DescribeAddressesCommand,
  paginateDescribeNatGateways,
  type EC2Client,
  type NatGateway,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, isTransientAwsError } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { describeError, isDeadlineExceeded, type Clock } from '../runtime/index';
import { within } from './bounded';

export interface ReleaseTarget {
  /** Elastic IP allocation ids the failed associations need. */
  allocationIds: string[];
  /** NAT gateways the reviewed plan deletes (narrows the lookup; matching is still by allocation id). */
  gatewayIds: string[];
}

export interface ReleaseOptions {
  ec2: EC2Client;
  clock: Clock;
  timeoutMs: number;
  /** Fixed poll interval; undefined = adaptive (≤ 5 s). */
  pollIntervalMs?: number;
  /** Pause after the addresses show no association (default 2 s). */
  graceMs?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** 'gateways' (default, re-apply): gateways then addresses, adaptive, then a grace. 'addresses': see above. */
  watch?: 'gateways' | 'addresses';
  /** Called once, when the first DescribeNatGateways shows a gateway being deleted holding the addresses. */
  onConfirmed?: (gateways: GatewaySeen[], at: number) => void;
}

export interface GatewaySeen {
  id: string;
  state: string;
  allocationIds: string[];
}

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

export const ADAPTIVE_MAX_MS = 5_000;
const ADDRESS_POLL_MS = 3_000;
/** Fast restore: DescribeAddresses every second; the gateways every 15 s for the log. */
export const FAST_POLL_MS = 1_000;
const FAST_GATEWAY_EVERY_MS = 15_000;
const THROTTLE_MAX_MS = 20_000;
const HOLDING_STATES = new Set(['pending', 'available', 'deleting']);
const ALL_STATES = ['pending', 'failed', 'available', 'deleting', 'deleted'];

/** Adaptive interval for the n-th poll (0-based) of a phase. */
export function adaptiveInterval(phase: 'gateways' | 'addresses', n: number): number {
  if (phase === 'addresses') return ADDRESS_POLL_MS;
  return Math.min(ADAPTIVE_MAX_MS, 2_000 + n * 1_000);
}

function gatewayAllocations(g: NatGateway): string[] {
  return (g.NatGatewayAddresses ?? []).map((a) => a.AllocationId ?? '').filter((a) => a !== '');
}

export async function waitForRelease(target: ReleaseTarget, options: ReleaseOptions): Promise<ReleaseResult> {
  const { ec2, clock } = options;
  const log = options.log ?? (() => undefined);
  const fast = options.watch === 'addresses';
  const graceMs = fast ? 0 : (options.graceMs ?? 2_000);
  const startedAt = clock.now();
  const deadline = startedAt + options.timeoutMs;
  const wanted = new Set(target.allocationIds);
  const seen = new Map<string, GatewaySeen>();
  let polls = 0;
  let ec2Calls = 0;
  let throttled = 0;
  let phase: 'gateways' | 'addresses' = 'gateways';
  let phasePolls = 0;
  let backoff = 0;
  let stillAssociated: string[] = [...wanted];
  let lastState = '';
  let scope: string[] | undefined;
  let confirmedAt: number | undefined;
  let lastGatewayPoll = 0;
  const call = <T>(what: string, fn: (signal: AbortSignal) => Promise<T>) =>
    within(fn, { clock, deadline, ...(options.signal ? { signal: options.signal } : {}), what: `EC2 ${what}` });

  const result = (outcome: ReleaseResult['outcome'], message: string, releasedAt?: number): ReleaseResult => ({
    outcome,
    message,
    startedAt,
    ...(confirmedAt !== undefined ? { confirmedAt } : {}),
    ...(releasedAt !== undefined ? { releasedAt } : {}),
    endedAt: clock.now(),
    polls,
    ec2Calls,
    throttled,
    gateways: [...seen.values()],
    stillAssociated,
  });

  if (wanted.size === 0 && target.gatewayIds.length === 0) {
    return result(
      'not-race',
      'the failed associations name no Elastic IP allocation and the plan deletes no NAT gateway: cannot confirm the race with EC2',
    );
  }

  const pollGateways = async (): Promise<GatewaySeen[]> => {
    const filters = [{ Name: 'state', Values: ALL_STATES }];
    if (scope) filters.push({ Name: 'nat-gateway-id', Values: scope });
    else if (wanted.size === 0) filters.push({ Name: 'nat-gateway-id', Values: target.gatewayIds });
    const matched: GatewaySeen[] = [];
    await call('DescribeNatGateways', async (abortSignal) => {
      for await (const page of paginateDescribeNatGateways(
        { client: ec2, pageSize: 100 },
        { Filter: filters },
        { abortSignal },
      )) {
        ec2Calls++;
        for (const g of page.NatGateways ?? []) {
          const allocations = gatewayAllocations(g);
          const id = g.NatGatewayId ?? '';
          if (allocations.some((a) => wanted.has(a)) || target.gatewayIds.includes(id)) {
            matched.push({ id, state: String(g.State ?? 'unknown'), allocationIds: allocations });
          }
        }
      }
    });
    lastGatewayPoll = clock.now();
    for (const g of matched) seen.set(g.id, g);
    return matched;
  };

  for (;;) {
    if (options.signal?.aborted)
      return result('cancelled', 'cancelled while waiting for the Elastic IPs to be released');
    polls++;
    try {
      if (phase === 'gateways') {
        // First poll: every gateway in the region that holds or held the addresses; then only those.
        const matched = await pollGateways();
        const first = scope === undefined;
        if (first && matched.length > 0) scope = matched.map((g) => g.id);
        if (first && matched.length === 0) {
          return result(
            'not-race',
            `no NAT gateway holds or held ${[...wanted].join(', ') || 'the Elastic IPs'} (DescribeNatGateways, all states): the AuthFailure is not the cutover race; check who owns the address and the role's permissions`,
          );
        }
        const holding = matched.filter((g) => HOLDING_STATES.has(g.state));
        const notDeleting = holding.filter((g) => g.state !== 'deleting');
        if (notDeleting.length > 0) {
          const g = notDeleting[0] as GatewaySeen;
          return result(
            'not-race',
            `NAT gateway ${g.id} is ${g.state} and still holds ${g.allocationIds.join(', ')}: it is not being deleted, so waiting cannot free the address`,
          );
        }
        if (confirmedAt === undefined) {
          confirmedAt = clock.now();
          options.onConfirmed?.(matched, confirmedAt);
        }
        const state = holding.map((g) => `${g.id} ${g.state}`).join(', ');
        if (fast && holding.length > 0 && wanted.size > 0) {
          log(
            `watching ${[...wanted].join(', ')} every ${formatDuration(options.pollIntervalMs ?? FAST_POLL_MS)} until EC2 shows it free`,
          );
          lastState = state;
          phase = 'addresses';
          phasePolls = 0;
          backoff = 0;
          continue; // look at the addresses at once
        }
        if (holding.length === 0) {
          log(`NAT gateway(s) ${matched.map((g) => `${g.id} ${g.state}`).join(', ')}: checking the Elastic IPs`);
          phase = 'addresses';
          phasePolls = 0;
          backoff = 0;
          if (wanted.size === 0) {
            stillAssociated = [];
            break;
          }
          continue; // check the addresses at once
        }
        if (state !== lastState) log(`waiting for NAT gateway(s) to finish deleting: ${state}`);
        lastState = state;
      } else {
        ec2Calls++;
        const out = await call('DescribeAddresses', (abortSignal) =>
          ec2.send(new DescribeAddressesCommand({ AllocationIds: [...wanted] }), { abortSignal }),
        );
        const found = out.Addresses ?? [];
        const missing = [...wanted].filter((a) => !found.some((f) => f.AllocationId === a));
        if (missing.length > 0) {
          return result(
            'not-race',
            `Elastic IP ${missing.join(', ')} no longer exists: the plan's association cannot succeed; plan again`,
          );
        }
        // Held = still associated with an interface but not with an instance (a NAT gateway's ENI).
        stillAssociated = found.filter((a) => a.AssociationId && !a.InstanceId).map((a) => a.AllocationId as string);
        if (stillAssociated.length === 0) break;
        if (fast && clock.now() - lastGatewayPoll >= FAST_GATEWAY_EVERY_MS) {
          const gateways = (await pollGateways()).filter((g) => HOLDING_STATES.has(g.state));
          const state = gateways.length
            ? gateways.map((g) => `${g.id} ${g.state}`).join(', ')
            : `NAT gateway(s) deleted; Elastic IP(s) still associated: ${stillAssociated.join(', ')}`;
          if (state !== lastState)
            log(gateways.length ? `waiting for NAT gateway(s) to finish deleting: ${state}` : state);
          lastState = state;
        } else if (!fast) {
          const state = `still associated: ${stillAssociated.join(', ')}`;
          if (state !== lastState) log(`NAT gateway(s) deleted; Elastic IP(s) ${state}`);
          lastState = state;
        }
      }
      backoff = 0;
    } catch (err) {
      if (options.signal?.aborted)
        return result('cancelled', 'cancelled while waiting for the Elastic IPs to be released');
      if (isDeadlineExceeded(err)) {
        return result(
          'timeout',
          `an EC2 call was still unanswered at the deadline (${describeError(err)}) after ${formatDuration(clock.now() - startedAt)} (release-timeout ${formatDuration(options.timeoutMs)})`,
        );
      }
      if (!isTransientAwsError(err)) {
        const code = awsErrorCode(err);
        const iam = /UnauthorizedOperation|AccessDenied/.test(code)
          ? ' (the role needs ec2:DescribeNatGateways and ec2:DescribeAddresses)'
          : '';
        throw Object.assign(
          new Error(
            `EC2 ${phase === 'gateways' ? 'DescribeNatGateways' : 'DescribeAddresses'} failed while confirming the EIP race: ${describeError(err)}${iam}`,
          ),
          { cause: err },
        );
      }
      throttled++;
      backoff = Math.min(THROTTLE_MAX_MS, Math.max(backoff * 2, 4_000));
      log(
        `EC2 is throttling or unavailable (${awsErrorCode(err) || describeError(err)}): polling again in ${Math.round(backoff / 1000)} s`,
      );
    }
    const now = clock.now();
    if (now >= deadline) {
      const holding = [...seen.values()].filter((g) => HOLDING_STATES.has(g.state));
      const what =
        phase === 'gateways'
          ? `NAT gateway(s) ${holding.map((g) => `${g.id} still ${g.state}`).join(', ')}`
          : `Elastic IP(s) ${stillAssociated.join(', ')} still associated after the gateway(s) were deleted`;
      return result(
        'timeout',
        `${what} after ${formatDuration(now - startedAt)} (release-timeout ${formatDuration(options.timeoutMs)})`,
      );
    }
    const interval =
      backoff ||
      (options.pollIntervalMs ?? (fast && phase === 'addresses' ? FAST_POLL_MS : adaptiveInterval(phase, phasePolls)));
    phasePolls++;
    try {
      await clock.sleep(Math.min(interval, Math.max(1, deadline - now)), options.signal);
    } catch {
      return result('cancelled', 'cancelled while waiting for the Elastic IPs to be released');
    }
  }
  const releasedAt = clock.now();
  log(
    fast
      ? `Elastic IP(s) released after ${formatDuration(releasedAt - startedAt)}`
      : `Elastic IP(s) released after ${formatDuration(releasedAt - startedAt)}; grace ${formatDuration(graceMs)} before re-applying`,
  );
  try {
    if (graceMs > 0) await clock.sleep(graceMs, options.signal);
  } catch {
    return result('cancelled', 'cancelled while waiting for the Elastic IPs to be released', releasedAt);
  }
  return result(
    'released',
    `Elastic IP(s) ${[...wanted].join(', ')} released ${formatDuration(releasedAt - startedAt)} after the race was seen`,
    releasedAt,
  );
}
