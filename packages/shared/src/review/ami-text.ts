/**
 * What plan-guard says about the AMI a NAT would launch: whether it is tested (ami/criteria.ts: name pattern,
 * state, required tags — the runbook's signal that the image passed its test stage), the image as a person reads
 * it (name, id, creation date, tags: nat/ami.ts `shown`), where the change comes from (the data source picking a
 * newer image, or the configuration), and what to do about an untested one.
 */
import { formatTags, imageProblems, type AmiCriteria } from '../ami/criteria';
import { shownAmiValue, type NatAmiFacts, type NatImage } from '../nat/index';
import type { ResourceChange } from '../plan/types';

export type AmiVerdict =
  | { kind: 'tested'; image: NatImage }
  | { kind: 'untested'; image: NatImage; problems: string[] }
  /** No image facts: the value is not traced to a data source, or the data source is read only during apply. */
  | { kind: 'unknown'; image?: NatImage };

/** Is the image the NAT would launch tested under `criteria`? */
export function amiVerdict(facts: NatAmiFacts | undefined, criteria: AmiCriteria): AmiVerdict {
  const image = facts?.image;
  if (!image || image.read === 'apply') return image ? { kind: 'unknown', image } : { kind: 'unknown' };
  const raw = { ...(image.name ? { name: image.name } : {}), ...(image.state ? { state: image.state } : {}) };
  const shown = { ...(image.shown.state ? { state: image.shown.state } : {}), tags: image.shown.tags };
  const problems = imageProblems({ ...raw, tags: image.tags }, criteria, shown);
  return problems.length === 0 ? { kind: 'tested', image } : { kind: 'untested', image, problems };
}

/** "cabal-nat-al2023-2026-11-15 (ami-0abc, created 2026-11-15T10:24:02.000Z; tags Name=…, Role=cabal-nat)". */
export function imageText(image: NatImage): string {
  const { name, imageId, creationDate, tags } = image.shown;
  const tagText = Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return (
    `${name ?? '(no name)'} (${imageId ?? 'id not known'}${creationDate ? `, created ${creationDate}` : ''}; ` +
    `${tagText ? `tags ${tagText}` : 'no tags'})`
  );
}

/** "name (id)" for a title. */
export function imageLabel(image: NatImage): string {
  return `${image.shown.name ?? '(no name)'}${image.shown.imageId ? ` (${image.shown.imageId})` : ''}`;
}

/**
 * Where the new image comes from, one sentence, or '' when the AMI does not change: the data source picking a
 * newer image with no configuration change, a data source read only during apply, or the configuration.
 */
export function originText(rc: ResourceChange, facts: NatAmiFacts | undefined): string {
  if (!facts?.changes) return '';
  const before = shownAmiValue(rc, 'before');
  const image = facts.image;
  if (facts.origin === 'data-source' && image?.read === 'apply')
    return `${image.source} is read only during apply: which image it picks is not known at review.`;
  if (facts.origin === 'data-source' && image)
    return (
      `No configuration change picks it: ${facts.attribute} comes from ${image.source}` +
      (image.mostRecent
        ? ' (most_recent = true), which now selects a newer image'
        : ', which now returns another image') +
      `${before ? ` than ${before}` : ''}.`
    );
  if (facts.origin === 'configuration') return `The configuration sets the new ${facts.attribute}.`;
  return '';
}

/** "A tested cabal-nat-al2023-* AMI tagged Role=cabal-nat" under the criteria (ami-name-pattern, required-tags). */
export function testedAmiText(criteria: AmiCriteria): string {
  const tags = formatTags(criteria.requiredTags);
  return `A tested ${criteria.namePattern} AMI${tags ? ` tagged ${tags}` : ''}`;
}

/** The check to ask for when the image is not known at review: "tag Role=cabal-nat; build-nat-ami checks it". */
export function testedCheckText(criteria: AmiCriteria): string {
  const tags = formatTags(criteria.requiredTags);
  return `Confirm the AMI passed its tests (${tags ? `tag ${tags}; ` : ''}build-nat-ami checks it). `;
}

/** "It launches <image>: tested (it carries Role=cabal-nat)." */
export function testedText(image: NatImage, criteria: AmiCriteria): string {
  const tags = formatTags(criteria.requiredTags);
  return `It launches ${imageText(image)}: tested (${tags ? `it carries ${tags}` : 'it matches the AMI criteria'}).`;
}

/** "<image>, which lacks tag Role=cabal-nat: the tag is added only after …". */
export function untestedText(image: NatImage, problems: string[], criteria: AmiCriteria): string {
  const tags = formatTags(criteria.requiredTags);
  return (
    `${imageText(image)}, which ${problems.join(' and ')}` +
    (tags
      ? `: the Image Builder pipeline adds ${tags} only after the image's test stage passes, so this image did not ` +
        'pass it (a failed or unfinished build can leave it behind).'
      : '.')
  );
}

/** The action for an untested image: build a tested one first, and keep untagged images out of the lookup. */
export function untestedAction(image: NatImage, criteria: AmiCriteria): string {
  const tags = formatTags(criteria.requiredTags);
  const first = criteria.requiredTags[0];
  return (
    'Do not apply. Run build-nat-ami (it runs the NAT AMI pipeline and outputs an AMI only when it is available' +
    `${tags ? ` and carries ${tags}` : ''}), then plan again so that ${image.source} picks the tested image. ` +
    `Deregister the untested image if a failed build left it (aws ec2 deregister-image --image-id ` +
    `${image.shown.imageId ?? '<ami-id>'})` +
    (first ? `, and filter the data source on tag:${first.key} = ${first.value} so that it never picks one.` : '.')
  );
}

/**
 * What the plan's new NAT instances would launch, for a mode switch's wording: " They launch <image>: tested (…)."
 * when every one launches the same tested image, " They would launch an untested image (see the critical finding)."
 * when one does not, else `unknown` (no image facts).
 */
export function launchedImageSentence(verdicts: readonly AmiVerdict[], criteria: AmiCriteria, unknown: string): string {
  if (verdicts.some((v) => v.kind === 'untested'))
    return ' The new NAT instances would launch an untested image: see the critical "Untested NAT AMI" finding.';
  const tested = verdicts.filter((v): v is Extract<AmiVerdict, { kind: 'tested' }> => v.kind === 'tested');
  const ids = new Set(tested.map((v) => v.image.source + (v.image.imageId ?? '')));
  if (verdicts.length === 0 || tested.length !== verdicts.length || ids.size !== 1) return unknown;
  const tags = formatTags(criteria.requiredTags) || 'it matches the AMI criteria';
  return ` The new NAT instances launch ${imageText(tested[0]!.image)}: tested (${tags}).`;
}
