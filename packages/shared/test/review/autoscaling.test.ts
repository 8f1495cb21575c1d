import { describe, expect, it } from '@jest/globals';
import { classifyChanges } from '@nat-egress/shared/review';
import { launchTemplateOrGroup } from '../../src/review/rules/autoscaling';
import { findingsOf, kinds } from '../support/review';
import { asgEniNat, topologies } from '../support/topology-plans';

type Obj = Record<string, unknown>;

/** The launch template, or the Auto Scaling group, of the fck-nat module in AZ 0 with this plan action. */
const part = (type: string, actions: string[]) => {
  const rc = asgEniNat(0, actions).find((c) => c.type === type);
  if (!rc) throw new Error(type);
  return rc;
};

describe('rules/autoscaling: NAT launch templates and Auto Scaling groups', () => {
  it('a new image in the launch template is medium, with both images', () => {
    const f = findingsOf([launchTemplateOrGroup], topologies.asgImageChange(1));
    expect(kinds(f)).toEqual(['medium:nat-launch-template-image-changed']);
    expect(f[0]?.title).toBe('NAT launch template image changed (ami-0fck1 → ami-0fck2)');
    expect(f[0]?.action).toContain('start-instance-refresh');
  });

  it('a launch template deleted claims the group of its key: high (and the group is worded too)', () => {
    const f = findingsOf(
      [launchTemplateOrGroup],
      [part('aws_launch_template', ['delete']), part('aws_autoscaling_group', ['delete'])],
    );
    // The group was selected when the rule's turn came, so it still gets its own finding (claim.ts).
    expect(kinds(f)).toEqual(['high:nat-launch-template-deleted', 'high:nat-asg-deleted']);
    expect(f[1]?.addresses).toEqual(['module.fck_nat["us-east-1a"].aws_autoscaling_group.main[0]']);
    expect(f[0]?.title).toBe('NAT launch template deleted');
    expect(f[0]?.addresses).toEqual([
      'module.fck_nat["us-east-1a"].aws_launch_template.main',
      'module.fck_nat["us-east-1a"].aws_autoscaling_group.main[0]',
    ]);
    expect(f[0]?.why).toContain('the group can no longer launch its NAT instance');
  });

  it('a group updated is medium; tags only low; a created one is left to capacity', () => {
    const group = part('aws_autoscaling_group', ['update']);
    group.change.after = { ...(group.change.before as Obj), desired_capacity: 2 };
    const tagged = part('aws_launch_template', ['update']);
    tagged.change.after = { ...(tagged.change.before as Obj), tags: { a: 'b' } };
    tagged.change.after_unknown = {};
    const f = findingsOf([launchTemplateOrGroup], [group, tagged, part('aws_autoscaling_group', ['create'])]);
    expect(kinds(f)).toEqual(['medium:nat-asg-changed', 'low:nat-tags-changed']);
    expect(f[0]?.title).toBe('NAT Auto Scaling group updated (desired_capacity)');
    expect(f[1]?.title).toBe('NAT launch template: tags only');
    expect(kinds(classifyChanges([part('aws_autoscaling_group', ['create'])]).findings)).toEqual([
      'low:nat-capacity-added',
    ]);
  });
});
