/**
 * cutover: applies the reviewed saved plan and survives the Elastic IP race; finishes what an earlier cancelled or
 * killed run left (journal beside the state, stale lock, objects outside the state). `operation: recover` does only
 * that part (the plan job, before planning).
 * Thin entry: inputs → @nat-egress/shared/cutover (runCutover / runRecover) → outputs, job summary, annotations,
 * under runtime's runGuardedAction: SIGINT/SIGTERM abort the run at once — terraform, when it is running, gets ONE
 * SIGINT and the run waits at most 5 s for it to save state (the runner's SIGTERM follows in 7.5 s); then the
 * journal's end record, the outputs and the job summary (what was done, what the next run will do) are written and
 * the step exits within 7 s of the signal.
 */
import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { bindSignal } from '@nat-egress/shared/aws';
import { InputError, envInputReader } from '@nat-egress/shared/inputs';
import { StepAnnotations, StepOutputs, writeStepSummary } from '@nat-egress/shared/limits';
import { escapeText, info } from '@nat-egress/shared/report';
import { openSealedPlanFile, sealedPlanInputs } from '@nat-egress/shared/seal';
import {
  actionProgress,
  describeError,
  runGuardedAction,
  systemClock,
  type ExitInfo,
} from '@nat-egress/shared/runtime';
import {
  createCloudWatchClient,
  createEc2Client,
  type CloudWatchClient,
  cutoverInputs,
  renderSummary,
  createIamClient,
  openStateAccess,
  runCutover,
  runRecover,
  JOURNAL_FINAL_WRITE_MS,
  type CutoverOutput,
  type StateAccess,
  type CutoverResult,
  type EC2Client,
} from '@nat-egress/shared/cutover';
import { processDriver, type TerraformDriver } from '@nat-egress/shared/terraform';

/**
 * After the first signal: terraform gets ONE SIGINT and 5 s (it exits in 0.1 s while it waits on AWS, 0.9–1.4 s in its
 * start-up: research-19 §6); then the run stops waiting for it (no second signal). Main then has until
 * MAIN_GRACE_MS to end, and the journal's end record, the outputs and the summary EXIT_BUDGET_MS: 7 s in all, inside
 * the runner's 7.5 s before SIGTERM (actions/runner ProcessInvoker).
 */
const TERRAFORM_ABANDON_MS = 5_000;
const MAIN_GRACE_MS = 5_800;
const EXIT_BUDGET_MS = 1_200;

const annotations = new StepAnnotations();
const outputs = new StepOutputs();

const output: CutoverOutput = {
  line: ({ level, text }) => {
    if (level === 'debug') core.debug(text);
    else if (level === 'warning') annotations.warning(text);
    else info(text); // errors are annotated once, from the result, below
  },
  startGroup: (title) => core.startGroup(title),
  endGroup: () => core.endGroup(),
  secret: (value) => core.setSecret(value),
};

let result: CutoverResult | undefined;
let running = 0;
let state: StateAccess | undefined;

function writeOutputs(
  r: Pick<
    CutoverResult,
    'result' | 'applies' | 'retriedBecause' | 'egressGapSeconds' | 'timeline' | 'restore' | 'recovery'
  > &
    Partial<Pick<CutoverResult, 'strategy' | 'egressGaps'>>,
): void {
  outputs.set('recovery', r.recovery ? JSON.stringify(r.recovery) : '', () =>
    JSON.stringify({ ...r.recovery, found: [], done: r.recovery?.done.slice(0, 5) ?? [] }),
  );
  outputs.set('result', r.result);
  outputs.set('strategy', r.strategy ?? '');
  outputs.set('egress-gaps', JSON.stringify(r.egressGaps ?? []), () =>
    JSON.stringify((r.egressGaps ?? []).map(({ az, seconds }) => ({ az, seconds }))),
  );
  outputs.set('applies', String(r.applies));
  outputs.set('restore-path', r.restore?.path ?? '');
  outputs.set('egress-gap-seconds', r.egressGapSeconds === undefined ? '' : String(r.egressGapSeconds));
  outputs.set('retried-because', r.retriedBecause, (max) => r.retriedBecause.slice(0, Math.floor(max / 2)));
  // A timeline too large for the output budget keeps its steps without their details.
  outputs.set('timeline', JSON.stringify(r.timeline), () =>
    JSON.stringify({ ...r.timeline, steps: r.timeline.steps.map(({ detail: _detail, ...s }) => s) }),
  );
}

/** The journal's end record: how this run ended and what the next one will do (bounded: a cancel has seconds). */
async function endJournal(kind: string): Promise<void> {
  const next = result?.nextSteps[0];
  await state?.journal.end(result?.result ?? kind, next, JOURNAL_FINAL_WRITE_MS - 600).catch(() => undefined);
  state?.close();
}

async function onExit(exit: ExitInfo): Promise<void> {
  // Outputs and summary first (local files), then the journal's end record: all inside EXIT_BUDGET_MS.
  await writeResult(exit);
  await endJournal(exit.kind);
}

async function writeResult(exit: ExitInfo): Promise<void> {
  if (result) {
    if (exit.kind === 'cancelled' && result.result !== 'cancelled') {
      result.result = 'cancelled';
      result.failure ??= exit.message;
    }
    writeOutputs(result);
    await writeStepSummary(renderSummary(result));
    // The title is fixed text: annotation properties are not masked, and an address can carry for_each keys.
    for (const e of result.errors) {
      const summary = e.summary.split('\n')[0] ?? '';
      annotations.error(e.address ? `${e.address}: ${summary}` : summary, { title: 'terraform' });
    }
    annotations.finish();
    if (['failed', 'cancelled', 'stale'].includes(result.result))
      for (const s of result.nextSteps) info(`What to do: ${s}`);
    return;
  }
  // Ended before the cutover produced a result: an input error, terraform missing, or cancelled before the first apply.
  const kind = exit.kind === 'success' ? 'failed' : exit.kind;
  writeOutputs({ result: kind, applies: 0, retriedBecause: '', timeline: { steps: [] } });
  const what =
    kind === 'cancelled'
      ? 'Nothing was applied; egress is as it was. Re-run the job when ready.'
      : 'Nothing was applied; egress is as it was. Fix the problem above and re-run the job.';
  const headline = `## cutover: ${kind === 'cancelled' ? 'CANCELLED' : 'FAILED'} before applying`;
  await writeStepSummary(`${headline}\n\n> **${escapeText(exit.message)}**\n\n### What to do\n\n- ${what}\n`);
}

/**
 * sealed-planfile: opens the sealed plan into planfile (seal/: one InputError line on any failure, before anything is
 * written or applied).
 */
async function openSealed(inputs: ReturnType<typeof cutoverInputs>): Promise<void> {
  const sealed = sealedPlanInputs(envInputReader(), inputs.workingDirectory);
  if (!sealed) return;
  for (const identity of sealed.identities) core.setSecret(identity);
  if (!inputs.expectedPlanSha)
    throw new InputError("expected-plan-sha: is required with sealed-planfile (plan-guard's plan-sha of the plan)");
  const header = await openSealedPlanFile({
    ...sealed,
    expectedPlanSha: inputs.expectedPlanSha,
    planfile: resolve(inputs.workingDirectory, inputs.planfile),
  });
  info(
    `Opened the sealed plan: sealed ${header.sealed_at} in run ${header.run_id} (attempt ${header.run_attempt}) ` +
      `for ${header.environment}, plan-sha ${header.plan_sha}`,
  );
}

async function main(ctx: { signal: AbortSignal }): Promise<void> {
  const inputs = cutoverInputs(envInputReader());
  await openSealed(inputs);
  const driver = processDriver({
    terraform: inputs.terraform,
    cwd: inputs.workingDirectory,
    abandonAfterMs: TERRAFORM_ABANDON_MS,
    onNote: (m) => core.warning(m),
  });
  state = await openStateAccess({
    workingDirectory: inputs.workingDirectory,
    environment: inputs.environment,
    env: process.env,
    clock: systemClock,
    warn: (l) => annotations.warning(l),
  });
  const terraform: TerraformDriver = {
    show: driver.show,
    async run(args, onLine, signal) {
      running++;
      try {
        return await driver.run(args, onLine, signal);
      } finally {
        running--;
      }
    },
  };
  let ec2: EC2Client | undefined;
  let cloudwatch: CloudWatchClient | undefined;
  const iam = bindSignal(createIamClient(process.env.AWS_REGION || 'us-east-1'), ctx.signal);
  try {
    result = await (inputs.operation === 'recover' ? runRecover : runCutover)(inputs, {
      terraform,
      ec2: () => (ec2 ??= bindSignal(createEc2Client(inputs.region()), ctx.signal)),
      cloudwatch: () => (cloudwatch ??= bindSignal(createCloudWatchClient(inputs.region()), ctx.signal)),
      clock: systemClock,
      out: output,
      tempDir: process.env.RUNNER_TEMP || tmpdir(),
      signal: ctx.signal,
      // The release waits: their lines to the log, their events to the nat-egress CLI's channel when it opened one.
      progress: actionProgress(info),
      journal: state.journal,
      ...(state.stateLock ? { stateLock: state.stateLock } : {}),
      iam: () => iam,
    });
  } finally {
    ec2?.destroy();
    cloudwatch?.destroy();
    iam.destroy();
  }
  if (['failed', 'cancelled', 'stale'].includes(result.result))
    throw new Error(result.failure ?? `cutover ${result.result}`);
  const gap = result.egressGapSeconds === undefined ? '' : `; egress gap ${result.egressGapSeconds} s (worst AZ)`;
  info(`cutover: ${result.result} (${result.strategy ?? ''}, ${result.applies} apply(s))${gap}`);
}

await runGuardedAction({
  main,
  onExit,
  clock: systemClock,
  // While terraform runs, the run waits (at most 5 s) for it to stop after its one SIGINT; otherwise main ends at once.
  graceMs: MAIN_GRACE_MS,
  exitBudgetMs: EXIT_BUDGET_MS,
  describe: (err) =>
    err instanceof Error && err.name === 'Error' ? (err.message.split('\n')[0] ?? '') : describeError(err),
  onSignal: (sig, count) => {
    if (count === 1)
      core.warning(
        running > 0
          ? `Received ${sig}: interrupting terraform once (SIGINT) and waiting up to 5 s for it to save state and ` +
              'release the lock'
          : `Received ${sig}: stopping now`,
      );
    else if (running > 0)
      info(
        `Received ${sig} again: still waiting for terraform to exit (a second interrupt would abandon operations ` +
          'in flight)',
      );
  },
});
