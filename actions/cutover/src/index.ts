/**
 * cutover: applies the reviewed saved plan and survives the Elastic IP race.
 * Thin entry: inputs → @nat-egress/shared/cutover (runCutover) → outputs, job summary, annotations, under
 * runtime's runGuardedAction: SIGINT/SIGTERM abort the run at once — terraform, when it is running, gets ONE
 * SIGINT and the run waits for it to save state; otherwise the run ends immediately — and every exit (success,
 * failure, input error, cancellation) writes the outputs and the job summary with what to do.
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
  createEc2Client,
  cutoverInputs,
  renderSummary,
  runCutover,
  type CutoverOutput,
  type CutoverResult,
  type EC2Client,
} from '@nat-egress/shared/cutover';
import { processDriver, type TerraformDriver } from '@nat-egress/shared/terraform';

/** terraform's time to stop after SIGINT before SIGTERM, and SIGTERM → SIGKILL (processDriver defaults). */
const TERRAFORM_GRACE_MS = 120_000 + 10_000;

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

function writeOutputs(
  r: Pick<CutoverResult, 'result' | 'applies' | 'retriedBecause' | 'egressGapSeconds' | 'timeline' | 'restore'>,
): void {
  outputs.set('result', r.result);
  outputs.set('applies', String(r.applies));
  outputs.set('restore-path', r.restore?.path ?? '');
  outputs.set('egress-gap-seconds', r.egressGapSeconds === undefined ? '' : String(r.egressGapSeconds));
  outputs.set('retried-because', r.retriedBecause, (max) => r.retriedBecause.slice(0, Math.floor(max / 2)));
  // A timeline too large for the output budget keeps its steps without their details.
  outputs.set('timeline', JSON.stringify(r.timeline), () =>
    JSON.stringify({ ...r.timeline, steps: r.timeline.steps.map(({ detail: _detail, ...s }) => s) }),
  );
}

async function onExit(exit: ExitInfo): Promise<void> {
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
    if (result.result === 'failed' || result.result === 'cancelled')
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
    onNote: (m) => core.warning(m),
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
  try {
    result = await runCutover(inputs, {
      terraform,
      ec2: () => (ec2 ??= bindSignal(createEc2Client(inputs.region()), ctx.signal)),
      clock: systemClock,
      out: output,
      tempDir: process.env.RUNNER_TEMP || tmpdir(),
      signal: ctx.signal,
      // The release waits: their lines to the log, their events to the nat-egress CLI's channel when it opened one.
      progress: actionProgress(info),
    });
  } finally {
    ec2?.destroy();
  }
  if (result.result === 'failed' || result.result === 'cancelled')
    throw new Error(result.failure ?? `cutover ${result.result}`);
  const gap = result.egressGapSeconds === undefined ? '' : `; egress gap ${result.egressGapSeconds} s`;
  info(`cutover: ${result.result} (${result.applies} apply(s))${gap}`);
}

await runGuardedAction({
  main,
  onExit,
  clock: systemClock,
  // While terraform runs, the run waits for it to stop after its one SIGINT; otherwise main ends at once.
  graceMs: TERRAFORM_GRACE_MS,
  describe: (err) =>
    err instanceof Error && err.name === 'Error' ? (err.message.split('\n')[0] ?? '') : describeError(err),
  onSignal: (sig, count) => {
    if (count === 1)
      core.warning(
        running > 0
          ? `Received ${sig}: interrupting terraform once (SIGINT) and waiting for it to save state and release ` +
              'the lock'
          : `Received ${sig}: stopping now`,
      );
    else if (running > 0)
      info(
        `Received ${sig} again: still waiting for terraform to exit (a second interrupt would abandon operations ` +
          'in flight)',
      );
  },
});
