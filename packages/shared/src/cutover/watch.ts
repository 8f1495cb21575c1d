/**
 * The race watch: started the moment an apply's `-json` stream carries a diagnostic with the race's pattern —
 * while terraform is still waiting for the NAT gateway deletions — it confirms the race with EC2 (a gateway being
 * deleted holds or held the address), watches the address, and, with `restore: associate` and a reviewed plan
 * that says exactly which target the address goes to, associates it the moment EC2 shows it free. One task per
 * Elastic IP, each bounded by `release-timeout` from the moment its diagnostic arrived, EC2 calls in flight
 * included; cancelling the run ends every task at once.
 */
import type { ResourceChange } from '../plan/index';
import { asObj } from '../plan/index';
import { describeError } from '../runtime/index';
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

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The allocation ids and gateways to watch, from the race errors and the reviewed plan. */
export function releaseTarget(errors: readonly RaceError[], natChanges: readonly ResourceChange[]): ReleaseTarget {
  const allocations = new Set<string>();
  for (const e of errors) {
    if (e.allocationId) {
      allocations.add(e.allocationId);
      continue;
    }
    const rc = natChanges.find((c) => c.address === e.address && !c.deposed);
    const after = asObj(rc?.change.after);
    const before = asObj(rc?.change.before);
    const regional = (Array.isArray(after?.availability_zone_address) ? after.availability_zone_address : []).flatMap(
      (a) => (Array.isArray(asObj(a)?.allocation_ids) ? (asObj(a)?.allocation_ids as unknown[]) : []),
    );
    const ids =
      e.resourceType === 'aws_eip'
        ? [str(before?.allocation_id) ?? str(before?.id) ?? str(after?.allocation_id)]
        : [str(after?.allocation_id) ?? str(before?.allocation_id), ...regional.map(str)];
    for (const id of ids) if (id) allocations.add(id);
  }
  const gatewayIds: string[] = [];
  for (const rc of natChanges) {
    if (rc.type !== 'aws_nat_gateway' || !rc.change.actions.includes('delete')) continue;
    const before = asObj(rc.change.before);
    const id = str(before?.id);
    const allocation = str(before?.allocation_id);
    if (id && (allocations.size === 0 || !allocation || allocations.has(allocation))) gatewayIds.push(id);
  }
  return { allocationIds: [...allocations], gatewayIds };
}

export interface WatchTask {
  error: RaceError;
  seenAt: number;
  wait: ReleaseResult;
  /** The planned association, when fast restore applies to this error. */
  planned?: PlannedAssociation;
  /** Why fast restore does not apply to this error (or fell back). */
  notApplicable?: string;
  associate?: AssociateResult;
}

/** Bound of the association attempts after the release (lingering AuthFailure retried inside it). */
export const ASSOCIATE_BOUND_MS = 15_000;

export class RaceWatch {
  private readonly tasks = new Map<string, Promise<WatchTask>>();
  private readonly controller = new AbortController();
  private readonly onParentAbort = () => this.controller.abort();

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

  get started(): number {
    return this.tasks.size;
  }

  /** Starts watching for `error` (once per resource address). */
  see(error: RaceError): void {
    if (this.tasks.has(error.address)) return;
    const seenAt = this.run.clock.now();
    this.run.info(
      `${error.address}: ${error.resourceType === 'aws_nat_gateway' ? 'NAT gateway creation failed, its Elastic IP still associated' : 'AuthFailure associating its Elastic IP'} — the pattern of the Elastic IP race; confirming with EC2 while terraform finishes.`,
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

  private async task(error: RaceError, seenAt: number): Promise<WatchTask> {
    const { run } = this;
    const { options, clock } = run;
    const mode = options.restore ?? 'associate';
    let planned: PlannedAssociation | undefined;
    let notApplicable: string | undefined;
    if (mode === 'associate') {
      const p = planRestore([error], this.natChanges);
      if (p.notApplicable) notApplicable = p.notApplicable;
      else planned = p.associations[0];
    }
    const target = releaseTarget([error], this.natChanges);
    const log = (m: string) => run.info(`${error.address}: ${m}`);
    let wait: ReleaseResult;
    try {
      wait = await waitForRelease(target, {
        ec2: run.deps.ec2(),
        clock,
        timeoutMs: options.releaseTimeoutMs,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.releaseGraceMs !== undefined ? { graceMs: options.releaseGraceMs } : {}),
        signal: this.controller.signal,
        log,
        watch: planned ? 'addresses' : 'gateways',
        onConfirmed: (gateways) =>
          log(
            `EC2 confirms the Elastic IP race: ${gateways.map((g) => `${g.id} ${g.state}`).join(', ')} holds or held ${target.allocationIds.join(', ')}`,
          ),
      });
    } catch (err) {
      const now = clock.now();
      wait = {
        outcome: 'not-race',
        message: `could not confirm the race with EC2: ${describeError(err)}`,
        startedAt: seenAt,
        endedAt: now,
        polls: 0,
        ec2Calls: 0,
        throttled: 0,
        gateways: [],
        stillAssociated: target.allocationIds,
      };
      (wait as ReleaseResult & { error?: boolean }).error = true;
    }
    const t: WatchTask = {
      error,
      seenAt,
      wait,
      ...(planned ? { planned } : {}),
      ...(notApplicable ? { notApplicable } : {}),
    };
    if (wait.outcome !== 'released' || !planned) return t;
    const unresolved = resolveTargetIds({ associations: [planned] }, this.hooks());
    if (unresolved) {
      t.notApplicable = unresolved;
      return t;
    }
    log(`free: associating ${planned.allocationId} with ${planned.target.id} now (AllowReassociation false)`);
    t.associate = await associateAddress(planned, {
      ec2: run.deps.ec2(),
      clock,
      signal: this.controller.signal,
      deadline: clock.now() + ASSOCIATE_BOUND_MS,
      log,
    });
    if (t.associate.outcome === 'failed') t.notApplicable = t.associate.message as string;
    return t;
  }
}
