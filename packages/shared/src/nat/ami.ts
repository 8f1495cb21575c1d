/**
 * The AMI a NAT instance (aws_instance `ami`) or NAT launch template (aws_launch_template `image_id`) launches, as
 * the plan knows it: the value on each side, and the image it comes from — the `aws_ami` data source the
 * configuration links the argument to (`expressions.<argument>.references`, e.g. data.aws_ami.custom_nat[0]) with
 * the values terraform read for it while planning (prior_state: name, image_id, creation_date, state, tags,
 * most_recent), or, when the argument is set some other way (a module variable), the data source whose image_id is
 * the planned value. A data source terraform reads only during apply (resource_changes `read`, after unknown) has no
 * values yet. Attribute names are hashicorp/aws's (aws_ami data source: id, image_id, name, creation_date, state,
 * tags, most_recent; aws_instance: ami; aws_launch_template: image_id).
 *
 * Raw fields are for matching and decisions only; `shown` holds the same facts as text for a person
 * (plan/config.ts priorShown: a value terraform marks sensitive reads "(sensitive)").
 */
import { argumentReferences, configOf, priorRaw, priorShown, setsArgument, withoutKeys } from '../plan/config';
import type { PlanSections, PriorResource, ResourceChange } from '../plan/types';
import { rawString, shownValue, unknownAt, type Side } from '../plan/values';
import { replacePaths } from '../plan/change';

/** The image a NAT would launch, as the plan's aws_ami data source read it. */
export interface NatImage {
  /** The data source instance, e.g. module.vpc.data.aws_ami.custom_nat[0]. */
  source: string;
  /** 'plan': read while planning (prior_state has its values); 'apply': read only during apply (not known yet). */
  read: 'plan' | 'apply';
  /** Matching and decisions only. */
  imageId?: string;
  name?: string;
  state?: string;
  tags: Record<string, string>;
  /** The data source's most_recent argument (true: the newest matching image wins at every plan). */
  mostRecent?: boolean;
  /** The same facts for display. */
  shown: { imageId?: string; name?: string; creationDate?: string; state?: string; tags: Record<string, string> };
}

/** The AMI argument of a NAT instance or launch template change. */
export interface NatAmiFacts {
  /** `ami` (aws_instance) or `image_id` (aws_launch_template). */
  attribute: 'ami' | 'image_id';
  /** The value on each side (matching only); undefined when absent or unknown. */
  before?: string;
  after?: string;
  /** The after side's value is known only after apply. */
  afterUnknown: boolean;
  /** Does the resource launch from another image: replace_paths names it, it is unknown, or both sides differ? */
  changes: boolean;
  /**
   * Where the after side's value comes from: 'data-source' (an aws_ami data source, `image`), 'configuration' (a
   * constant or an expression this plan does not trace to an image), or 'unknown' (no configuration in the plan).
   */
  origin: 'data-source' | 'configuration' | 'unknown';
  image?: NatImage;
}

const ATTRIBUTE: Record<string, 'ami' | 'image_id'> = { aws_instance: 'ami', aws_launch_template: 'image_id' };

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function tagsOf(r: PriorResource, shown: boolean): Record<string, string> {
  const raw = priorRaw(r, ['tags']);
  const out: Record<string, string> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const value = shown ? priorShown(r, ['tags', k]) : str(v);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

/** The image an aws_ami prior_state instance describes. */
function imageOf(r: PriorResource): NatImage {
  const fields = { imageId: ['image_id'], name: ['name'], state: ['state'] } as const;
  const image: NatImage = { source: r.address, read: 'plan', tags: tagsOf(r, false), shown: { tags: tagsOf(r, true) } };
  for (const [k, path] of Object.entries(fields) as [keyof typeof fields, readonly string[]][]) {
    const v = str(priorRaw(r, path));
    if (v !== undefined) image[k] = v;
  }
  if (image.imageId === undefined && str(priorRaw(r, ['id']))) image.imageId = str(priorRaw(r, ['id']));
  const mostRecent = priorRaw(r, ['most_recent']);
  if (typeof mostRecent === 'boolean') image.mostRecent = mostRecent;
  const shown = {
    imageId: priorShown(r, ['image_id']) ?? priorShown(r, ['id']),
    name: priorShown(r, ['name']),
    creationDate: priorShown(r, ['creation_date']),
    state: priorShown(r, ['state']),
  };
  for (const [k, v] of Object.entries(shown) as [keyof typeof shown, string | undefined][])
    if (v !== undefined) image.shown[k] = v as never;
  return image;
}

/** The module instance a change sits in, as the prefix of addresses inside it ('' at the root). */
function modulePrefix(rc: ResourceChange): string {
  return rc.module_address ? `${rc.module_address}.` : '';
}

/**
 * The aws_ami data source instance the argument references in configuration: terraform lists the references most
 * specific first (data.aws_ami.x[0].id, data.aws_ami.x[0], data.aws_ami.x); an unkeyed reference (data.aws_ami.x
 * with count.index) resolves to the one instance, or to the one whose image is the planned value.
 */
function referencedSource(
  rc: ResourceChange,
  sections: PlanSections,
  attribute: string,
  changes: readonly ResourceChange[],
): { address: string; prior?: PriorResource; read?: ResourceChange } | undefined {
  const refs = argumentReferences(configOf(sections, rc), attribute).filter((r) => r.startsWith('data.aws_ami.'));
  if (refs.length === 0) return undefined;
  const prefix = modulePrefix(rc);
  const keyed = refs.map((r) => /^data\.aws_ami\.[^.[\]]+(\[[^\]]+\])?/.exec(r)?.[0]).find((r) => r?.includes('['));
  const base = `${prefix}${withoutKeys(refs[refs.length - 1] as string).replace(/\.(id|image_id)$/, '')}`;
  const candidates = sections.priorState.filter((p) =>
    keyed ? p.address === `${prefix}${keyed}` : withoutKeys(p.address) === withoutKeys(base),
  );
  const after = rawString(rc, 'after', [attribute]);
  const prior =
    candidates.length === 1
      ? candidates[0]
      : candidates.find((p) => after !== undefined && str(priorRaw(p, ['image_id'])) === after);
  const address = prior?.address ?? (keyed ? `${prefix}${keyed}` : base);
  const read = changes.find((c) => c.mode === 'data' && c.address === address);
  return { address, ...(prior ? { prior } : {}), ...(read ? { read } : {}) };
}

/**
 * The AMI facts of a NAT instance (aws_instance) or launch template (aws_launch_template) change; undefined for any
 * other type. `changes` are the plan's resource changes (for data sources read during apply), `sections` its
 * prior_state and configuration (plan/sections.ts; without them the origin is 'unknown' unless the planned value is
 * a data source's image).
 */
export function natAmiOf(
  rc: ResourceChange,
  sections: PlanSections,
  changes: readonly ResourceChange[] = [],
): NatAmiFacts | undefined {
  const attribute = ATTRIBUTE[rc.type];
  if (!attribute) return undefined;
  const [before, after] = [rawString(rc, 'before', [attribute]), rawString(rc, 'after', [attribute])];
  const afterUnknown = unknownAt(rc, [attribute]);
  const facts: NatAmiFacts = {
    attribute,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    afterUnknown,
    changes: replacePaths(rc).includes(attribute) || afterUnknown || (!!before && !!after && before !== after),
    origin: 'unknown',
  };
  const ref = referencedSource(rc, sections, attribute, changes);
  const byValue = after
    ? sections.priorState.find((p) => p.type === 'aws_ami' && str(priorRaw(p, ['image_id'])) === after)
    : undefined;
  // A data source read during apply has no values yet (an older read in prior_state is not what will launch).
  if (ref && (ref.read || (!ref.prior && afterUnknown))) {
    const image: NatImage = { source: ref.address, read: 'apply', tags: {}, shown: { tags: {} } };
    return { ...facts, origin: 'data-source', image };
  }
  const prior = ref?.prior ?? byValue;
  if (prior) return { ...facts, origin: 'data-source', image: imageOf(prior) };
  return { ...facts, origin: setsArgument(configOf(sections, rc), attribute) ? 'configuration' : 'unknown' };
}

/** The AMI argument's value on `side`, for display. */
export function shownAmiValue(rc: ResourceChange, side: Side): string | undefined {
  const attribute = ATTRIBUTE[rc.type];
  return attribute ? shownValue(rc, side, [attribute]) : undefined;
}
