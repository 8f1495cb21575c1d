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
import { explainRejections, IMAGE_BUILDER_ARN_TAG, noUsableAmiMessage, searchAmis, verifyAmi, type AmiCriteria } from '../ami/index';
import { awsErrorCode } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { ActionFailure, describeError, type Clock } from '../runtime/index';
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
}

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
  outcome?: 'success' | 'failure';
  failure?: string;
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
  return { region, startedAt: now, timeline: [], rejections: [], notes: [] };
}

/** A token seen again returns the build it started: an image created this long before our call is not new. */
const RERUN_SKEW_MS = 120_000;

export async function buildNatAmi(inputs: BuildNatAmiInputs, deps: BuildNatAmiDeps, report = newReport(inputs.region, deps.clock.now())): Promise<BuildNatAmiResult> {
  try {
    const result = inputs.build ? await buildAndWait(inputs, deps, report) : await lookup(inputs, deps, report);
    report.outcome = 'success';
    return result;
  } catch (err) {
    report.outcome = 'failure';
    report.failure = describeError(err);
    throw err;
  } finally {
    report.finishedAt = deps.clock.now();
  }
}

function criteriaOf(inputs: BuildNatAmiInputs): AmiCriteria {
  return { namePattern: inputs.amiNamePattern, requiredTags: inputs.requiredTags };
}

async function lookup(inputs: BuildNatAmiInputs, deps: BuildNatAmiDeps, report: BuildReport): Promise<BuildNatAmiResult> {
  report.mode = 'lookup';
  const search = await searchAmis(deps.ec2, criteriaOf(inputs));
  report.rejections = explainRejections(search, 10);
  if (!search.usable) throw new ActionFailure(noUsableAmiMessage(search, inputs.region));
  for (const line of report.rejections) deps.log.warning(`skipped a newer AMI: ${line}`);
  const ami = search.usable;
  const imageArn = ami.tags[IMAGE_BUILDER_ARN_TAG] ?? '';
  Object.assign(report, { amiId: ami.imageId, amiName: ami.name, imageArn, imageVersion: imageVersionFromArn(imageArn), buildSeconds: 0 });
  deps.log.info(`newest usable AMI: ${ami.imageId} (${ami.name}, created ${ami.creationDate})`);
  return { amiId: ami.imageId, amiName: ami.name, imageArn, imageVersion: imageVersionFromArn(imageArn), buildSeconds: 0, reused: true };
}

async function buildAndWait(inputs: BuildNatAmiInputs, deps: BuildNatAmiDeps, report: BuildReport): Promise<BuildNatAmiResult> {
  const { imagebuilder: ib, clock, log } = deps;
  report.pipelineRequested = inputs.pipelineArn ?? inputs.pipelineName;
  const pipelineRef = inputs.pipelineArn ? { name: inputs.pipelineName, arn: inputs.pipelineArn } : { name: inputs.pipelineName };
  const pipeline = await resolvePipeline(ib, pipelineRef, inputs.region);
  report.pipeline = pipeline;
  log.info(`pipeline ${pipeline.name} (${pipeline.arn}) is ${pipeline.status}${pipeline.lastRunStatus ? `; last run ${pipeline.lastRunStatus}` : ''}`);
  if (pipeline.disabled) {
    const note = `pipeline ${pipeline.name} is DISABLED: its schedule does not run, so no daily patched image is built`;
    report.notes.push(note);
    log.warning(note);
  }

  let imageArn = '';
  let mode: BuildMode = 'started';
  let startCalledAt = 0;
  if (inputs.ifBuilding !== 'start') {
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
      log.info(`attaching to the build already in progress: ${current.arn} (${current.state}${since}) instead of starting another`);
      if (inFlight.length > 1) log.warning(`${inFlight.length} builds of ${pipeline.name} are in progress; following the newest`);
    }
  }

  if (!imageArn) {
    const token = inputs.clientToken ?? defaultClientToken(deps.env ?? {}, pipeline.arn).token;
    report.clientToken = token;
    startCalledAt = clock.now();
    imageArn = await startBuild(ib, pipeline, token);
    log.info(`started pipeline ${pipeline.name} (client token ${token}): ${imageArn}`);
  }
  report.mode = mode;
  report.imageArn = imageArn;
  report.imageVersion = imageVersionFromArn(imageArn);

  let firstImage: Image | undefined;
  const waitStartedAt = clock.now();
  const outcome = await waitForImage(ib, imageArn, {
    clock,
    log,
    deadline: report.startedAt + inputs.timeoutMs,
    startedAt: waitStartedAt,
    timeline: report.timeline,
    ...(deps.poll ? { policy: deps.poll } : {}),
    onImage: (image) => {
      if (firstImage) return;
      firstImage = image;
      if (image.version && !report.imageVersion) report.imageVersion = image.version;
      const created = Date.parse(image.dateCreated ?? '');
      if (mode === 'started' && Number.isFinite(created) && created < startCalledAt - RERUN_SKEW_MS) {
        mode = 'rerun';
        report.mode = mode;
        log.info(`client token ${report.clientToken} had already started this build (created ${image.dateCreated}): following it, no second build started`);
      }
    },
  });
  report.stats = outcome.stats;
  const version = report.imageVersion || '?';

  if (outcome.kind === 'timeout') {
    let what: string;
    if (!inputs.cancelOnTimeout) {
      what = `the build keeps running (cancel-on-timeout is false): ${imageArn}`;
    } else if (mode === 'attached') {
      what = 'not cancelling it: this run attached to a build it did not start';
    } else {
      try {
        await ib.send(new CancelImageCreationCommand({ imageBuildVersionArn: imageArn }));
        what = 'cancelled the build (CancelImageCreation accepted)';
        report.timeline.push({ state: 'CANCEL REQUESTED', at: clock.now(), elapsedMs: clock.now() - waitStartedAt });
      } catch (err) {
        what = `cancelling it failed: ${describeError(err)}`;
      }
    }
    log.warning(`timeout: ${what}`);
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
    throw new ActionFailure(`image ${version} is AVAILABLE but produced no AMI in ${inputs.region} (output AMIs: ${where}); check the distribution configuration`);
  }
  log.info(`image ${version} is AVAILABLE: checking AMI ${ami.image} with EC2`);
  const verification = await verifyAmi(deps.ec2, ami.image, criteriaOf(inputs), { clock, ...deps.amiWait, log: (m) => log.info(m) });
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
  log.info(`AMI ${verification.ami.imageId} (${verification.ami.name}) is available and carries ${inputs.requiredTags.map((t) => `${t.key}=${t.value}`).join(', ')}`);
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
    const out = await ib.send(new StartImagePipelineExecutionCommand({ imagePipelineArn: pipeline.arn, clientToken: token }));
    if (!out.imageBuildVersionArn) throw new ActionFailure(`StartImagePipelineExecution for ${pipeline.name} returned no image ARN`);
    return out.imageBuildVersionArn;
  } catch (err) {
    if (err instanceof ActionFailure) throw err;
    if (awsErrorCode(err) === 'IdempotentParameterMismatchException') {
      throw new ActionFailure(`client-token ${token} was already used for a different request (another pipeline?): set a different client-token`);
    }
    if (pipeline.disabled) {
      throw new ActionFailure(`could not start pipeline ${pipeline.name}, which is DISABLED: ${describeError(err)} (enable it, or use build: false to take the newest usable AMI)`);
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
