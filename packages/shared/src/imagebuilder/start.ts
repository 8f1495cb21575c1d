/**
 * build: true — resolve the pipeline, attach to the build in progress or start one (idempotent client token), wait
 * for it, and confirm its AMI with EC2; and, after a timeout, cancel the build this run started.
 */
import {
  CancelImageCreationCommand,
  StartImagePipelineExecutionCommand,
  type Ami,
  type Image,
  type ImagebuilderClient,
} from '@aws-sdk/client-imagebuilder';
import { verifyAmi, type AmiCriteria } from '../ami/index';
import { awsErrorCode, withSignal } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { ActionFailure, describeError, startDeadline } from '../runtime/index';
import { describeFailure, formatFailure } from './failure';
import type { BuildNatAmiInputs } from './inputs';
import { timeoutSteps } from './next-steps';
import { findInFlightBuilds, resolvePipeline, type ResolvedPipeline } from './pipeline';
import { imageVersionFromArn, stateKind } from './states';
import { defaultClientToken } from './token';
import { CLEANUP_MS, type BuildMode, type BuildNatAmiDeps, type BuildNatAmiResult, type BuildReport } from './types';
import { waitForImage, type WaitOutcome } from './wait';

/** A token seen again returns the build it started: an image created this long before our call is not new. */
const RERUN_SKEW_MS = 120_000;

/** The AMI checks of the inputs (ami searchAmis, verifyAmi). */
export function criteriaOf(inputs: BuildNatAmiInputs): AmiCriteria {
  return { namePattern: inputs.amiNamePattern, requiredTags: inputs.requiredTags };
}

/** CancelImageCreation for the build this run started (never for one it attached to), within `cleanupMs`. */
export async function cancelAfterTimeout(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
): Promise<string> {
  const arn = report.imageArn;
  if (!arn) return 'no build had been started';
  if (!inputs.cancelOnTimeout) return `the build keeps running (cancel-on-timeout is false): ${arn}`;
  if (report.mode === 'attached') return 'not cancelling it: this run attached to a build it did not start';
  const cleanup = startDeadline(deps.clock, deps.cleanupMs ?? CLEANUP_MS, 'cancelling the build', deps.signal);
  try {
    await withSignal(deps.imagebuilder, cleanup.signal).send(
      new CancelImageCreationCommand({ imageBuildVersionArn: arn }),
    );
    report.timeline.push({
      state: 'CANCEL REQUESTED',
      at: deps.clock.now(),
      elapsedMs: deps.clock.now() - report.startedAt,
    });
    return 'cancelled the build (CancelImageCreation accepted)';
  } catch (err) {
    return `cancelling it failed: ${describeError(err)}`;
  } finally {
    cleanup.dispose();
  }
}

/** What the build flow knows of the build it follows, filled in as it goes. */
interface Build {
  pipeline: ResolvedPipeline;
  imageArn: string;
  mode: BuildMode;
  /** Epoch ms of the StartImagePipelineExecution call (0: attached, nothing started). */
  startCalledAt: number;
  /** Epoch ms the wait began. */
  waitStartedAt: number;
}

/**
 * build: true — resolve the pipeline, attach to the build in progress or start one, wait for it, and confirm its
 * AMI with EC2. Each step records what it learns in `report`; a timeout cancels what this run started (`unbound`:
 * the deps without the run's deadline, so the cancel call can still be made).
 */
export async function buildAndWait(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
  unbound: BuildNatAmiDeps,
): Promise<BuildNatAmiResult> {
  const pipeline = await resolveAndReport(inputs, deps, report);
  const build = await attachOrStart(inputs, deps, report, pipeline);
  const outcome = await awaitImage(inputs, deps, report, build);
  report.stats = outcome.stats;
  if (outcome.kind === 'timeout') throw await buildTimedOut(inputs, unbound, report, build, outcome.lastState);
  if (stateKind(outcome.state) === 'failure') {
    const details = await describeFailure(deps.imagebuilder, outcome.image, report.timeline);
    report.failureDetails = details;
    for (const note of details.notes) deps.log.warning(note);
    throw new ActionFailure(formatFailure(details, report.imageVersion || '?'));
  }
  return confirmAmi(inputs, deps, report, build, outcome);
}

/** The pipeline (ListImagePipelines or GetImagePipeline), logged, with a note when it is disabled. */
async function resolveAndReport(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
): Promise<ResolvedPipeline> {
  report.pipelineRequested = inputs.pipelineArn ?? inputs.pipelineName;
  report.phase = 'resolving the pipeline (ListImagePipelines or GetImagePipeline)';
  const pipelineRef = inputs.pipelineArn
    ? { name: inputs.pipelineName, arn: inputs.pipelineArn }
    : { name: inputs.pipelineName };
  const pipeline = await resolvePipeline(deps.imagebuilder, pipelineRef, inputs.region);
  report.pipeline = pipeline;
  const lastRun = pipeline.lastRunStatus ? `; last run ${pipeline.lastRunStatus}` : '';
  deps.log.info(`pipeline ${pipeline.name} (${pipeline.arn}) is ${pipeline.status}${lastRun}`);
  if (pipeline.disabled) {
    const note = `pipeline ${pipeline.name} is DISABLED: its schedule does not run, so no daily patched image is built`;
    report.notes.push(note);
    deps.log.warning(note);
  }
  return pipeline;
}

/** Attaches to the newest build in progress (if-building: wait), fails (fail), or starts one with the client token. */
async function attachOrStart(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
  pipeline: ResolvedPipeline,
): Promise<Build> {
  const { imagebuilder: ib, clock, log } = deps;
  const build: Build = { pipeline, imageArn: '', mode: 'started', startCalledAt: 0, waitStartedAt: 0 };
  if (inputs.ifBuilding !== 'start') {
    report.phase = 'looking for a build in progress (ListImagePipelineImages)';
    const inFlight = await findInFlightBuilds(ib, pipeline.arn);
    const current = inFlight[0];
    if (current) {
      const since = current.dateCreated ? `, created ${current.dateCreated}` : '';
      if (inputs.ifBuilding === 'fail') {
        const image = imageVersionFromArn(current.arn) || current.version;
        throw new ActionFailure(
          `a build of pipeline ${pipeline.name} is already in progress: image ${image} (${current.state}${since}); ` +
            'if-building is fail (use wait to attach to it)',
        );
      }
      Object.assign(build, { imageArn: current.arn, mode: 'attached' });
      log.info(
        `attaching to the build already in progress: ${current.arn} (${current.state}${since}) ` +
          'instead of starting another',
      );
      if (inFlight.length > 1)
        log.warning(`${inFlight.length} builds of ${pipeline.name} are in progress; following the newest`);
    }
  }
  if (!build.imageArn) {
    const token = inputs.clientToken ?? defaultClientToken(deps.env ?? {}, pipeline.arn).token;
    report.clientToken = token;
    build.startCalledAt = clock.now();
    report.phase = 'starting the build (StartImagePipelineExecution)';
    build.imageArn = await startBuild(ib, pipeline, token);
    log.info(`started pipeline ${pipeline.name} (client token ${token}): ${build.imageArn}`);
  }
  report.mode = build.mode;
  report.imageArn = build.imageArn;
  report.imageVersion = imageVersionFromArn(build.imageArn);
  return build;
}

/**
 * Waits for the image (waitForImage, its progress on deps.progress). The first image read tells a re-run: an image
 * created well before this run's start call was started by an earlier try with the same client token.
 */
async function awaitImage(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
  build: Build,
): Promise<WaitOutcome> {
  let firstImage: Image | undefined;
  build.waitStartedAt = deps.clock.now();
  report.phase = 'waiting for the image build';
  return waitForImage(deps.imagebuilder, build.imageArn, {
    clock: deps.clock,
    log: deps.log,
    deadline: report.startedAt + inputs.timeoutMs,
    startedAt: build.waitStartedAt,
    timeline: report.timeline,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.poll ? { policy: deps.poll } : {}),
    ...(deps.progress ? { progress: deps.progress } : {}),
    onImage: (image) => {
      if (firstImage) return;
      firstImage = image;
      if (image.version && !report.imageVersion) report.imageVersion = image.version;
      const created = Date.parse(image.dateCreated ?? '');
      if (build.mode === 'started' && Number.isFinite(created) && created < build.startCalledAt - RERUN_SKEW_MS) {
        build.mode = 'rerun';
        report.mode = build.mode;
        deps.log.info(
          `client token ${report.clientToken} had already started this build (created ${image.dateCreated}): ` +
            'following it, no second build started',
        );
      }
    },
  });
}

/** The wait reached the timeout: cancel what this run started (when asked) and say so. */
async function buildTimedOut(
  inputs: BuildNatAmiInputs,
  unbound: BuildNatAmiDeps,
  report: BuildReport,
  build: Build,
  lastState: string,
): Promise<ActionFailure> {
  const what = await cancelAfterTimeout(inputs, unbound, report);
  unbound.log.warning(`timeout: ${what}`);
  report.nextSteps = timeoutSteps(inputs, report);
  return new ActionFailure(
    `timed out after ${formatDuration(inputs.timeoutMs)} waiting for image ${report.imageVersion || '?'} ` +
      `of pipeline ${build.pipeline.name} (last state ${lastState}); ${what}`,
  );
}

/** AVAILABLE: the AMI for this region, confirmed usable (tested and tagged) by EC2, and the build's result. */
async function confirmAmi(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
  build: Build,
  outcome: Extract<WaitOutcome, { kind: 'terminal' }>,
): Promise<BuildNatAmiResult> {
  const version = report.imageVersion || '?';
  const amis = outcome.image.outputResources?.amis ?? [];
  const ami = pickRegionAmi(amis, inputs.region, build.imageArn);
  if (!ami?.image) {
    const where = amis.map((a) => `${a.region ?? '?'}:${a.image ?? '?'}`).join(', ') || 'none';
    throw new ActionFailure(
      `image ${version} is AVAILABLE but produced no AMI in ${inputs.region} (output AMIs: ${where}); ` +
        'check the distribution configuration',
    );
  }
  deps.log.info(`image ${version} is AVAILABLE: checking AMI ${ami.image} with EC2`);
  report.phase = 'checking the AMI with EC2 (DescribeImages)';
  const verification = await verifyAmi(deps.ec2, ami.image, criteriaOf(inputs), {
    clock: deps.clock,
    ...deps.amiWait,
    log: (m) => deps.log.info(m),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (!verification.ok) {
    report.rejections = [verification.reason];
    report.amiId = ami.image;
    throw new ActionFailure(
      `image ${version} is AVAILABLE but its AMI is not usable: ${verification.reason}; not outputting an untested ` +
        "AMI (the required tags are added only after the image's tests pass)",
    );
  }
  const buildSeconds = buildDuration(build, outcome);
  Object.assign(report, { amiId: verification.ami.imageId, amiName: verification.ami.name, buildSeconds });
  const tags = inputs.requiredTags.map((t) => `${t.key}=${t.value}`).join(', ');
  deps.log.info(`AMI ${verification.ami.imageId} (${verification.ami.name}) is available and carries ${tags}`);
  return {
    amiId: verification.ami.imageId,
    amiName: verification.ami.name,
    imageArn: build.imageArn,
    imageVersion: version === '?' ? '' : version,
    buildSeconds,
    reused: build.mode !== 'started',
  };
}

/** Seconds from the start call (or, for a build this run did not start, the image's creation) to AVAILABLE. */
function buildDuration(build: Build, outcome: Extract<WaitOutcome, { kind: 'terminal' }>): number {
  const created = Date.parse(outcome.image.dateCreated ?? '');
  let from = build.startCalledAt || build.waitStartedAt;
  if (build.mode !== 'started' && Number.isFinite(created) && created <= outcome.detectedAt) from = created;
  return Math.max(0, Math.round((outcome.detectedAt - from) / 1000));
}

async function startBuild(ib: ImagebuilderClient, pipeline: ResolvedPipeline, token: string): Promise<string> {
  try {
    const out = await ib.send(
      new StartImagePipelineExecutionCommand({ imagePipelineArn: pipeline.arn, clientToken: token }),
    );
    if (!out.imageBuildVersionArn)
      throw new ActionFailure(`StartImagePipelineExecution for ${pipeline.name} returned no image ARN`);
    return out.imageBuildVersionArn;
  } catch (err) {
    if (err instanceof ActionFailure) throw err;
    if (awsErrorCode(err) === 'IdempotentParameterMismatchException') {
      throw new ActionFailure(
        `client-token ${token} was already used for a different request (another pipeline?): ` +
          'set a different client-token',
      );
    }
    if (pipeline.disabled) {
      throw new ActionFailure(
        `could not start pipeline ${pipeline.name}, which is DISABLED: ${describeError(err)} ` +
          '(enable it, or use build: false to take the newest usable AMI)',
      );
    }
    throw err;
  }
}

/** The output AMI in `region`, in the image's own account (a distribution can also copy it to other accounts). */
function pickRegionAmi(amis: Ami[], region: string, imageArn: string): Ami | undefined {
  const account = /^arn:[^:]+:imagebuilder:[^:]+:(\d{12}):/.exec(imageArn)?.[1];
  const inRegion = amis.filter((a) => a.region === region && a.image);
  return inRegion.find((a) => !a.accountId || !account || a.accountId === account);
}
