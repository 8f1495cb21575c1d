/**
 * The strategy the cutover is told to run: with `strategy: bridge` on a plan that cannot be bridged (nat/bridge.ts
 * bridgePlan: one AZ, a regional gateway, a quiesce, NAT Elastic IPs deleted…), the cutover refuses before changing
 * anything (cutover/strategy.ts), so the plan as reviewed cannot be applied with that input: a critical finding (at
 * the default fail-on), so the check fails at review rather than at apply. It claims no change: the changes keep
 * their own findings.
 */
import { plannedStrategy } from '../../nat/index';
import type { PlanRule } from '../claim';

/** One critical finding when the strategy input is bridge and the plan cannot be bridged. */
export const strategyRefused: PlanRule = {
  over: 'plan',
  name: 'strategy-refused',
  review: (ctx) => {
    if (plannedStrategy(ctx.bridge, ctx.options.strategy ?? 'auto') !== 'refused') return [];
    const why = ctx.bridge.reason ?? 'bridging cannot apply';
    return [
      {
        severity: 'critical',
        kind: 'strategy-refused',
        title: 'strategy: bridge cannot apply to this plan: the cutover will refuse it',
        group: [],
        why:
          `The cutover runs with strategy: bridge and bridging cannot apply here (${why}), so it refuses before ` +
          'changing anything: this plan, as reviewed, will not be applied with that input.',
        action:
          'Set strategy: auto (or in-place) on plan-guard and cutover to apply it in place with the outage the ' +
          'strategy line names, or change the plan so that bridging applies (fix the reason above), then re-run ' +
          'the workflow.',
      },
    ];
  },
};
