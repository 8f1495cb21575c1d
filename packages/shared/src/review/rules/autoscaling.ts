/**
 * NAT instances run by an Auto Scaling group behind a network interface (fck-nat's HA mode): the launch template
 * and the group. Their creation is capacity (rules/capacity.ts); this is their change, replacement and deletion.
 */
import { shownImageId } from '../../nat/index';
import { amiVerdict, imageLabel, originText, testedText, untestedAction, untestedText } from '../ami-text';
import type { ItemRule, Unclaimed } from '../claim';
import { tagsOnly, type ReviewContext } from '../context';
import { MAINTENANCE, ROLLBACK, tagsOnlyDraft, verb } from '../text';
import type { Draft, Item } from '../types';

function imageChanged(it: Item, ctx: ReviewContext): Draft {
  const [a, b] = [shownImageId(it.rc, 'before'), shownImageId(it.rc, 'after')];
  const facts = ctx.amiOf(it);
  const verdict = amiVerdict(facts, ctx.ami);
  const origin = originText(it.rc, facts);
  if (verdict.kind === 'untested')
    return {
      severity: 'critical',
      kind: 'nat-ami-untested',
      title: `Untested NAT AMI: NAT launch template would launch ${imageLabel(verdict.image)}`,
      group: [it],
      why:
        `${it.rc.address} gets the image ${untestedText(verdict.image, verdict.problems, ctx.ami)} ` +
        `${origin ? `${origin} ` : ''}The Auto Scaling group launches it at its next instance replacement.`,
      action: untestedAction(verdict.image, ctx.ami),
    };
  const tested = verdict.kind === 'tested' ? ` ${testedText(verdict.image, ctx.ami)}` : '';
  return {
    severity: 'medium',
    kind: 'nat-launch-template-image-changed',
    title: `NAT launch template image changed${a && b ? ` (${a} → ${b})` : ''}`,
    group: [it],
    why:
      `${it.rc.address} gets a new image: the running NAT instance keeps the old one; the new image takes effect ` +
      'when the Auto Scaling group next replaces its instance, and that replacement is an egress gap while the ' +
      `interface moves to the new instance.${tested}${origin ? ` ${origin}` : ''}`,
    action:
      'Roll it in a maintenance window: start an instance refresh (aws autoscaling start-instance-refresh) or ' +
      'terminate the NAT instance, one AZ at a time, and run verify-egress after each.',
  };
}

function gone(it: Item, free: Unclaimed): Draft {
  const template = it.rc.type === 'aws_launch_template';
  const effect = template
    ? 'the group can no longer launch its NAT instance'
    : 'the group terminates its NAT instance, so the interface has nothing behind it';
  return {
    severity: 'high',
    kind: template ? 'nat-launch-template-deleted' : 'nat-asg-deleted',
    title: `NAT ${template ? 'launch template' : 'Auto Scaling group'} ${verb(it.kind)}`,
    group: [it, ...free.sameKey(it, (o) => o.role === 'asg')],
    why:
      `${it.rc.address} is ${it.kind === 'delete' ? 'destroyed' : 'destroyed and re-created'}: ${effect} ` +
      'and egress through it stops.',
    action: `${MAINTENANCE} ${ROLLBACK}`,
  };
}

function updated(it: Item): Draft {
  const template = it.rc.type === 'aws_launch_template';
  const effect = template
    ? 'it takes effect when the group next launches an instance'
    : 'a capacity or launch change can replace the NAT instance';
  return {
    severity: 'medium',
    kind: 'nat-asg-changed',
    title: `NAT ${template ? 'launch template' : 'Auto Scaling group'} updated (${it.changed.join(', ')})`,
    group: [it],
    why: `${it.rc.address} changes (${it.changed.join(', ')}); ${effect}.`,
    action: 'Review the change; roll it in a maintenance window and run verify-egress after.',
  };
}

/**
 * A NAT launch template or Auto Scaling group: a new image, deleted or replaced (with the key's other template or
 * group), tags only, or updated. Created ones are left to capacity.
 */
export const launchTemplateOrGroup: ItemRule = {
  over: 'item',
  name: 'launch-template-or-group',
  selects: (i) => i.role === 'asg',
  review: (it, ctx, free) => {
    const template = it.rc.type === 'aws_launch_template';
    if (template && it.kind === 'update' && it.changed.includes('image_id')) return imageChanged(it, ctx);
    if (it.kind === 'delete' || it.kind === 'replace') return gone(it, free);
    if (tagsOnly(it)) return tagsOnlyDraft(it, `NAT ${template ? 'launch template' : 'Auto Scaling group'}`);
    return it.kind === 'update' ? updated(it) : undefined;
  },
};
