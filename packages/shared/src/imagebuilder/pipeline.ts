/**
 * Resolving the image pipeline (by name or ARN) and finding builds of it that are already in progress.
 */
import {
  GetImagePipelineCommand,
  paginateListImagePipelineImages,
  paginateListImagePipelines,
  type ImagebuilderClient,
  type ImagePipeline,
  type ImageSummary,
} from '@aws-sdk/client-imagebuilder';
import { awsErrorCode } from '../aws/index';
import { ActionFailure } from '../runtime/index';
import { stateKind } from './states';

export interface PipelineRef {
  name: string;
  /** Takes precedence over `name` when set. */
  arn?: string;
}

export interface ResolvedPipeline {
  arn: string;
  name: string;
  /** ENABLED or DISABLED (as Image Builder reports it). */
  status: string;
  disabled: boolean;
  lastRunStatus?: string;
  dateLastRun?: string;
}

function toResolved(p: ImagePipeline): ResolvedPipeline {
  const status = String(p.status ?? 'UNKNOWN');
  const resolved: ResolvedPipeline = { arn: p.arn ?? '', name: p.name ?? '', status, disabled: status === 'DISABLED' };
  if (p.lastRunStatus) resolved.lastRunStatus = String(p.lastRunStatus);
  if (p.dateLastRun) resolved.dateLastRun = p.dateLastRun;
  return resolved;
}

/** Every image pipeline in the client's region (ListImagePipelines paginator). */
export async function listPipelines(ib: ImagebuilderClient): Promise<ImagePipeline[]> {
  const all: ImagePipeline[] = [];
  for await (const page of paginateListImagePipelines({ client: ib, pageSize: 100 }, {})) {
    all.push(...(page.imagePipelineList ?? []));
  }
  return all;
}

function missingPipeline(what: string, region: string, existing: ImagePipeline[]): ActionFailure {
  const names = existing.map((p) => p.name ?? p.arn ?? '?').sort();
  if (names.length === 0) {
    return new ActionFailure(
      `image pipeline ${what} not found in ${region}: this region has no image pipelines at all ` +
        '(right account and region? is build_nat_ami enabled in terraform?)',
    );
  }
  const shown = names.slice(0, 20).join(', ');
  const more = names.length > 20 ? ` and ${names.length - 20} more` : '';
  return new ActionFailure(`image pipeline ${what} not found in ${region}; pipelines there: ${shown}${more}`);
}

/**
 * The pipeline named `ref.name` (or with ARN `ref.arn`). Missing → ActionFailure listing the pipelines that
 * do exist in the region.
 */
export async function resolvePipeline(
  ib: ImagebuilderClient,
  ref: PipelineRef,
  region: string,
): Promise<ResolvedPipeline> {
  if (ref.arn) {
    try {
      const out = await ib.send(new GetImagePipelineCommand({ imagePipelineArn: ref.arn }));
      if (out.imagePipeline) return toResolved(out.imagePipeline);
    } catch (err) {
      if (awsErrorCode(err) !== 'ResourceNotFoundException') throw err;
    }
    throw missingPipeline(ref.arn, region, await listPipelines(ib));
  }
  const all = await listPipelines(ib);
  const match = all.find((p) => p.name === ref.name);
  if (!match) throw missingPipeline(`"${ref.name}"`, region, all);
  return toResolved(match);
}

export interface InFlightBuild {
  arn: string;
  version: string;
  state: string;
  dateCreated?: string;
}

/**
 * Builds of this pipeline that have not reached a terminal state (ListImagePipelineImages paginator),
 * newest first. Only the known in-progress states count: an image in a state this code does not know is not
 * attached to (it could be an old image in some new terminal state).
 */
export async function findInFlightBuilds(ib: ImagebuilderClient, pipelineArn: string): Promise<InFlightBuild[]> {
  const found: InFlightBuild[] = [];
  for await (const page of paginateListImagePipelineImages(
    { client: ib, pageSize: 100 },
    { imagePipelineArn: pipelineArn },
  )) {
    for (const image of page.imageSummaryList ?? []) {
      if (!image.arn || stateKind(image.state?.status) !== 'progress') continue;
      found.push(toInFlight(image));
    }
  }
  return found.sort((a, b) => (Date.parse(b.dateCreated ?? '') || 0) - (Date.parse(a.dateCreated ?? '') || 0));
}

function toInFlight(image: ImageSummary): InFlightBuild {
  const b: InFlightBuild = {
    arn: image.arn ?? '',
    version: image.version ?? '',
    state: String(image.state?.status ?? ''),
  };
  if (image.dateCreated) b.dateCreated = image.dateCreated;
  return b;
}
