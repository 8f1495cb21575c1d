/**
 * The build-nat-ami flow: resolve the pipeline, start a build (idempotent client token) or attach to the one in
 * progress, wait for it, and gate on a tested, tagged AMI (start.ts). `build: false` only looks up the newest usable
 * AMI.
 *
 * Everything that happens is recorded in a BuildReport (types.ts; also when the flow fails) so the action can write
 * the job summary either way.
 */
import { explainRejections, IMAGE_BUILDER_ARN_TAG, noUsableAmiMessage, searchAmis } from '../ami/index';
import { withSignal } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { ActionFailure, CancelledError, DeadlineExceededError, describeError, startDeadline } from '../runtime/index';
import type { BuildNatAmiInputs } from './inputs';
import { cancelledSteps, failedSteps, timeoutSteps } from './next-steps';
import { buildAndWait, cancelAfterTimeout, criteriaOf } from './start';
import { imageVersionFromArn } from './states';
import { newReport, type BuildNatAmiDeps, type BuildNatAmiResult, type BuildReport } from './types';

/**
 * Runs the flow with `inputs.timeoutMs` as a hard deadline measured from `report.startedAt`: every AWS call (in
 * flight too) and every pause ends when it passes. On a timeout the build this run started is cancelled (one call,
 * bounded by `cleanupMs`) when `cancelOnTimeout`; on a cancel (deps.signal) nothing more is called. Either way the
 * report records the phase and `nextSteps`, and an ActionFailure (timeout) or CancelledError is thrown.
 */
export async function buildNatAmi(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report = newReport(inputs.region, deps.clock.now()),
): Promise<BuildNatAmiResult> {
  const label = `timeout ${formatDuration(inputs.timeoutMs)}`;
  const deadline = startDeadline(
    deps.clock,
    Math.max(0, report.startedAt + inputs.timeoutMs - deps.clock.now()),
    label,
    deps.signal,
  );
  const bound: BuildNatAmiDeps = {
    ...deps,
    imagebuilder: withSignal(deps.imagebuilder, deadline.signal),
    ec2: withSignal(deps.ec2, deadline.signal),
    signal: deadline.signal,
  };
  try {
    const result = inputs.build ? await buildAndWait(inputs, bound, report, deps) : await lookup(inputs, bound, report);
    report.outcome = 'success';
    return result;
  } catch (err) {
    const reason: unknown = deadline.signal.reason;
    if (reason instanceof CancelledError) {
      report.outcome = 'cancelled';
      report.failure = `${reason.message} during ${report.phase ?? 'start-up'}`;
      report.nextSteps = cancelledSteps(inputs, report);
      throw reason;
    }
    report.outcome = 'failure';
    if (reason instanceof DeadlineExceededError && !(err instanceof ActionFailure)) {
      const failure = await timedOut(inputs, deps, report);
      report.failure = describeError(failure);
      throw failure;
    }
    report.failure = describeError(err);
    if (report.nextSteps.length === 0) report.nextSteps = failedSteps(inputs, report, err);
    throw err;
  } finally {
    deadline.dispose();
    report.finishedAt = deps.clock.now();
  }
}

/** The timeout struck with a call in flight: cancel what this run started (when asked), and say where it stopped. */
async function timedOut(inputs: BuildNatAmiInputs, deps: BuildNatAmiDeps, report: BuildReport): Promise<ActionFailure> {
  const where = report.phase ?? 'start-up';
  const what = await cancelAfterTimeout(inputs, deps, report);
  const version = report.imageVersion || '?';
  const built = report.imageArn ? ` for image ${version}` : '';
  report.nextSteps = timeoutSteps(inputs, report);
  return new ActionFailure(
    `timed out after ${formatDuration(inputs.timeoutMs)}${built} during ${where} ` +
      `(an AWS call was still in flight and was abandoned)${what ? `; ${what}` : ''}`,
  );
}

async function lookup(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
): Promise<BuildNatAmiResult> {
  report.mode = 'lookup';
  report.phase = 'looking up the newest usable AMI';
  const search = await searchAmis(deps.ec2, criteriaOf(inputs));
  report.rejections = explainRejections(search, 10);
  if (!search.usable) throw new ActionFailure(noUsableAmiMessage(search, inputs.region));
  for (const line of report.rejections) deps.log.warning(`skipped a newer AMI: ${line}`);
  const ami = search.usable;
  const imageArn = ami.tags[IMAGE_BUILDER_ARN_TAG] ?? '';
  Object.assign(report, {
    amiId: ami.imageId,
    amiName: ami.name,
    imageArn,
    imageVersion: imageVersionFromArn(imageArn),
    buildSeconds: 0,
  });
  deps.log.info(`newest usable AMI: ${ami.imageId} (${ami.name}, created ${ami.creationDate})`);
  return {
    amiId: ami.imageId,
    amiName: ami.name,
    imageArn,
    imageVersion: imageVersionFromArn(imageArn),
    buildSeconds: 0,
    reused: true,
  };
}
