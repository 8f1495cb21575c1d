/**
 * The release wait's state machine, defined: its states, the poll schedule as data, the record one wait keeps, and
 * one transition function per polling state (what it asks EC2, what it logs, where it goes next). release.ts runs
 * it (the loop, back-off, deadline, grace) and documents the states.
 */
import { DescribeAddressesCommand, paginateDescribeNatGateways, type EC2Client } from '@aws-sdk/client-ec2';
import { formatDuration } from '../inputs/index';
import { addressHolder, natGatewayAllocations } from '../nat/index';
import type { Clock, ReleaseProgress } from '../runtime/index';
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
  /** The wait's other lines (confirmations, throttling); without `progress`, its state and release lines too. */
  log?: (message: string) => void;
  /**
   * The wait's progress events (runtime releaseProgress): each state line as a stage (and its log line), the release
   * as the end `released` with its line, and the end `timeout`, `not-race` or `stopped` (no line) otherwise.
   */
  progress?: ReleaseProgress;
  /** 'gateways' (default, re-apply): gateways then addresses, adaptive, then a grace. 'addresses': fast restore. */
  watch?: 'gateways' | 'addresses';
  /** Called once, when the first DescribeNatGateways shows a gateway being deleted holding the addresses. */
  onConfirmed?: (gateways: GatewaySeen[], at: number) => void;
}

export interface GatewaySeen {
  id: string;
  state: string;
  allocationIds: string[];
}

/** The states that poll EC2 (grace and the outcomes do not). */
export type PollState = 'confirming' | 'gateways-deleting' | 'address-lingering' | 'address-watching';

/** Where a poll leads: a polling state (at once, or after the interval), the grace, or not the race. */
export type Next = { state: PollState; now?: true } | { state: 'grace' } | { state: 'not-race'; message: string };

export const ADAPTIVE_MAX_MS = 5_000;
/** Fast restore: DescribeAddresses every second. */
export const FAST_POLL_MS = 1_000;
/** Fast restore: a DescribeNatGateways at most every 15 s, for the log and the timeout message. */
export const FAST_GATEWAY_EVERY_MS = 15_000;
/** Adaptive gateway polls: 2 s, then 1 s more per poll up to ADAPTIVE_MAX_MS; lingering addresses every 3 s. */
const ADAPTIVE = { firstMs: 2_000, stepMs: 1_000, maxMs: ADAPTIVE_MAX_MS, addressesMs: 3_000 } as const;
/** Throttled or unavailable EC2: 4 s, doubling, at most 20 s. */
export const THROTTLE = { firstMs: 4_000, factor: 2, maxMs: 20_000 } as const;

/** Adaptive interval for the n-th poll (0-based) of a phase. */
export function adaptiveInterval(phase: 'gateways' | 'addresses', n: number): number {
  if (phase === 'addresses') return ADAPTIVE.addressesMs;
  return Math.min(ADAPTIVE.maxMs, ADAPTIVE.firstMs + n * ADAPTIVE.stepMs);
}

/**
 * The poll schedule: the EC2 call a state polls with (its phase: the adaptive count restarts when it changes) and
 * the interval after its n-th poll of the phase (0-based), unless a fixed interval or a back-off applies.
 */
export const SCHEDULE: Record<PollState, { phase: 'gateways' | 'addresses'; intervalMs: (n: number) => number }> = {
  confirming: { phase: 'gateways', intervalMs: (n) => adaptiveInterval('gateways', n) },
  'gateways-deleting': { phase: 'gateways', intervalMs: (n) => adaptiveInterval('gateways', n) },
  'address-lingering': { phase: 'addresses', intervalMs: (n) => adaptiveInterval('addresses', n) },
  'address-watching': { phase: 'addresses', intervalMs: () => FAST_POLL_MS },
};

/** NAT gateway states in which a gateway still holds its addresses (EC2 API reference, NatGateway.State). */
export const HOLDING_STATES = new Set(['pending', 'available', 'deleting']);
const ALL_STATES = ['pending', 'failed', 'available', 'deleting', 'deleted'];

/** What one wait knows and has counted; the transitions and the loop in release.ts update it. */
export interface Wait {
  readonly target: ReleaseTarget;
  readonly options: ReleaseOptions;
  readonly wanted: ReadonlySet<string>;
  readonly fast: boolean;
  readonly log: (message: string) => void;
  readonly startedAt: number;
  readonly deadline: number;
  state: PollState;
  /** The gateways `confirming` found: later gateway polls ask only for them. */
  scope?: string[];
  /** Every gateway seen, by id, in its last seen state. */
  readonly seen: Map<string, GatewaySeen>;
  confirmedAt?: number;
  lastGatewayPoll: number;
  /** The last state line logged: a line is logged only when it changes. */
  lastLine: string;
  stillAssociated: string[];
  polls: number;
  ec2Calls: number;
  throttled: number;
  /** Polls so far in the current phase (the adaptive schedule's n). */
  phasePolls: number;
  /** The current throttling back-off (0 = none). */
  backoffMs: number;
}

function call<T>(w: Wait, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { clock, signal } = w.options;
  return within(fn, { clock, deadline: w.deadline, ...(signal ? { signal } : {}), what: `EC2 ${what}` });
}

/**
 * DescribeNatGateways in every state (one call per page): the gateways that hold or held a wanted address, or that
 * the plan deletes. Before `scope` is known, every gateway of the region (or the plan's, when no allocation is
 * wanted); after, only the scope.
 */
async function describeGateways(w: Wait): Promise<GatewaySeen[]> {
  const { ec2, clock } = w.options;
  const filters = [{ Name: 'state', Values: ALL_STATES }];
  if (w.scope) filters.push({ Name: 'nat-gateway-id', Values: w.scope });
  else if (w.wanted.size === 0) filters.push({ Name: 'nat-gateway-id', Values: w.target.gatewayIds });
  const matched: GatewaySeen[] = [];
  await call(w, 'DescribeNatGateways', async (abortSignal) => {
    const pages = paginateDescribeNatGateways({ client: ec2, pageSize: 100 }, { Filter: filters }, { abortSignal });
    for await (const page of pages) {
      w.ec2Calls++;
      for (const g of page.NatGateways ?? []) {
        const allocations = natGatewayAllocations(g);
        const id = g.NatGatewayId ?? '';
        if (allocations.some((a) => w.wanted.has(a)) || w.target.gatewayIds.includes(id))
          matched.push({ id, state: String(g.State ?? 'unknown'), allocationIds: allocations });
      }
    }
  });
  w.lastGatewayPoll = clock.now();
  for (const g of matched) w.seen.set(g.id, g);
  return matched;
}

/** A state line of the wait (a status line's text): a progress stage with `options.progress`, else a log line. */
function stateLine(w: Wait, line: string): void {
  if (w.options.progress) w.options.progress.state(line);
  else w.log(line);
}

const listed = (gateways: readonly GatewaySeen[]) => gateways.map((g) => `${g.id} ${g.state}`).join(', ');

/**
 * What the gateways say (confirming and gateways-deleting): one that holds an address and is not being deleted
 * means waiting cannot help; the first answer confirms the race; none left holding → the addresses.
 */
function afterGateways(w: Wait, matched: GatewaySeen[]): Next {
  const holding = matched.filter((g) => HOLDING_STATES.has(g.state));
  const g = holding.find((h) => h.state !== 'deleting');
  if (g) {
    return {
      state: 'not-race',
      message:
        `NAT gateway ${g.id} is ${g.state} and still holds ${g.allocationIds.join(', ')}: it is not being deleted, ` +
        'so waiting cannot free the address',
    };
  }
  if (w.confirmedAt === undefined) {
    w.confirmedAt = w.options.clock.now();
    w.options.onConfirmed?.(matched, w.confirmedAt);
  }
  const state = listed(holding);
  if (w.fast && holding.length > 0 && w.wanted.size > 0) {
    const every = formatDuration(w.options.pollIntervalMs ?? FAST_POLL_MS);
    stateLine(w, `watching ${[...w.wanted].join(', ')} every ${every} until EC2 shows it free`);
    w.lastLine = state;
    return { state: 'address-watching', now: true };
  }
  if (holding.length === 0) {
    w.log(`NAT gateway(s) ${listed(matched)}: checking the Elastic IPs`);
    if (w.wanted.size > 0) return { state: w.fast ? 'address-watching' : 'address-lingering', now: true };
    w.stillAssociated = [];
    return { state: 'grace' };
  }
  if (state !== w.lastLine) stateLine(w, `waiting for NAT gateway(s) to finish deleting: ${state}`);
  w.lastLine = state;
  return { state: 'gateways-deleting' };
}

/** State confirming: every gateway that holds or held the addresses; none at all → not the race. */
async function confirming(w: Wait): Promise<Next> {
  const matched = await describeGateways(w);
  if (matched.length === 0) {
    return {
      state: 'not-race',
      message:
        `no NAT gateway holds or held ${[...w.wanted].join(', ') || 'the Elastic IPs'} (DescribeNatGateways, all ` +
        "states): the AuthFailure is not the cutover race; check who owns the address and the role's permissions",
    };
  }
  w.scope = matched.map((g) => g.id);
  return afterGateways(w, matched);
}

/** State gateways-deleting: the confirmed gateways again, until none holds an address. */
async function gatewaysDeleting(w: Wait): Promise<Next> {
  return afterGateways(w, await describeGateways(w));
}

/**
 * DescribeAddresses of the wanted allocations: sets `stillAssociated` (nat/ addressHolder 'interface': associated
 * with a network interface and no instance, a NAT gateway's ENI). A missing address is not the race.
 */
async function describeAddresses(w: Wait): Promise<Next | undefined> {
  w.ec2Calls++;
  const out = await call(w, 'DescribeAddresses', (abortSignal) =>
    w.options.ec2.send(new DescribeAddressesCommand({ AllocationIds: [...w.wanted] }), { abortSignal }),
  );
  const found = out.Addresses ?? [];
  const missing = [...w.wanted].filter((a) => !found.some((f) => f.AllocationId === a));
  if (missing.length > 0) {
    return {
      state: 'not-race',
      message: `Elastic IP ${missing.join(', ')} no longer exists: the plan's association cannot succeed; plan again`,
    };
  }
  w.stillAssociated = found.filter((a) => addressHolder(a) === 'interface').map((a) => a.AllocationId as string);
  return w.stillAssociated.length === 0 ? { state: 'grace' } : undefined;
}

/** State address-lingering: the gateways are deleted; the addresses until they show no association. */
async function addressLingering(w: Wait): Promise<Next> {
  const done = await describeAddresses(w);
  if (done) return done;
  const state = `still associated: ${w.stillAssociated.join(', ')}`;
  if (state !== w.lastLine) stateLine(w, `NAT gateway(s) deleted; Elastic IP(s) ${state}`);
  w.lastLine = state;
  return { state: 'address-lingering' };
}

/** State address-watching (fast restore): the addresses every poll, the gateways every FAST_GATEWAY_EVERY_MS. */
async function addressWatching(w: Wait): Promise<Next> {
  const done = await describeAddresses(w);
  if (done) return done;
  if (w.options.clock.now() - w.lastGatewayPoll >= FAST_GATEWAY_EVERY_MS) {
    const gateways = (await describeGateways(w)).filter((g) => HOLDING_STATES.has(g.state));
    const state = gateways.length
      ? listed(gateways)
      : `NAT gateway(s) deleted; Elastic IP(s) still associated: ${w.stillAssociated.join(', ')}`;
    if (state !== w.lastLine)
      stateLine(w, gateways.length ? `waiting for NAT gateway(s) to finish deleting: ${state}` : state);
    w.lastLine = state;
  }
  return { state: 'address-watching' };
}

/** One transition function per polling state. */
export const TRANSITIONS: Record<PollState, (w: Wait) => Promise<Next>> = {
  confirming,
  'gateways-deleting': gatewaysDeleting,
  'address-lingering': addressLingering,
  'address-watching': addressWatching,
};
