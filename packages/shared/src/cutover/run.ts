/**
 * What every cutover phase shares: the options and injected dependencies, the result being built, the timeline
 * record (one step per phase run, in the order they started) and the apply streams' hook events, plus the few
 * operations every phase needs (log a line, read a plan through `terraform show -json`, run terraform streamed,
 * end the run as failed or cancelled with advice that fits what was applied).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { AmiCriteria } from '../ami/index';
import { InputError } from '../inputs/index';
import { PlanFormatError, combineDigests, loadPlanFile, type ResourceChange } from '../plan/index';
import { isNatCandidate, type ModeSwitch } from '../nat/index';
import { ROLLBACK_LEVER_LINE } from '../report/index';
import { ActionFailure, logProgress, type Clock, type Progress } from '../runtime/index';
import { changeRef, type ChangeRef } from './converge';
import type { AssociateResult } from './restore';
import type { ReleaseResult } from './release';
import type { CutoverJournal, JournalEntry } from './journal-types';
import type { AzGap, BridgeRecord, Strategy } from './switch-types';
import { UiStream, type Diagnostic, type HookEvent, type RenderedLine, type TerraformDriver } from '../terraform/index';
import { egressGap, step, type EgressRoles, type Timeline, type TimelineStep } from './timeline';
import { azGaps, worstGap } from './gaps';
import { Journal, runIdentity } from './journal';
import type { LockReader } from './lock';
import { recordCommand } from './lock-watch';

export type CutoverOutcome = 'applied' | 'converged' | 'unchanged' | 'recovered' | 'stale' | 'failed' | 'cancelled';
export type RestoreMode = 'associate' | 'reapply';

export interface CutoverOptions {
  /** Absolute working directory (terraform's cwd). */
  workingDirectory: string;
  /** The saved plan, relative to the working directory or absolute. */
  planfile: string;
  /** Extra arguments for re-plans (one per item); the -var/-var-file/-lock options also go to `terraform import`. */
  applyArgs: string[];
  /** plan-guard's plan-sha; empty = not checked. */
  expectedPlanSha?: string;
  maxApplies: number;
  /** Hard deadline for confirming the race and waiting for the release, EC2 calls in flight included (ms). */
  releaseTimeoutMs: number;
  /** Fixed poll interval; undefined = adaptive (≤ 5 s; 1 s while watching an address for fast restore). */
  pollIntervalMs?: number;
  /** Pause after the addresses are free, before re-planning (default 2 s; re-apply path only). */
  releaseGraceMs?: number;
  /**
   * associate (default): associate the address the moment it is free, import, re-plan. reapply: re-plan and
   * re-apply.
   */
  restore?: RestoreMode;
  amiCheck: 'auto' | 'off';
  ami: AmiCriteria;
  /**
   * auto (default): the bridged switch when it can apply, else in-place; bridge: refuse before any change when it
   * cannot; in-place: one apply of the whole plan with the fast restore (the behaviour before bridging).
   */
  strategy?: Strategy | 'auto';
  /** How long a bridged AZ's new NAT may take to pass verify-egress's NAT checks (ms; default 5 min). */
  healthTimeoutMs?: number;
  /** The bridge watch's EC2 poll interval (ms; default 500). */
  watchIntervalMs?: number;
}

export interface CutoverOutput {
  line(line: RenderedLine): void;
  startGroup(title: string): void;
  endGroup(): void;
  /** Registers a value to be masked in every later log line. */
  secret(value: string): void;
}

export interface CutoverDeps {
  terraform: TerraformDriver;
  /** The EC2 client; called only when EC2 is needed. Throws an InputError when the region is not set. */
  ec2: () => EC2Client;
  clock: Clock;
  out: CutoverOutput;
  /** Where show output and re-plans go. */
  tempDir: string;
  /** The runner cancelling the job. */
  signal?: AbortSignal;
  /**
   * Where the release waits report progress (runtime actionProgress: their lines to the log, their events to the
   * parent's channel); default: their lines to `out` as info lines.
   */
  progress?: Progress;
  /**
   * Where the changes the cutover makes outside terraform (the bridge routes, associations, imports) are recorded
   * write-ahead (journal.ts, kept beside the state by the action entry); absent: an in-memory journal (tests).
   */
  journal?: CutoverJournal;
  /** CloudWatch for the bridge's capacity check (the serving NAT instances' measured peak); absent = not checked. */
  cloudwatch?: () => CloudWatchClient;
  /** The state lock (lock.ts): read while terraform commands of this run hold it, so the journal names it. */
  stateLock?: LockReader;
  /** The IAM client (orphan look-ups of the NAT instances' role and profile); absent: IAM is not looked up. */
  iam?: () => IAMClient;
}

export interface RestoreRecord {
  mode: RestoreMode;
  /** How egress came back: associate (cutover's AssociateAddress), reapply (terraform), or '' (not restored). */
  path: 'associate' | 'reapply' | '';
  /** Why fast restore did not apply (or fell back), when it did not. */
  notApplicable?: string;
  associations: AssociateResult[];
  /** Associations cutover imported into terraform's state. */
  imported: string[];
}

/** What the run found that earlier runs left (journal, AWS, the state lock) and what it did about it. */
export interface RecoveryRecord {
  /** Where the journal is, and whether it survives the runner (beside the state). */
  journal: string;
  durable: boolean;
  /** What earlier runs left, one line each (from the journal, checked with AWS). */
  found: string[];
  /** What this run did about it, one line each (lock released, objects imported). */
  done: string[];
  /** The state lock this run found before planning or applying. */
  lock?: { id: string; who: string; created: string; operation: string; released: boolean };
  /** Objects an interrupted apply left outside the state that this run imported: `address ← id`. */
  imported: string[];
}

export interface CutoverResult {
  result: CutoverOutcome;
  applies: number;
  retriedBecause: string;
  egressGapSeconds?: number;
  timeline: Timeline;
  planSha: string;
  modeSwitch: ModeSwitch;
  /** Applies the reviewed plan needs (2 when an address held by a gateway being deleted is taken in the same apply). */
  expectedApplies: number;
  /** One line, when failed or cancelled. */
  failure?: string;
  /** What the operator should do, when failed or cancelled. */
  nextSteps: string[];
  /** The error diagnostics of the step that failed. */
  errors: Diagnostic[];
  /** Re-plan changes that were not in the reviewed plan. */
  unexpected: string[];
  /** The release waits (one per race error). */
  waits: ReleaseResult[];
  /** The first release wait (kept for the summary and older readers). */
  wait?: ReleaseResult;
  restore?: RestoreRecord;
  /** What earlier runs left and what this run did about it (journal, lock, orphans). */
  recovery?: RecoveryRecord;
  /** The AMI the NAT instances launch from, when the AMI check ran. */
  ami?: string;
  warnings: string[];
  /** What ran: bridge or in-place; undefined when the run ended before deciding. */
  strategy?: Strategy;
  /** Why that strategy (and the outage to expect), one line each, said up front. */
  strategyReason?: string;
  expectedOutage?: string;
  /** Per AZ: the longest egress outage the cutover saw, with its bounds. */
  egressGaps: AzGap[];
  /** Bridged switch: each AZ's route, where it points at the end, and what happened to it. */
  bridges: BridgeRecord[];
  /** The journal records this run made (in memory), for the summary. */
  journal?: readonly JournalEntry[];
}

export interface ReadPlan {
  sha: string;
  refs: ChangeRef[];
  natChanges: ResourceChange[];
  applyable?: boolean;
  warnings: string[];
}

export interface StreamedRun {
  ok: boolean;
  interrupted: boolean;
  /** Interrupted and still running when the run stopped waiting for it (the runner's seconds were up). */
  abandoned: boolean;
  exit: string;
  stream: UiStream;
}

/** The runbook's rollback lever (seed 000), in the wording every action uses (report's ROLLBACK_LEVER_LINE). */
export const ROLLBACK = ROLLBACK_LEVER_LINE;

export class CutoverRun {
  readonly steps: TimelineStep[] = [];
  readonly hooks: HookEvent[] = [];
  readonly result: CutoverResult;
  /** Set by preflight: does the plan touch NAT egress (the rollback lever is relevant once something applied)? */
  touchesNat = false;
  roles: EgressRoles = { breaking: new Set(), restoring: new Set() };
  /** The same roles per AZ key (gaps.ts), for the per-AZ egress gaps of an in-place run. */
  azRoles: Map<string, EgressRoles> = new Map();
  /** The progress emitter of the run's waits (deps.progress, else one writing their lines as info lines). */
  readonly progress: Progress;
  /** Where intents are recorded before the change is made (deps.journal, else in memory). */
  readonly journal: CutoverJournal;
  /** A bridged switch runs its steps through the apply phases: applies before the current step, its label. */
  stepBase = 0;
  stepLabel = '';
  /** Extra arguments of the current step's re-plans (its -target / -replace options). */
  replanArgs: string[] = [];
  /** Inside a step, success ends the step, not the run. */
  inStep = false;
  /** How the last step ended (set by succeed / fail). */
  stepEnded?: 'ok' | 'failed';
  private shows = 0;

  constructor(
    readonly options: CutoverOptions,
    readonly deps: CutoverDeps,
  ) {
    this.progress = deps.progress ?? logProgress((line) => this.info(line));
    this.journal = deps.journal ?? Journal.memory(runIdentity({}, '', deps.clock.now()), deps.clock);
    this.result = {
      result: 'failed',
      applies: 0,
      retriedBecause: '',
      timeline: { steps: this.steps },
      planSha: '',
      modeSwitch: 'none',
      expectedApplies: 1,
      nextSteps: [],
      errors: [],
      unexpected: [],
      waits: [],
      warnings: [],
      egressGaps: [],
      bridges: [],
    };
  }

  /** The recovery record, created when first needed. */
  get recovery(): RecoveryRecord {
    return (this.result.recovery ??= { journal: '(memory)', durable: false, found: [], done: [], imported: [] });
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  get cancelled(): boolean {
    return this.deps.signal?.aborted === true;
  }

  info(text: string): void {
    this.deps.out.line({ level: 'info', text });
  }

  warn(text: string): void {
    this.deps.out.line({ level: 'warning', text });
  }

  /** Records one timeline step from `startedMs` to now. */
  step(
    kind: TimelineStep['step'],
    startedMs: number,
    outcome: string,
    extra: { n?: number; detail?: string; endedMs?: number } = {},
  ): void {
    const { endedMs, ...rest } = extra;
    this.steps.push(step(kind, startedMs, endedMs ?? this.clock.now(), outcome, rest));
  }

  /**
   * Ends the run as failed (or cancelled, when the job was cancelled): the rollback lever only once NAT changes
   * were applied.
   */
  fail(message: string, nextSteps: string[], opts: { cancelled?: boolean; stale?: boolean } = {}): CutoverResult {
    const r = this.result;
    r.result = opts.cancelled || this.cancelled ? 'cancelled' : opts.stale ? 'stale' : 'failed';
    r.failure = message;
    const lever = this.touchesNat && r.applies > 0 && !nextSteps.includes(ROLLBACK) ? [ROLLBACK] : [];
    r.nextSteps = [...nextSteps, ...lever];
    this.stepEnded = 'failed';
    this.finish(false);
    return r;
  }

  /** Ends the run successfully (inside a bridged step: ends the step). */
  succeed(outcome: 'applied' | 'converged' | 'unchanged' | 'recovered'): CutoverResult {
    this.result.result = outcome;
    this.result.errors = []; // the race errors of earlier applies are explained by retriedBecause
    this.stepEnded = 'ok';
    if (!this.inStep) this.finish(outcome === 'applied' || outcome === 'converged');
    return this.result;
  }

  private finish(restored: boolean): void {
    if (this.result.strategy === 'bridge') return; // the bridged switch measures per AZ (bridged.ts)
    const gap = egressGap(this.hooks, this.roles, restored);
    if (gap) this.result.timeline.egressGap = gap;
    this.result.egressGaps = azGaps(this.hooks, this.azRoles, restored);
    const worst = worstGap(this.result.egressGaps);
    if (worst !== undefined) this.result.egressGapSeconds = worst;
    else if (gap?.seconds !== undefined) this.result.egressGapSeconds = gap.seconds;
  }

  /** `terraform show -json` + streaming load; a malformed or unreadable reviewed plan is an InputError. */
  async readPlan(file: string, label: string, asInput: boolean): Promise<ReadPlan> {
    const json = join(this.deps.tempDir, `cutover-show-${process.pid}-${++this.shows}.json`);
    try {
      await this.deps.terraform.show(file, json);
      const refs: ChangeRef[] = [];
      const loaded = await loadPlanFile(json, {
        keep: (rc) => {
          const ref = changeRef(rc);
          if (ref) refs.push(ref);
          return isNatCandidate(rc);
        },
      });
      const applyable = loaded.documents.some((d) => d.header.applyable === true)
        ? true
        : loaded.documents.every((d) => d.header.applyable === false)
          ? false
          : undefined;
      return {
        sha: combineDigests(loaded.documents.map((d) => d.digest)),
        refs,
        natChanges: loaded.documents.flatMap((d) => d.changes),
        ...(applyable !== undefined ? { applyable } : {}),
        warnings: [...loaded.warnings, ...loaded.documents.flatMap((d) => d.warnings)],
      };
    } catch (err) {
      if (err instanceof PlanFormatError) {
        const message = `${label}: ${err.message}`;
        throw asInput ? new InputError(message) : new ActionFailure(message);
      }
      throw err;
    } finally {
      rmSync(json, { force: true });
    }
  }

  /** Runs terraform with its -json stream rendered; `onDiagnostic` sees each diagnostic the moment it arrives. */
  async terraform(
    title: string,
    args: string[],
    onDiagnostic?: (d: Diagnostic, stream: UiStream) => void,
  ): Promise<StreamedRun> {
    const { deps } = this;
    const stream = new UiStream({ now: () => deps.clock.now(), onSecret: (v) => deps.out.secret(v) });
    const record = await recordCommand(args, title, {
      journal: this.journal,
      ...(deps.stateLock ? { lock: deps.stateLock } : {}),
      clock: deps.clock,
      warn: (l) => this.warn(l),
      cancelled: () => this.cancelled,
    });
    let exited = 'not started';
    deps.out.startGroup(title);
    try {
      let seen = 0;
      const r = await deps.terraform.run(
        args,
        (line, source) => {
          for (const l of stream.push(line, source)) deps.out.line(l);
          while (onDiagnostic && seen < stream.diagnostics.length)
            onDiagnostic(stream.diagnostics[seen++] as Diagnostic, stream);
        },
        deps.signal,
      );
      for (const l of stream.end()) deps.out.line(l);
      const exit = r.abandoned ? 'still running' : r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
      exited = exit;
      if (r.escalated.length > 0)
        deps.out.line({ level: 'warning', text: `terraform had to be stopped with ${r.escalated.join(' then ')}` });
      if (stream.unknownTypes.size > 0)
        deps.out.line({
          level: 'debug',
          text: `message types shown through their text: ${[...stream.unknownTypes].join(', ')}`,
        });
      return {
        ok: r.exitCode === 0 && !r.interrupted,
        interrupted: r.interrupted,
        abandoned: r.abandoned === true,
        exit,
        stream,
      };
    } finally {
      await record.finished(exited);
      deps.out.endGroup();
      deps.out.line({ level: 'debug', text: `${title} done` });
    }
  }
}
