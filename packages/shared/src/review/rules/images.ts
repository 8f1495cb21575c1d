/**
 * The AMI a NAT would launch, where no per-resource finding already says it: NAT instances and launch templates
 * the plan creates (a mode switch to instances, a new AZ, a new Auto Scaling NAT) from an image that is not tested
 * (ami/criteria.ts). Replaced instances and launch templates given a new image are judged in their own findings
 * (rules/nat-resources.ts, rules/autoscaling.ts).
 */
import type { PlanRule } from '../claim';
import type { ReviewContext } from '../context';
import { amiVerdict, imageLabel, untestedAction, untestedText } from '../ami-text';
import type { Draft, Item } from '../types';

/** NAT instances and launch templates the plan creates. */
export function launchedByCreate(ctx: ReviewContext): Item[] {
  return ctx.items.filter(
    (it) =>
      it.kind === 'create' &&
      ((it.role === 'instance' && it.rc.type === 'aws_instance') ||
        (it.role === 'asg' && it.rc.type === 'aws_launch_template')),
  );
}

/** One critical finding per untested image that created NAT instances or launch templates would launch. */
export const untestedAmiLaunched: PlanRule = {
  over: 'plan',
  name: 'untested-ami-launched',
  review: (ctx) => {
    const byImage = new Map<string, { items: Item[]; verdict: ReturnType<typeof amiVerdict> }>();
    for (const it of launchedByCreate(ctx)) {
      const verdict = amiVerdict(ctx.amiOf(it), ctx.ami);
      if (verdict.kind !== 'untested') continue;
      const key = `${verdict.image.source}|${verdict.image.imageId ?? ''}`;
      const entry = byImage.get(key) ?? byImage.set(key, { items: [], verdict }).get(key)!;
      entry.items.push(it);
    }
    const drafts: Draft[] = [];
    for (const { items, verdict } of byImage.values()) {
      if (verdict.kind !== 'untested') continue;
      const addresses = items.map((i) => i.rc.address);
      drafts.push({
        severity: 'critical',
        kind: 'nat-ami-untested',
        title: `Untested NAT AMI: ${addresses.length} new NAT resource(s) would launch ${imageLabel(verdict.image)}`,
        group: items,
        why:
          `${addresses.join(', ')} ${addresses.length === 1 ? 'is' : 'are'} created to launch ` +
          `${untestedText(verdict.image, verdict.problems, ctx.ami)} A NAT instance from it may come up forwarding ` +
          'without SNAT: the private subnets it serves would lose egress.',
        action: untestedAction(verdict.image, ctx.ami),
      });
    }
    return drafts;
  },
};
