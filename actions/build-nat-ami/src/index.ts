/**
 * build-nat-ami: runs the Image Builder pipeline, waits, gates on the tested+tagged AMI.
 * Thin entry: inputs → @nat-egress/shared/imagebuilder → outputs and job summary, under runtime's guard:
 * SIGINT/SIGTERM end the run at once and `timeout` is a hard deadline (calls in flight included); every exit
 * writes `result` and the summary with what to do.
 */
import {
  buildNatAmi,
  CLEANUP_MS,
  createClients,
  newReport,
  readBuildNatAmiInputs,
  renderSummary,
  type BuildReport,
} from '@nat-egress/shared/imagebuilder';
import { envInputReader, formatDuration } from '@nat-egress/shared/inputs';
import { StepAnnotations, StepOutputs, writeStepSummary } from '@nat-egress/shared/limits';
import { info } from '@nat-egress/shared/report';
import {
  actionProgress,
  describeError,
  runGuardedAction,
  systemClock,
  type ExitInfo,
} from '@nat-egress/shared/runtime';

const annotations = new StepAnnotations();
const outputs = new StepOutputs();
const state: { report: BuildReport; region?: string } = { report: newReport('', systemClock.now()) };

async function onExit(exit: ExitInfo): Promise<void> {
  const report = state.report;
  if (exit.kind !== 'success') {
    outputs.set('result', exit.kind);
    if (report.outcome === undefined || report.outcome === 'success')
      report.outcome = exit.kind === 'cancelled' ? 'cancelled' : 'failure';
    if (!report.failure) report.failure = exit.message;
    if (report.finishedAt === undefined) report.finishedAt = systemClock.now();
    if (report.nextSteps.length === 0) {
      report.nextSteps.push(
        exit.kind === 'cancelled'
          ? 'Nothing was started in Image Builder. Re-run the job when ready.'
          : exit.cause === 'error' && !state.region
            ? 'Fix the input named above and re-run; nothing was started.'
            : 'See the failure above, then re-run.',
      );
    }
  }
  annotations.finish('the job summary');
  await writeStepSummary(renderSummary(report));
}

await runGuardedAction({
  clock: systemClock,
  describe: describeError,
  onExit,
  main: async (ctx) => {
    const inputs = readBuildNatAmiInputs(envInputReader(process.env), process.env);
    state.region = inputs.region;
    state.report = newReport(inputs.region, systemClock.now());
    // `timeout` is enforced inside buildNatAmi (so a build it started can be cancelled); this is the backstop.
    ctx.setDeadline(
      inputs.timeoutMs + CLEANUP_MS + 5_000,
      `timeout ${formatDuration(inputs.timeoutMs)} (and cancelling the build)`,
    );
    const result = await buildNatAmi(
      inputs,
      {
        ...createClients(inputs.region),
        clock: systemClock,
        env: process.env,
        log: { info, warning: (m) => annotations.warning(m) },
        // The image wait's stages: its log lines, and the nat-egress CLI's status line when the CLI runs this.
        progress: actionProgress(info),
        signal: ctx.signal,
      },
      state.report,
    );
    outputs.set('ami-id', result.amiId);
    outputs.set('ami-name', result.amiName);
    outputs.set('image-arn', result.imageArn);
    outputs.set('image-version', result.imageVersion);
    outputs.set('build-seconds', String(result.buildSeconds));
    outputs.set('reused', String(result.reused));
    outputs.set('result', 'success');
  },
});
