/**
 * What makes a NAT AMI tested — the criteria the cutover's AMI gate, build-nat-ami and plan-guard share: a name
 * matching the pattern (`cabal-nat-al2023-*`), state `available`, and every required tag (`Role=cabal-nat`, which
 * the Image Builder distribution step adds only after the image's test stage passed). The inputs that set them
 * (`ami-name-pattern`, `required-tags`) are parsed here once for every action that has them. No AWS call here:
 * plan-guard checks the images a plan's data sources read, the gate in ami/index.ts the ones EC2 describes.
 */
import { InputError, globToRegExp, stringInput, tagsInput, type InputReader, type Tag } from '../inputs/index';

export interface AmiCriteria {
  /** EC2 name glob (`*`, `?`), e.g. `cabal-nat-al2023-*`. */
  namePattern: string;
  /** Every tag must be present with exactly this value. */
  requiredTags: Tag[];
  /** DescribeImages owners; default `['self']`. */
  owners?: string[];
}

/** The defaults of `ami-name-pattern` and `required-tags` (the runbook's image name and its tested tag). */
export const DEFAULT_AMI_CRITERIA: Readonly<AmiCriteria> = Object.freeze({
  namePattern: 'cabal-nat-al2023-*',
  requiredTags: [{ key: 'Role', value: 'cabal-nat' }],
});

/** `Role=cabal-nat, Name=…`. */
export function formatTags(tags: Tag[]): string {
  return tags.map((t) => `${t.key}=${t.value}`).join(', ');
}

/**
 * The `ami-name-pattern` and `required-tags` inputs (defaults DEFAULT_AMI_CRITERIA). One-line InputError for a
 * pattern over 128 characters (EC2's AMI name limit), a tag that is not Key=Value or has an empty key, and a key
 * required with two values; a tag given twice with the same value counts once.
 */
export function amiCriteriaInputs(read: InputReader): AmiCriteria {
  const namePattern = stringInput('ami-name-pattern', read('ami-name-pattern'), DEFAULT_AMI_CRITERIA.namePattern);
  if (namePattern.length > 128)
    throw new InputError('ami-name-pattern: longer than 128 characters (the AMI name limit)');
  const tags = tagsInput('required-tags', read('required-tags'), [...DEFAULT_AMI_CRITERIA.requiredTags]);
  const seen = new Map<string, Tag>();
  for (const t of tags) {
    if (t.key === '') throw new InputError('required-tags: a tag has an empty key');
    const prior = seen.get(t.key);
    if (prior !== undefined && prior.value !== t.value)
      throw new InputError(`required-tags: ${t.key} is required to be both ${prior.value} and ${t.value}`);
    seen.set(t.key, t);
  }
  return { namePattern, requiredTags: [...seen.values()] };
}

/** An image as far as the criteria look at it. */
export interface ImageFacts {
  name?: string;
  /** EC2 image state (available, pending, failed, …); undefined when not known (then not checked). */
  state?: string;
  stateReason?: string;
  tags: Record<string, string>;
}

/**
 * Why an image is not tested under `criteria`, one phrase each ("is failed (…)", "has a name that does not match
 * cabal-nat-al2023-*", "lacks tag Role=cabal-nat", "has tag Role=x, not Role=cabal-nat"); [] when it is. `shown` is
 * the same image as a person may read it (values marked sensitive replaced): the checks read `image`, the phrases
 * quote `shown` (default `image`).
 */
export function imageProblems(image: ImageFacts, criteria: AmiCriteria, shown: ImageFacts = image): string[] {
  const problems: string[] = [];
  if (image.state !== undefined && image.state !== 'available')
    problems.push(`is ${shown.state ?? image.state}${image.stateReason ? ` (${image.stateReason})` : ''}`);
  if (!globToRegExp(criteria.namePattern).test(image.name ?? ''))
    problems.push(`has a name that does not match ${criteria.namePattern}`);
  for (const required of criteria.requiredTags) {
    const actual = image.tags[required.key];
    if (actual === undefined) problems.push(`lacks tag ${required.key}=${required.value}`);
    else if (actual !== required.value)
      problems.push(
        `has tag ${required.key}=${shown.tags[required.key] ?? actual}, not ${required.key}=${required.value}`,
      );
  }
  return problems;
}
