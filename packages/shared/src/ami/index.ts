/**
 * Finding and validating a usable NAT AMI with EC2 DescribeImages.
 *
 * "Usable" is what the NAT instances' `data.aws_ami.custom_nat` lookup means, made strict: owned by this account,
 * name matching the pattern (`cabal-nat-al2023-*`), state `available`, and carrying every required tag
 * (`Role=cabal-nat`, which the Image Builder distribution step adds only after the image's test stage passed).
 * An AMI with the right name but without the tag is a failed gate, never a candidate. Newest by CreationDate wins.
 *
 * Rejected candidates are kept with the reasons they were rejected, so an operator reads
 * "cabal-nat-al2023-2026-01-02 (ami-0abc) is available but lacks tag Role=cabal-nat" instead of "no AMI found".
 */
import { DescribeImagesCommand, paginateDescribeImages, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { awsErrorCode, isTransientAwsError } from '../aws/index';
import { describeError, type Clock } from '../runtime/index';
import { formatTags, imageProblems, type AmiCriteria } from './criteria';

export {
  DEFAULT_AMI_CRITERIA,
  amiCriteriaInputs,
  formatTags,
  imageProblems,
  type AmiCriteria,
  type ImageFacts,
} from './criteria';

export interface UsableAmi {
  imageId: string;
  name: string;
  /** ISO-8601, as EC2 reports it. */
  creationDate: string;
  tags: Record<string, string>;
}

export interface AmiCandidate extends UsableAmi {
  /** EC2 image state: available, pending, failed, … */
  state: string;
  stateReason?: string;
  /** Why this AMI is not usable; empty when it is. */
  problems: string[];
}

export interface AmiSearch {
  criteria: AmiCriteria;
  /** The newest usable AMI, if any. */
  usable?: UsableAmi;
  /** Every AMI whose name matches the pattern, newest first, with its problems. */
  candidates: AmiCandidate[];
}

/** The Image Builder tag on distributed AMIs that names the image build version they came from. */
export const IMAGE_BUILDER_ARN_TAG = 'Ec2ImageBuilderArn';

export function tagsOf(image: Pick<Image, 'Tags'>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of image.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
  return tags;
}

/** Turns an EC2 image into a candidate, listing every reason it is not usable under `criteria`. */
export function toCandidate(image: Image, criteria: AmiCriteria): AmiCandidate {
  const tags = tagsOf(image);
  const name = image.Name ?? '';
  const state = String(image.State ?? 'unknown');
  const stateReason = image.StateReason?.Message ?? image.StateReason?.Code;
  const problems = imageProblems({ name, state, ...(stateReason ? { stateReason } : {}), tags }, criteria);
  const candidate: AmiCandidate = {
    imageId: image.ImageId ?? '',
    name,
    creationDate: image.CreationDate ?? '',
    tags,
    state,
    problems,
  };
  const reason = image.StateReason?.Message;
  if (reason) candidate.stateReason = reason;
  return candidate;
}

export function toUsable(c: AmiCandidate): UsableAmi {
  return { imageId: c.imageId, name: c.name, creationDate: c.creationDate, tags: c.tags };
}

/**
 * One line per candidate: `cabal-nat-al2023-2026… (ami-0abc) is available but lacks tag Role=cabal-nat`.
 */
export function describeCandidate(c: AmiCandidate): string {
  const label = `${c.name || '(no name)'} (${c.imageId})`;
  if (c.problems.length === 0) return `${label} is available and usable`;
  const stateProblem = c.problems.find((p) => p.startsWith('is '));
  const others = c.problems.filter((p) => p !== stateProblem);
  const head = stateProblem ?? 'is available';
  if (others.length === 0) return `${label} ${head}`;
  return `${label} ${head} ${stateProblem ? 'and' : 'but'} ${others.join(' and ')}`;
}

function newestFirst(a: AmiCandidate, b: AmiCandidate): number {
  // ISO-8601 timestamps in the same format sort as strings; ties broken by id for determinism.
  if (a.creationDate !== b.creationDate) return a.creationDate < b.creationDate ? 1 : -1;
  return a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0;
}

/**
 * Every AMI (owners, default self) whose name matches the pattern, newest first, with the newest usable one.
 * Uses the DescribeImages paginator; the name is filtered server-side, tags and state are checked here so that
 * rejected candidates can be explained.
 */
export async function searchAmis(ec2: EC2Client, criteria: AmiCriteria): Promise<AmiSearch> {
  const candidates: AmiCandidate[] = [];
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: 100 },
    { Owners: criteria.owners ?? ['self'], Filters: [{ Name: 'name', Values: [criteria.namePattern] }] },
  );
  for await (const page of pages) {
    for (const image of page.Images ?? []) candidates.push(toCandidate(image, criteria));
  }
  candidates.sort(newestFirst);
  const usable = candidates.find((c) => c.problems.length === 0);
  return usable ? { criteria, usable: toUsable(usable), candidates } : { criteria, candidates };
}

/** The newest usable AMI, or undefined. Use `searchAmis` + `explainRejections` to say why there is none. */
export async function findUsableAmi(ec2: EC2Client, criteria: AmiCriteria): Promise<UsableAmi | undefined> {
  return (await searchAmis(ec2, criteria)).usable;
}

/**
 * Why candidates were rejected: the rejected AMIs newer than the usable one (or all of them when none is
 * usable), newest first, at most `limit` lines plus a "… and N more" line.
 */
export function explainRejections(search: AmiSearch, limit = 5): string[] {
  const rejected: AmiCandidate[] = [];
  for (const c of search.candidates) {
    if (c.problems.length === 0) break;
    rejected.push(c);
  }
  const lines = rejected.slice(0, limit).map(describeCandidate);
  if (rejected.length > limit) lines.push(`… and ${rejected.length - limit} older rejected AMI(s)`);
  return lines;
}

/** One line for "no usable AMI", naming the criteria and the newest rejections. */
export function noUsableAmiMessage(search: AmiSearch, region?: string): string {
  const where = region ? ` in ${region}` : '';
  const tags = search.criteria.requiredTags.length > 0 ? ` with tags ${formatTags(search.criteria.requiredTags)}` : '';
  const head = `no usable AMI named ${search.criteria.namePattern}${tags}${where}`;
  if (search.candidates.length === 0) {
    const owners = (search.criteria.owners ?? ['self']).join(', ');
    return (
      `${head}: no AMI owned by ${owners} matches the name at all ` +
      '(has the pipeline ever produced one in this region and account?)'
    );
  }
  return `${head}: ${explainRejections(search, 3).join('; ')}`;
}

/** The AMI with this id as a candidate (checked against `criteria`), or undefined when EC2 does not know it. */
export async function checkAmi(
  ec2: EC2Client,
  imageId: string,
  criteria: AmiCriteria,
): Promise<AmiCandidate | undefined> {
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const image = (out.Images ?? []).find((i) => i.ImageId === imageId);
    return image ? toCandidate(image, criteria) : undefined;
  } catch (err) {
    if (/^InvalidAMIID\.(NotFound|Unavailable)$/.test(awsErrorCode(err))) return undefined;
    throw err;
  }
}

export interface AmiWaitOptions {
  clock: Clock;
  /** How long to wait for tags (and the `available` state) to appear; default 90 s. */
  waitMs?: number;
  /** Time between checks; default 10 s. */
  intervalMs?: number;
  log?: (message: string) => void;
  /** Cancellation / deadline: ends a pause between checks at once. */
  signal?: AbortSignal;
}

export type AmiVerification =
  | { ok: true; ami: UsableAmi; checks: number }
  | { ok: false; reason: string; candidate?: AmiCandidate; checks: number };

/**
 * Confirms that a specific AMI (the one an image build just produced) is usable. Tags applied by the
 * distribution step and the `available` state can lag behind Image Builder's AVAILABLE for a moment, so
 * missing tags, `pending`, and "not found yet" are re-checked for a short while; a name that does not match or
 * a wrong tag value or a failed state are final at once.
 */
export async function verifyAmi(
  ec2: EC2Client,
  imageId: string,
  criteria: AmiCriteria,
  options: AmiWaitOptions,
): Promise<AmiVerification> {
  const { clock } = options;
  const waitMs = options.waitMs ?? 90_000;
  const intervalMs = Math.max(1, options.intervalMs ?? 10_000);
  const deadline = clock.now() + waitMs;
  let checks = 0;
  for (;;) {
    let last: { reason: string; candidate?: AmiCandidate };
    checks++;
    let retryable = true;
    try {
      const candidate = await checkAmi(ec2, imageId, criteria);
      if (!candidate) {
        last = { reason: `AMI ${imageId} is not visible to EC2 DescribeImages in this region` };
      } else if (candidate.problems.length === 0) {
        return { ok: true, ami: toUsable(candidate), checks };
      } else {
        last = { reason: describeCandidate(candidate), candidate };
        retryable = candidate.problems.every(
          (p) => /^lacks tag /.test(p) || p === 'is pending' || p.startsWith('is pending '),
        );
      }
    } catch (err) {
      if (!isTransientAwsError(err)) throw err;
      last = { reason: `DescribeImages failed: ${describeError(err)}` };
    }
    const now = clock.now();
    if (!retryable || now >= deadline) return { ok: false, checks, ...last };
    options.log?.(`${last.reason}; checking again in ${Math.round(Math.min(intervalMs, deadline - now) / 1000)} s`);
    await clock.sleep(Math.min(intervalMs, deadline - now), options.signal);
  }
}

/** The one EC2 operation this module calls (IAM: ec2:DescribeImages), re-exported for mocks outside this package. */
export { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
