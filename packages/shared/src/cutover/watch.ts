/**
 * The race watch: started the moment an apply's `-json` stream carries a diagnostic with the race's pattern —
 * while terraform is still waiting for the NAT gateway deletions — it confirms the race with EC2 (a gateway being
 * deleted holds or held the address), watches the address, and, with `restore: associate` and a reviewed plan
 * that says exactly which target the address goes to, associates it the moment EC2 shows it free. One task per
 * Elastic IP, each bounded by `release-timeout` from the moment its diagnostic arrived, EC2 calls in flight
 * included; cancelling the run ends every task at once.
 */
import { claimOf, gatewayAllocationIds, natGatewayOf } from '../nat/index';
import type { ResourceChange } from '../plan/index';
import { describeError, releaseProgress, type ReleaseProgress } from '../runtime/index';
import { associationHolder, waitForDisassociation, type AssociationHolder } from './association-release';
import type { RaceError } from './race';
import { waitForRelease, type ReleaseResult, type ReleaseTarget } from './release';
import {
  associateAddress,
  planRestore,
  resolveTargetIds,
  type AssociateResult,
  type PlannedAssociation,
} from './restore';
import type { CutoverRun } from './run';
import type { HookEvent } from '../terraform/index';

/**
 * The Elastic IP allocations a race error's resource needs, read from the reviewed plan through nat/ (for an
 * error whose message names no allocation): an aws_eip its own allocation (before side, else after); an
 * association the allocation it takes (after side, else before); a NAT gateway every allocation it is given on
 * the after side (allocation_id, secondary_allocation_ids, a regional gateway's per-AZ and regional addresses),
 * else the before side's.
 */
function neededAllocations(rc: ResourceChange): string[] {
  if (rc.type === 'aws_nat_gateway') {
    const after = gatewayAllocationIds(rc, 'after');
    return after.length > 0 ? after : gatewayAllocationIds(rc, 'before');
  }
  const sides = rc.type === 'aws_eip' ? (['before', 'after'] as const) : (['after', 'before'] as const);
  const allocationId = claimOf(rc, sides[0])?.allocationId ?? claimOf(rc, sides[1])?.allocationId;
  return allocationId ? [allocationId] : [];
}

/**
 * The allocation ids and gateways to watch, from the race errors and the reviewed plan: each error's allocation
 * (named by its message, else `neededAllocations`), and the NAT gateways the plan deletes (their before side's id)
 * that hold one of them — or every deleted gateway when no allocation is known or the gateway's are not.
 */
export function releaseTarget(errors: readonly RaceError[], natChanges: readonly ResourceChange[]): ReleaseTarget {
  const allocations = new Set<string>();
  for (const e of errors) {
    const rc = e.allocationId ? undefined : natChanges.find((c) => c.address === e.address && !c.deposed);
    for (const id of e.allocationId ? [e.allocationId] : rc ? neededAllocations(rc) : []) allocations.add(id);
  }
  const gatewayIds: string[] = [];
  for (const rc of natChanges) {
    const id = rc.change.actions.includes('delete') ? natGatewayOf(rc, 'before')?.id : undefined;
    if (!id) continue;
    const held = gatewayAllocationIds(rc, 'before');
    if (allocations.size === 0 || held.length === 0 || held.some((a) => allocations.has(a))) gatewayIds.push(id);
  }
  return { allocationIds: [...allocations], gatewayIds };
}

/** `progress` with each line prefixed (the race watch's lines name the association they are about). */
function prefixed(progress: ReleaseProgress, prefix: string): ReleaseProgress {
  return {
    state: (line) => progress.state(`${prefix}${line}`),
    released: (line) => progress.released(`${prefix}${line}`),
    stopped: (outcome) => progress.stopped(outcome),
  };
}

/** A task's release wait; `error` when EC2 could not be asked at all (an EC2 error, not a verdict on the race). */
export type TaskWait = ReleaseResult & { error?: boolean };

export interface WatchTask {
  error: RaceError;
  seenAt: number;
  wait: TaskWait;
  /** The planned association, when fast restore applies to this error. */
  planned?: PlannedAssociation;
  /** Why fast restore does not apply to this error (or fell back). */
  notApplicable?: string;
  associate?: AssociateResult;
}

/** Bound of the association attempts after the release (lingering AuthFailure retried inside it). */
const ASSOCIATE_BOUND_MS = 15_000;

export class RaceWatch {
  private readonly tasks = new Map<string, Promise<WatchTask>>();
  private readonly controller = new AbortController();
  private readonly onParentAbort = () => this.controller.abort();
  /** When this watch's first release wait began: its waits (one per Elastic IP) report one stage timed from it. */
  private waitsStartedAt?: number;

  /**
   * @param hooks the current apply's hook events (the new instances' ids come from them)
   */
  constructor(
    private readonly run: CutoverRun,
    private readonly natChanges: readonly ResourceChange[],
    private readonly hooks: () => readonly HookEvent[],
  ) {
    run.deps.signal?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /** Starts watching for `error` (once per resource address). */
  see(error: RaceError): void {
    if (this.tasks.has(error.address)) return;
    const seenAt = this.run.clock.now();
    const what =
      error.resourceType === 'aws_nat_gateway'
        ? 'NAT gateway creation failed, its Elastic IP still associated'
        : 'AuthFailure associating its Elastic IP';
    this.run.info(
      `${error.address}: ${what} — the pattern of the Elastic IP race; confirming with EC2 while terraform finishes.`,
    );
    this.tasks.set(error.address, this.task(error, seenAt));
  }

  /** Waits for every task. */
  async settle(): Promise<WatchTask[]> {
    try {
      return await Promise.all(this.tasks.values());
    } finally {
      this.run.deps.signal?.removeEventListener('abort', this.onParentAbort);
    }
  }

  /** Stops every task (the apply failed for another reason). */
  cancel(): void {
    this.controller.abort();
  }

  /** restore: associate — the association the reviewed plan says, or why fast restore does not apply. */
  private restorePlan(error: RaceError): Pick<WatchTask, 'planned' | 'notApplicable'> {
    if ((this.run.options.restore ?? 'associate') !== 'associate') return {};
    const p = planRestore([error], this.natChanges);
    if (p.notApplicable) return { notApplicable: p.notApplicable };
    return p.associations[0] ? { planned: p.associations[0] } : {};
  }

  /**
   * The release wait for one error (release.ts), its state lines and end as progress events of the `release` wait
   * (prefixed with the error's address, as logged; the stage timed from this watch's first wait, so concurrent
   * waits read as one stage whose text changes); an EC2 error ends it as not the race, flagged `error`.
   */
  private async waitFor(error: RaceError, target: ReleaseTarget, seenAt: number, fast: boolean): Promise<TaskWait> {
    const { options, clock, deps } = this.run;
    const log = (m: string) => this.run.info(`${error.address}: ${m}`);
    this.waitsStartedAt ??= clock.now();
    const progress = releaseProgress(this.run.progress, clock, this.waitsStartedAt);
    try {
      return await waitForRelease(target, {
        ec2: deps.ec2(),
        clock,
        progress: prefixed(progress, `${error.address}: `),
        timeoutMs: options.releaseTimeoutMs,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.releaseGraceMs !== undefined ? { graceMs: options.releaseGraceMs } : {}),
        signal: this.controller.signal,
        log,
        watch: fast ? 'addresses' : 'gateways',
        onConfirmed: (gateways) =>
          log(
            `EC2 confirms the Elastic IP race: ${gateways.map((g) => `${g.id} ${g.state}`).join(', ')} holds or ` +
              `held ${target.allocationIds.join(', ')}`,
          ),
      });
    } catch (err) {
      return {
        outcome: 'not-race',
        message: `could not confirm the race with EC2: ${describeError(err)}`,
        startedAt: seenAt,
        endedAt: clock.now(),
        polls: 0,
        ec2Calls: 0,
        throttled: 0,
        gateways: [],
        stillAssociated: target.allocationIds,
        error: true,
      };
    }
  }

  /**
   * The instance → gateway race (association-release.ts): the holder is an association the plan deletes; wait
   * until EC2 shows the address free, then the converge phase re-plans and applies the gateway.
   */
  private async waitForAssociation(error: RaceError, holder: AssociationHolder, seenAt: number): Promise<TaskWait> {
    const { options, clock, deps } = this.run;
    this.waitsStartedAt ??= clock.now();
    const progress = releaseProgress(this.run.progress, clock, this.waitsStartedAt);
    const wait = await waitForDisassociation(holder, {
      ec2: deps.ec2(),
      clock,
      progress: prefixed(progress, `${error.address}: `),
      timeoutMs: options.releaseTimeoutMs,
      signal: this.controller.signal,
      log: (m: string) => this.run.info(`${error.address}: ${m}`),
    });
    return { ...wait, startedAt: seenAt };
  }

  /** Fast restore once released: the target's id from the apply's stream, then AssociateAddress at once. */
  private async associate(t: WatchTask, planned: PlannedAssociation, log: (m: string) => void): Promise<void> {
    const { clock, deps } = this.run;
    const unresolved = resolveTargetIds({ associations: [planned] }, this.hooks());
    if (unresolved) {
      t.notApplicable = unresolved;
      return;
    }
    log(`free: associating ${planned.allocationId} with ${planned.target.id} now (AllowReassociation false)`);
    t.associate = await associateAddress(planned, {
      ec2: deps.ec2(),
      clock,
      signal: this.controller.signal,
      deadline: clock.now() + ASSOCIATE_BOUND_MS,
      log,
      journal: this.run.journal,
    });
    if (t.associate.outcome === 'failed') t.notApplicable = t.associate.message as string;
  }

  private async task(error: RaceError, seenAt: number): Promise<WatchTask> {
    const { planned, notApplicable } = this.restorePlan(error);
    const target = releaseTarget([error], this.natChanges);
    const log = (m: string) => this.run.info(`${error.address}: ${m}`);
    const holder = error.resourceType === 'aws_nat_gateway' ? associationHolder(target, this.natChanges) : undefined;
    const wait = holder
      ? await this.waitForAssociation(error, holder, seenAt)
      : await this.waitFor(error, target, seenAt, planned !== undefined);
    const t: WatchTask = {
      error,
      seenAt,
      wait,
      ...(planned ? { planned } : {}),
      ...(notApplicable ? { notApplicable } : {}),
    };
    if (wait.outcome === 'released' && planned) await this.associate(t, planned, log);
    return t;
  }
}
