/**
 * The build-nat-ami flow: resolve the pipeline, start a build (idempotent client token) or attach to the one in
 * progress, wait for it, and gate on a tested, tagged AMI. `build: false` only looks up the newest usable AMI.
 *
 * Everything that happens is recorded in a BuildReport (also when the flow fails) so the action can write the
 * job summary either way.
 */
import {
  CancelImageCreationCommand,
  StartImagePipelineExecutionCommand,
  type Ami,
  type Image,
  type ImagebuilderClient,
} from '@aws-sdk/client-imagebuilder';
import type { EC2Client } from '@aws-sdk/client-ec2';
import {
  explainRejections,
  IMAGE_BUILDER_ARN_TAG,
  noUsableAmiMessage,
  searchAmis,
  verifyAmi,
  type AmiCriteria,
} from '../ami/index';
import { awsErrorCode, withSignal } from '../aws/index';
import { formatDuration } from '../inputs/index';
import {
  ActionFailure,
  CancelledError,
  DeadlineExceededError,
  describeError,
  startDeadline,
  type Clock,
} from '../runtime/index';
import { describeFailure, formatFailure, type FailureDetails } from './failure';
import type { BuildNatAmiInputs } from './inputs';
import { findInFlightBuilds, resolvePipeline, type ResolvedPipeline } from './pipeline';
import { imageVersionFromArn, stateKind } from './states';
import { defaultClientToken } from './token';
import { waitForImage, type Logger, type PollPolicy, type StateChange, type WaitStats } from './wait';

export interface BuildNatAmiDeps {
  imagebuilder: ImagebuilderClient;
  ec2: EC2Client;
  clock: Clock;
  log: Logger;
  /** For the default client token (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). */
  env?: NodeJS.ProcessEnv;
  poll?: Partial<PollPolicy>;
  /** The short wait for the AMI's tags / available state after the image is AVAILABLE. */
  amiWait?: { waitMs?: number; intervalMs?: number };
  /** The run's cancellation signal (SIGINT/SIGTERM). `timeout` is a hard deadline on top of it. */
  signal?: AbortSignal;
  /** How long the CancelImageCreation call after a timeout may take. Default CLEANUP_MS. */
  cleanupMs?: number;
}

/** Milliseconds allowed, after the timeout, for cancelling the build this run started (one bounded call). */
export const CLEANUP_MS = 15_000;

/** lookup = build: false; started = this run started the build; attached = joined a build in progress;
 * rerun = the client token had already started a build (an earlier try of this step), which was followed. */
export type BuildMode = 'lookup' | 'started' | 'attached' | 'rerun';

export interface BuildReport {
  region: string;
  startedAt: number;
  finishedAt?: number;
  pipeline?: ResolvedPipeline;
  pipelineRequested?: string;
  mode?: BuildMode;
  clientToken?: string;
  imageArn?: string;
  imageVersion?: string;
  amiId?: string;
  amiName?: string;
  buildSeconds?: number;
  timeline: StateChange[];
  stats?: WaitStats;
  outcome?: 'success' | 'failure' | 'cancelled';
  failure?: string;
  /** What the run was doing (for a timeout or cancel: where it stopped). */
  phase?: string;
  /** What the operator should do next, fitted to the state the run left. */
  nextSteps: string[];
  failureDetails?: FailureDetails;
  /** AMIs that were not used and why (newest first). */
  rejections: string[];
  /** Things the operator should know (disabled pipeline, …). */
  notes: string[];
}

export interface BuildNatAmiResult {
  amiId: string;
  amiName: string;
  imageArn: string;
  imageVersion: string;
  buildSeconds: number;
  /** True when it attached to a build already running (or followed one its token had started) or only looked one up. */
  reused: boolean;
}

export function newReport(region: string, now: number): BuildReport {
  return { region, startedAt: now, timeline: [], rejections: [], notes: [], nextSteps: [] };
}

/** A token seen again returns the build it started: an image created this long before our call is not new. */
const RERUN_SKEW_MS = 120_000;

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
    `timed out after ${formatDuration(inputs.timeoutMs)}${built} during ${where} (an AWS call was still in flight and was abandoned)${what ? `; ${what}` : ''}`,
  );
}

/** CancelImageCreation for the build this run started (never for one it attached to), within `cleanupMs`. */
async function cancelAfterTimeout(
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

function cancelCommand(arn: string, region: string): string {
  return `aws imagebuilder cancel-image-creation --region ${region} --image-build-version-arn ${arn}`;
}

function cancelledSteps(inputs: BuildNatAmiInputs, report: BuildReport): string[] {
  if (!report.imageArn && report.phase?.startsWith('starting the build')) {
    return [
      `StartImagePipelineExecution was in flight when the job was cancelled: a build of ${report.pipeline?.name ?? 'the pipeline'} may have started.`,
      inputs.ifBuilding === 'wait'
        ? 'Re-run the job: with if-building: wait it attaches to a build in progress instead of starting another.'
        : `Check the pipeline's images in Image Builder before re-running (if-building is ${inputs.ifBuilding}).`,
    ];
  }
  if (!report.imageArn) return ['Nothing was started in Image Builder. Re-run the job when ready.'];
  const steps = [
    `The image build ${report.imageArn} keeps running in Image Builder: cancelling the job does not stop it.`,
    inputs.ifBuilding === 'wait'
      ? 'Re-run the job to pick it up: with if-building: wait the action attaches to the build in progress instead of starting another.'
      : `Re-run the job when the build has finished (if-building is ${inputs.ifBuilding}).`,
  ];
  if (report.mode !== 'attached') steps.push(`To stop it instead: ${cancelCommand(report.imageArn, inputs.region)}`);
  return steps;
}

function timeoutSteps(inputs: BuildNatAmiInputs, report: BuildReport): string[] {
  const steps: string[] = [];
  if (!report.imageArn || report.phase !== 'waiting for the image build') {
    steps.push(
      `An AWS call did not answer within the time left (during ${report.phase ?? 'start-up'}). Check that the runner reaches the Image Builder and EC2 endpoints of ${inputs.region} (proxy, VPC endpoints, AWS_ENDPOINT_URL), then re-run.`,
    );
  } else {
    steps.push(
      `Raise timeout (now ${formatDuration(inputs.timeoutMs)}; an image build takes 15-20 minutes, longer with tests) if the build was progressing.`,
    );
  }
  if (report.imageArn && report.mode === 'attached')
    steps.push(`The build ${report.imageArn} was started elsewhere and keeps running; a re-run attaches to it.`);
  else if (report.imageArn && !inputs.cancelOnTimeout)
    steps.push(
      `The build ${report.imageArn} keeps running; a re-run with if-building: wait attaches to it. To stop it: ${cancelCommand(report.imageArn, inputs.region)}`,
    );
  return steps;
}

function failedSteps(inputs: BuildNatAmiInputs, report: BuildReport, err: unknown): string[] {
  if (report.failureDetails)
    return ['Fix the failed workflow step named above (see its logs), then re-run; the failed image is not used.'];
  if (err instanceof ActionFailure) return [];
  return [
    `See the error above; if it is a permission error, compare the role with the IAM policy in the build-nat-ami README. Region: ${inputs.region}.`,
  ];
}

function criteriaOf(inputs: BuildNatAmiInputs): AmiCriteria {
  return { namePattern: inputs.amiNamePattern, requiredTags: inputs.requiredTags };
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

async function buildAndWait(
  inputs: BuildNatAmiInputs,
  deps: BuildNatAmiDeps,
  report: BuildReport,
  unbound: BuildNatAmiDeps,
): Promise<BuildNatAmiResult> {
  const { imagebuilder: ib, clock, log } = deps;
  report.pipelineRequested = inputs.pipelineArn ?? inputs.pipelineName;
  report.phase = 'resolving the pipeline (ListImagePipelines or GetImagePipeline)';
  const pipelineRef = inputs.pipelineArn
    ? { name: inputs.pipelineName, arn: inputs.pipelineArn }
    : { name: inputs.pipelineName };
  const pipeline = await resolvePipeline(ib, pipelineRef, inputs.region);
  report.pipeline = pipeline;
  log.info(
    `pipeline ${pipeline.name} (${pipeline.arn}) is ${pipeline.status}${pipeline.lastRunStatus ? `; last run ${pipeline.lastRunStatus}` : ''}`,
  );
  if (pipeline.disabled) {
    const note = `pipeline ${pipeline.name} is DISABLED: its schedule does not run, so no daily patched image is built`;
    report.notes.push(note);
    log.warning(note);
  }

  let imageArn = '';
  let mode: BuildMode = 'started';
  let startCalledAt = 0;
  if (inputs.ifBuilding !== 'start') {
    report.phase = 'looking for a build in progress (ListImagePipelineImages)';
    const inFlight = await findInFlightBuilds(ib, pipeline.arn);
    const current = inFlight[0];
    if (current) {
      const since = current.dateCreated ? `, created ${current.dateCreated}` : '';
      if (inputs.ifBuilding === 'fail') {
        throw new ActionFailure(
          `a build of pipeline ${pipeline.name} is already in progress: image ${imageVersionFromArn(current.arn) || current.version} (${current.state}${since}); if-building is fail (use wait to attach to it)`,
        );
      }
      imageArn = current.arn;
      mode = 'attached';
      log.info(
        `attaching to the build already in progress: ${current.arn} (${current.state}${since}) instead of starting another`,
      );
      if (inFlight.length > 1)
        log.warning(`${inFlight.length} builds of ${pipeline.name} are in progress; following the newest`);
    }
  }

  if (!imageArn) {
    const token = inputs.clientToken ?? defaultClientToken(deps.env ?? {}, pipeline.arn).token;
    report.clientToken = token;
    startCalledAt = clock.now();
    report.phase = 'starting the build (StartImagePipelineExecution)';
    imageArn = await startBuild(ib, pipeline, token);
    log.info(`started pipeline ${pipeline.name} (client token ${token}): ${imageArn}`);
  }
  report.mode = mode;
  report.imageArn = imageArn;
  report.imageVersion = imageVersionFromArn(imageArn);

  let firstImage: Image | undefined;
  const waitStartedAt = clock.now();
  report.phase = 'waiting for the image build';
  const outcome = await waitForImage(ib, imageArn, {
    clock,
    log,
    deadline: report.startedAt + inputs.timeoutMs,
    startedAt: waitStartedAt,
    timeline: report.timeline,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.poll ? { policy: deps.poll } : {}),
    onImage: (image) => {
      if (firstImage) return;
      firstImage = image;
      if (image.version && !report.imageVersion) report.imageVersion = image.version;
      const created = Date.parse(image.dateCreated ?? '');
      if (mode === 'started' && Number.isFinite(created) && created < startCalledAt - RERUN_SKEW_MS) {
        mode = 'rerun';
        report.mode = mode;
        log.info(
          `client token ${report.clientToken} had already started this build (created ${image.dateCreated}): following it, no second build started`,
        );
      }
    },
  });
  report.stats = outcome.stats;
  const version = report.imageVersion || '?';

  if (outcome.kind === 'timeout') {
    const what = await cancelAfterTimeout(inputs, unbound, report);
    log.warning(`timeout: ${what}`);
    report.nextSteps = timeoutSteps(inputs, report);
    throw new ActionFailure(
      `timed out after ${formatDuration(inputs.timeoutMs)} waiting for image ${version} of pipeline ${pipeline.name} (last state ${outcome.lastState}); ${what}`,
    );
  }

  if (stateKind(outcome.state) === 'failure') {
    const details = await describeFailure(ib, outcome.image, report.timeline);
    report.failureDetails = details;
    for (const note of details.notes) log.warning(note);
    throw new ActionFailure(formatFailure(details, version));
  }

  // AVAILABLE: the AMI for this region, confirmed usable by EC2.
  const amis = outcome.image.outputResources?.amis ?? [];
  const ami = pickRegionAmi(amis, inputs.region, imageArn);
  if (!ami?.image) {
    const where = amis.map((a) => `${a.region ?? '?'}:${a.image ?? '?'}`).join(', ') || 'none';
    throw new ActionFailure(
      `image ${version} is AVAILABLE but produced no AMI in ${inputs.region} (output AMIs: ${where}); check the distribution configuration`,
    );
  }
  log.info(`image ${version} is AVAILABLE: checking AMI ${ami.image} with EC2`);
  report.phase = 'checking the AMI with EC2 (DescribeImages)';
  const verification = await verifyAmi(deps.ec2, ami.image, criteriaOf(inputs), {
    clock,
    ...deps.amiWait,
    log: (m) => log.info(m),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (!verification.ok) {
    report.rejections = [verification.reason];
    report.amiId = ami.image;
    throw new ActionFailure(
      `image ${version} is AVAILABLE but its AMI is not usable: ${verification.reason}; not outputting an untested AMI (the required tags are added only after the image's tests pass)`,
    );
  }

  const detectedAt = outcome.detectedAt;
  const created = Date.parse(outcome.image.dateCreated ?? '');
  let from = startCalledAt || waitStartedAt;
  if (mode !== 'started' && Number.isFinite(created) && created <= detectedAt) from = created;
  const buildSeconds = Math.max(0, Math.round((detectedAt - from) / 1000));
  Object.assign(report, { amiId: verification.ami.imageId, amiName: verification.ami.name, buildSeconds });
  log.info(
    `AMI ${verification.ami.imageId} (${verification.ami.name}) is available and carries ${inputs.requiredTags.map((t) => `${t.key}=${t.value}`).join(', ')}`,
  );
  return {
    amiId: verification.ami.imageId,
    amiName: verification.ami.name,
    imageArn,
    imageVersion: version === '?' ? '' : version,
    buildSeconds,
    reused: mode !== 'started',
  };
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
        `client-token ${token} was already used for a different request (another pipeline?): set a different client-token`,
      );
    }
    if (pipeline.disabled) {
      throw new ActionFailure(
        `could not start pipeline ${pipeline.name}, which is DISABLED: ${describeError(err)} (enable it, or use build: false to take the newest usable AMI)`,
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
