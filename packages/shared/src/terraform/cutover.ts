/**
 * The cutover: apply the reviewed saved plan and, when it fails ONLY because of the gateway→instance EIP race,
 * confirm the race with EC2, wait until the Elastic IPs are free, re-plan, check the re-plan only finishes what
 * was reviewed, and apply it — at most `maxApplies` applies in all. Anything else fails at once with the
 * diagnostics and what to do. Clients, clock and terraform are injected; nothing here touches @actions/core.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { explainRejections, formatTags, searchAmis, type AmiCriteria } from '../ami/index';
import { InputError } from '../inputs/index';
import { PlanFormatError, classifyChanges, combineDigests, isNatCandidate, loadPlanFile, shownValue, type ModeSwitch, type ResourceChange } from '../plan/index';
import { ActionFailure, describeError, type Clock } from '../runtime/index';
import { changeRef, describeUnexpected, unexpectedChanges, type ChangeRef } from './converge';
import type { TerraformDriver } from './driver';
import { classifyFailure, type RaceError } from './race';
import { waitForRelease, type ReleaseResult, type ReleaseTarget } from './release';
import { UiStream, type Diagnostic, type HookEvent, type RenderedLine } from './stream';
import { egressGap, egressRoles, step, type Timeline, type TimelineStep } from './timeline';

export type CutoverOutcome = 'applied' | 'converged' | 'unchanged' | 'failed';

export interface CutoverOptions {
  /** Absolute working directory (terraform's cwd). */
  workingDirectory: string;
  /** The saved plan, relative to the working directory or absolute. */
  planfile: string;
  /** Extra arguments for re-plans (one per item). */
  applyArgs: string[];
  /** plan-guard's plan-sha; empty = not checked. */
  expectedPlanSha?: string;
  maxApplies: number;
  releaseTimeoutMs: number;
  /** Fixed poll interval; undefined = adaptive (≤ 5 s). */
  pollIntervalMs?: number;
  /** Pause after the addresses are free, before re-planning (default 2 s). */
  releaseGraceMs?: number;
  amiCheck: 'auto' | 'off';
  ami: AmiCriteria;
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
  /** The EC2 client; called only when EC2 is needed (AMI check, race confirmation). */
  ec2: () => EC2Client;
  clock: Clock;
  out: CutoverOutput;
  /** Where show output and re-plans go. */
  tempDir: string;
  /** The runner cancelling the job. */
  signal?: AbortSignal;
}

export interface CutoverResult {
  result: CutoverOutcome;
  applies: number;
  retriedBecause: string;
  egressGapSeconds?: number;
  timeline: Timeline;
  planSha: string;
  modeSwitch: ModeSwitch;
  /** One line, when failed. */
  failure?: string;
  /** What the operator should do, when failed. */
  nextSteps: string[];
  /** The error diagnostics of the step that failed. */
  errors: Diagnostic[];
  /** Re-plan changes that were not in the reviewed plan. */
  unexpected: string[];
  wait?: ReleaseResult;
  /** The AMI the NAT instances launch from, when the AMI check ran. */
  ami?: string;
  warnings: string[];
}

interface ReadPlan {
  sha: string;
  refs: ChangeRef[];
  natChanges: ResourceChange[];
  applyable?: boolean;
  warnings: string[];
}

export const ROLLBACK =
  'Rollback lever: flip the environment back to gateway mode (TF_VAR_USE_NAT_INSTANCE=false), then plan, review and apply: NAT gateways restore egress on the same Elastic IPs with no AMI in the path.';

export function bootstrapSteps(criteria: AmiCriteria): string[] {
  const tags = criteria.requiredTags.length > 0 ? ` carrying ${formatTags(criteria.requiredTags)}` : '';
  return [
    'Apply in gateway mode first (TF_VAR_USE_NAT_INSTANCE=false): NAT gateways give the Image Builder build the egress it needs.',
    `Build the NAT AMI (the build-nat-ami action or the "Build NAT AMI" workflow) and wait until an AMI named ${criteria.namePattern}${tags} is available (the tag is added only after the image's tests pass).`,
    'Then flip to instances (TF_VAR_USE_NAT_INSTANCE=true), plan, review, and apply with cutover.',
  ];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
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
    const after = obj(rc?.change.after);
    const before = obj(rc?.change.before);
    const id = e.resourceType === 'aws_eip' ? (str(before?.allocation_id) ?? str(before?.id) ?? str(after?.allocation_id)) : (str(after?.allocation_id) ?? str(before?.allocation_id));
    if (id) allocations.add(id);
  }
  const gatewayIds: string[] = [];
  for (const rc of natChanges) {
    if (rc.type !== 'aws_nat_gateway' || !rc.change.actions.includes('delete')) continue;
    const before = obj(rc.change.before);
    const id = str(before?.id);
    const allocation = str(before?.allocation_id);
    if (id && (allocations.size === 0 || !allocation || allocations.has(allocation))) gatewayIds.push(id);
  }
  return { allocationIds: [...allocations], gatewayIds };
}

export async function runCutover(options: CutoverOptions, deps: CutoverDeps): Promise<CutoverResult> {
  const { clock, out, terraform } = deps;
  const steps: TimelineStep[] = [];
  const hooks: HookEvent[] = [];
  const info = (text: string) => out.line({ level: 'info', text });
  const planPath = resolve(options.workingDirectory, options.planfile);
  if (!existsSync(planPath)) throw new InputError(`planfile: ${options.planfile} does not exist (in ${options.workingDirectory})`);

  let showCount = 0;
  /** show -json + streaming load; a malformed or unreadable plan is an InputError for the reviewed plan. */
  const readPlan = async (file: string, label: string, asInput: boolean): Promise<ReadPlan> => {
    const json = join(deps.tempDir, `cutover-show-${process.pid}-${++showCount}.json`);
    try {
      await terraform.show(file, json);
      const refs: ChangeRef[] = [];
      const loaded = await loadPlanFile(json, {
        keep: (rc) => {
          const ref = changeRef(rc);
          if (ref) refs.push(ref);
          return isNatCandidate(rc);
        },
      });
      const applyable = loaded.documents.some((d) => d.header.applyable === true) ? true : loaded.documents.every((d) => d.header.applyable === false) ? false : undefined;
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
  };

  // 1. The reviewed plan: digest, changes, what kind of switch it is.
  const checkStart = clock.now();
  const reviewed = await readPlan(planPath, `planfile: ${options.planfile}`, true);
  const analysis = classifyChanges(reviewed.natChanges);
  const roles = egressRoles(reviewed.natChanges);
  const touchesNat = roles.breaking.size > 0 || analysis.modeSwitch !== 'none';
  const result: CutoverResult = {
    result: 'failed',
    applies: 0,
    retriedBecause: '',
    timeline: { steps },
    planSha: reviewed.sha,
    modeSwitch: analysis.modeSwitch,
    nextSteps: [],
    errors: [],
    unexpected: [],
    warnings: [...reviewed.warnings],
  };
  for (const w of reviewed.warnings) out.line({ level: 'warning', text: `plan: ${w}` });

  const fail = (message: string, nextSteps: string[], restored = false): CutoverResult => {
    result.result = 'failed';
    result.failure = message;
    result.nextSteps = [...nextSteps, ...(touchesNat && !nextSteps.includes(ROLLBACK) ? [ROLLBACK] : [])];
    finish(restored);
    return result;
  };
  const finish = (restored: boolean) => {
    const gap = egressGap(hooks, roles, restored);
    if (gap) {
      result.timeline.egressGap = gap;
      if (gap.seconds !== undefined) result.egressGapSeconds = gap.seconds;
    }
  };

  info(`Plan digest (plan-sha): ${reviewed.sha}`);
  const expected = options.expectedPlanSha?.trim().toLowerCase() ?? '';
  if (expected !== '' && expected !== reviewed.sha) {
    steps.push(step('check', checkStart, clock.now(), 'refused', { detail: `digest ${reviewed.sha} ≠ expected ${expected}` }));
    return fail(`the plan's digest ${reviewed.sha} differs from expected-plan-sha ${expected}: refusing to apply a plan that is not the one reviewed`, [
      'Nothing was applied. Apply only the saved plan plan-guard reviewed: pass the same plan artifact, or plan and review again.',
    ]);
  }
  if (expected === '') out.line({ level: 'warning', text: 'expected-plan-sha is empty: not checking that this is the reviewed plan (pass plan-guard\'s plan-sha output)' });

  if (reviewed.refs.length === 0 && reviewed.applyable !== true) {
    steps.push(step('check', checkStart, clock.now(), 'unchanged', { detail: 'the plan has no changes' }));
    info('The plan has no changes: nothing to apply.');
    result.result = 'unchanged';
    return result;
  }
  if (analysis.modeSwitch === 'gateway-to-instance') {
    info(`Gateway → instance cutover (${analysis.natInstancesCreated.length} NAT instance(s)): the first apply may fail on the Elastic IP associations while the gateways are deleted; cutover confirms that with EC2, waits, and converges.`);
  } else if (analysis.modeSwitch === 'instance-to-gateway') {
    info('Instance → gateway switch: no association race in this direction; one apply.');
  }

  // 2. The AMI the new NAT instances need.
  if (options.amiCheck === 'auto' && analysis.natInstancesCreated.length > 0) {
    try {
      const search = await searchAmis(deps.ec2(), options.ami);
      if (!search.usable) {
        steps.push(step('check', checkStart, clock.now(), 'refused', { detail: 'no usable NAT AMI' }));
        const why = search.candidates.length === 0 ? 'no AMI owned by this account matches the name' : explainRejections(search, 3).join('; ');
        return fail(
          `the plan creates NAT instances (${analysis.natInstancesCreated.join(', ')}) but no AMI named ${options.ami.namePattern} with ${formatTags(options.ami.requiredTags) || 'the required tags'} exists (${why}): refusing to apply`,
          ['Nothing was applied. Bootstrap instance mode through a gateway:', ...bootstrapSteps(options.ami).map((s, i) => `${i + 1}. ${s}`)],
        );
      }
      result.ami = `${search.usable.imageId} (${search.usable.name})`;
      info(`NAT AMI: ${search.usable.name} (${search.usable.imageId}) carries ${formatTags(options.ami.requiredTags) || 'no required tags'}`);
      for (const address of analysis.natInstancesCreated) {
        const rc = reviewed.natChanges.find((c) => c.address === address);
        const ami = str(obj(rc?.change.after)?.ami);
        const candidate = ami ? search.candidates.find((c) => c.imageId === ami) : undefined;
        if (rc && candidate && candidate.problems.length > 0) {
          // Plan values reach text only through shownValue (sensitivity markers honoured).
          steps.push(step('check', checkStart, clock.now(), 'refused', { detail: `plan launches unusable AMI ${shownValue(rc, 'after', ['ami'])}` }));
          return fail(`${address} would launch ${candidate.name} (${candidate.imageId}), which ${candidate.problems.join(' and ')}: refusing to apply`, [
            `Plan again so the instances pick the newest usable AMI (${search.usable.name}, ${search.usable.imageId}), or fix the image's tags.`,
          ]);
        }
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      steps.push(step('check', checkStart, clock.now(), 'failed', { detail: 'AMI check' }));
      return fail(`the NAT AMI check failed: ${describeError(err)}`, ['Nothing was applied. Grant ec2:DescribeImages to the apply role, or set nat-ami-check: off if the AMI is known to exist.']);
    }
  }
  steps.push(step('check', checkStart, clock.now(), 'ok', { detail: `plan-sha ${reviewed.sha.slice(0, 12)}…, ${reviewed.refs.length} change(s)` }));

  // 3. Apply, and converge after the race.
  let planToApply = planPath;
  for (;;) {
    if (deps.signal?.aborted) return fail(`cancelled before apply ${result.applies + 1}`, ['Re-run the job when ready; nothing more was applied.']);
    result.applies++;
    const n = result.applies;
    const started = clock.now();
    const run = await runStreamed(deps, `terraform apply (${n} of at most ${options.maxApplies})`, ['apply', '-json', '-input=false', planToApply]);
    hooks.push(...run.stream.hooks);
    const ended = clock.now();
    if (run.interrupted) {
      steps.push(step('apply', started, ended, 'interrupted', { n, detail: `exit ${run.exit}` }));
      return fail(`cancelled: terraform apply ${n} was interrupted and exited (${run.exit}) after saving state`, [
        'Re-run the job to finish: plan again (the saved plan is stale once part of it was applied), review, and apply.',
        'If terraform was killed before it released the state lock, run `terraform force-unlock <id>` first.',
      ]);
    }
    if (run.ok) {
      steps.push(step('apply', started, ended, 'ok', { n }));
      result.result = n === 1 ? 'applied' : 'converged';
      result.errors = []; // the race errors of earlier applies are explained by retriedBecause
      finish(true);
      return result;
    }
    const verdict = classifyFailure(run.stream.diagnostics, run.stream.hooks);
    steps.push(step('apply', started, ended, verdict.race ? 'race' : 'failed', { n, detail: verdict.reason }));
    if (!verdict.race) {
      result.errors = run.stream.errors;
      if (run.stream.errors.length === 0) {
        const tail = run.stream.text.filter((l) => l.trim() !== '').slice(0, 3).join(' | ');
        return fail(`terraform apply ${n} exited (${run.exit}) without reporting an error diagnostic: it may have crashed${tail ? `; its output: ${tail.slice(0, 300)}` : ''}`, [
          'Read the terraform output above (a crash prints a panic and a crash.log path). State may be locked: check it and `terraform force-unlock <id>` if needed.',
          'Plan again, review, and apply.',
        ]);
      }
      return fail(`terraform apply ${n} failed: ${verdict.reason}; not retried (only the Elastic IP association race is)`, [
        'Fix the cause shown in the errors above, then plan again, review, and apply.',
      ]);
    }
    result.retriedBecause = result.retriedBecause || verdict.reason;
    result.errors = run.stream.errors;
    if (n >= options.maxApplies) {
      return fail(`the Elastic IP association race is still failing after ${n} apply(s) (max-applies ${options.maxApplies}): ${verdict.reason}`, [
        'Egress is down in the affected AZs until the association is made. Wait until the NAT gateways show deleted and their Elastic IPs no associations, then re-run the job (plan, review, apply).',
      ]);
    }

    // Confirm with EC2 and wait for the addresses.
    const target = releaseTarget(verdict.raceErrors, reviewed.natChanges);
    info(`Apply ${n} hit the gateway→instance Elastic IP race (${verdict.raceErrors.map((e) => e.address).join(', ')}). Confirming with EC2: ${target.allocationIds.join(', ') || 'no allocation id known'}${target.gatewayIds.length ? `; gateways in the plan: ${target.gatewayIds.join(', ')}` : ''}.`);
    const waitStart = clock.now();
    let wait: ReleaseResult;
    try {
      out.startGroup('Waiting for the NAT gateways to release the Elastic IPs');
      wait = await waitForRelease(target, {
        ec2: deps.ec2(),
        clock,
        timeoutMs: options.releaseTimeoutMs,
        ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
        ...(options.releaseGraceMs !== undefined ? { graceMs: options.releaseGraceMs } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
        log: info,
      });
    } catch (err) {
      if (err instanceof InputError) throw err;
      steps.push(step('wait', waitStart, clock.now(), 'failed'));
      return fail(`could not confirm the race with EC2: ${describeError(err)}`, [
        'Egress is down in the affected AZs. Check the NAT gateways in the console; when they show deleted, re-run the job (plan, review, apply).',
      ]);
    } finally {
      out.endGroup();
    }
    result.wait = wait;
    steps.push(step('wait', waitStart, clock.now(), wait.outcome, { detail: `${wait.polls} poll(s), ${wait.ec2Calls} EC2 call(s)${wait.throttled ? `, ${wait.throttled} throttled` : ''}` }));
    if (wait.outcome === 'timeout') {
      return fail(`${wait.message}: gave up waiting, not re-applying`, [
        'Egress is down in the affected AZs (their routes point at NAT instances without public IPs). Look at the NAT gateways in the console; AWS support can help with a gateway stuck deleting.',
        'When the gateways show deleted and the Elastic IPs have no association, re-run the job (plan, review, apply).',
      ]);
    }
    if (wait.outcome === 'cancelled') return fail(`cancelled while waiting: ${wait.message}`, ['Re-run the job once the NAT gateways show deleted (plan, review, apply).']);
    if (wait.outcome === 'not-race') {
      return fail(`not retried: ${wait.message}`, ['Fix the cause (who holds the Elastic IP, or the permission), then plan again, review, and apply.']);
    }
    info(wait.message);

    // Re-plan and check it only finishes what was reviewed.
    const planStart = clock.now();
    const replan = join(deps.tempDir, `cutover-replan-${process.pid}-${n + 1}.tfplan`);
    const planRun = await runStreamed(deps, `terraform plan (for apply ${n + 1})`, ['plan', '-json', '-input=false', `-out=${replan}`, ...options.applyArgs]);
    if (planRun.interrupted) {
      steps.push(step('plan', planStart, clock.now(), 'interrupted', { n: n + 1 }));
      return fail('cancelled during the re-plan', ['Egress is down in the affected AZs until the associations are made: re-run the job (plan, review, apply).']);
    }
    if (!planRun.ok) {
      steps.push(step('plan', planStart, clock.now(), 'failed', { n: n + 1 }));
      result.errors = planRun.stream.errors;
      return fail(`the re-plan after the race failed (${planRun.exit})${planRun.stream.errors[0] ? `: ${planRun.stream.errors[0].summary.split('\n')[0]}` : ''}`, [
        'Egress is down in the affected AZs until the associations are made. Fix the error, then plan, review, and apply.',
      ]);
    }
    let next: ReadPlan;
    try {
      next = await readPlan(replan, 're-plan', false);
    } catch (err) {
      steps.push(step('plan', planStart, clock.now(), 'failed', { n: n + 1 }));
      return fail(`could not read the re-plan: ${describeError(err)}`, ['Egress is down in the affected AZs until the associations are made: plan, review, and apply.']);
    }
    const unexpected = unexpectedChanges(reviewed.refs, next.refs);
    if (unexpected.length > 0) {
      result.unexpected = unexpected.map(describeUnexpected);
      steps.push(step('plan', planStart, clock.now(), 'unexpected changes', { n: n + 1, detail: `${unexpected.length} change(s) not in the reviewed plan` }));
      for (const u of result.unexpected) out.line({ level: 'error', text: `unexpected in the re-plan: ${u}` });
      return fail(`the re-plan contains ${unexpected.length} change(s) that were not in the reviewed plan (first: ${result.unexpected[0]}): stopped, nothing more applied`, [
        'Egress is down in the affected AZs until the associations are made. Review the new plan (plan-guard) and apply it through the normal reviewed path.',
      ]);
    }
    if (next.refs.length === 0) {
      steps.push(step('plan', planStart, clock.now(), 'no changes', { n: n + 1 }));
      info('The re-plan has no changes left: the reviewed plan is fully applied.');
      rmSync(replan, { force: true });
      result.result = 'converged';
      result.errors = [];
      finish(true);
      return result;
    }
    steps.push(step('plan', planStart, clock.now(), 'ok', { n: n + 1, detail: next.refs.map((r) => `${r.kind} ${r.address}`).join(', ').slice(0, 300) }));
    info(`The re-plan finishes the reviewed plan: ${next.refs.map((r) => `${r.kind} ${r.address}`).join(', ')}`);
    planToApply = replan;
  }
}

interface StreamedRun {
  ok: boolean;
  interrupted: boolean;
  exit: string;
  stream: UiStream;
}

async function runStreamed(deps: CutoverDeps, title: string, args: string[]): Promise<StreamedRun> {
  const stream = new UiStream({ now: () => deps.clock.now(), onSecret: (v) => deps.out.secret(v) });
  deps.out.startGroup(title);
  try {
    const r = await deps.terraform.run(
      args,
      (line, source) => {
        for (const l of stream.push(line, source)) deps.out.line(l);
      },
      deps.signal,
    );
    for (const l of stream.end()) deps.out.line(l);
    const exit = r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
    if (r.escalated.length > 0) deps.out.line({ level: 'warning', text: `terraform had to be stopped with ${r.escalated.join(' then ')}` });
    if (stream.unknownTypes.size > 0) deps.out.line({ level: 'debug', text: `message types shown through their text: ${[...stream.unknownTypes].join(', ')}` });
    return { ok: r.exitCode === 0 && !r.interrupted, interrupted: r.interrupted, exit, stream };
  } finally {
    deps.out.endGroup();
    deps.out.line({ level: 'debug', text: `${title} done` });
  }
}
