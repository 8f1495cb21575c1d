/**
 * What NAT instances depend on without carrying traffic: their security groups and IAM, and the Image Builder
 * pipeline that bakes their AMI. Image Builder component and recipe versions are immutable (AWS Image Builder:
 * a content change needs a new version), so a content change that keeps its version fails the apply.
 */
import { rawValue, shownValue } from '../../plan/values';
import type { ItemRule } from '../claim';
import { tagsOnly } from '../context';
import { NO_IMPACT, tagsOnlyDraft, verb } from '../text';
import type { Draft, Item } from '../types';

const IMAGEBUILDER_CONTENT = new Set(['aws_imagebuilder_component', 'aws_imagebuilder_image_recipe']);

/** A NAT security group (or rule, or attachment) or NAT IAM resource: tags only, else any change. */
export const securityOrIam: ItemRule = {
  over: 'item',
  name: 'security-or-iam',
  selects: (i) => i.role === 'security' || i.role === 'iam',
  review: (it) => {
    const security = it.role === 'security';
    const label = security ? 'NAT security group' : 'NAT IAM';
    if (tagsOnly(it)) return tagsOnlyDraft(it, label);
    const effect = security
      ? 'a wrong rule silently blocks forwarded traffic'
      : 'the NAT instances lose or gain permissions (SSM access for mitigation among them)';
    return {
      severity: 'medium',
      kind: security ? 'nat-security-changed' : 'nat-iam-changed',
      title: `${label} ${verb(it.kind)}`,
      group: [it],
      why: `${it.rc.address} is ${verb(it.kind)}${it.changed.length ? ` (${it.changed.join(', ')})` : ''}: ${effect}.`,
      action: 'Review the rules; run verify-egress after the apply.',
    };
  },
};

/** A component or recipe whose content changes: with or without the version bump Image Builder needs. */
function contentChanged(it: Item, name: string): Draft {
  const [vBefore, vAfter] = [shownValue(it.rc, 'before', ['version']), shownValue(it.rc, 'after', ['version'])];
  const same =
    vBefore !== undefined && rawValue(it.rc, 'before', ['version']) === rawValue(it.rc, 'after', ['version']);
  if (same)
    return {
      severity: 'medium',
      kind: 'imagebuilder-version-not-bumped',
      title: `Image Builder ${name} content changed without a version bump`,
      group: [it],
      why:
        `${it.rc.address} changes content but keeps version ${vBefore}: Image Builder versions are immutable, ` +
        'so this apply will fail.',
      action: 'Bump the version in the same change, then plan again.',
    };
  return {
    severity: 'medium',
    kind: 'imagebuilder-content-changed',
    title: `Image Builder ${name} changed`,
    group: [it],
    why:
      `${it.rc.address} changes${vBefore && vAfter ? ` (version ${vBefore} → ${vAfter})` : ''}: ` +
      'the next AMI build bakes the new NAT bootstrap.',
    action: 'Build a new AMI (build-nat-ami) and review its adoption plan before applying it to the NAT instances.',
  };
}

/** A NAT Image Builder resource: content changed, the pipeline deleted, or any other change. */
export const imageBuilder: ItemRule = {
  over: 'item',
  name: 'image-builder',
  selects: (i) => i.role === 'imagebuilder',
  review: (it) => {
    const name = it.rc.type.replace('aws_imagebuilder_', '').replace(/_/g, ' ');
    if (IMAGEBUILDER_CONTENT.has(it.rc.type) && (it.kind === 'update' || it.kind === 'replace'))
      return contentChanged(it, name);
    if (it.kind === 'delete' && it.rc.type === 'aws_imagebuilder_image_pipeline')
      return {
        severity: 'medium',
        kind: 'imagebuilder-pipeline-deleted',
        title: 'NAT AMI pipeline deleted',
        group: [it],
        why: `${it.rc.address} is destroyed: NAT AMIs stop receiving AL2023 security patches.`,
        action: 'Keep build_nat_ami=true unless the environment runs gateways only.',
      };
    return {
      severity: 'low',
      kind: 'imagebuilder-config-changed',
      title: `Image Builder ${name} ${verb(it.kind)}`,
      group: [it],
      why: `${it.rc.address} is ${verb(it.kind)}; running NAT instances are not affected.`,
      action: NO_IMPACT,
    };
  },
};
