/**
 * plan-guard's report when cutover will bridge the plan (strategy auto, two AZs): the address race is met per AZ
 * NAT step, so the facts say so instead of "expected to fail in apply 1"; the `expected-applies` output (a
 * contract) keeps its value. The same plan with strategy in-place keeps the one-apply wording.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { REPO_ROOT, runAction } from '../support/action-runner';

const PLAN = join(REPO_ROOT, 'examples', 'plans', 'gateway-to-instance.json');
const run = (strategy: string) =>
  runAction('plan-guard', {
    'plan-json': PLAN,
    environment: 'prod',
    comment: 'never',
    'fail-on': 'critical',
    strategy,
  });

describe('plan-guard facts: per AZ NAT step when bridged, per apply in place', () => {
  it('strategy auto (bridged): applies per AZ NAT step, the takers may fail in their AZ step', async () => {
    const r = await run('auto');
    expect(r.code).toBe(0);
    expect([r.outputs.strategy, r.outputs['expected-applies']]).toEqual(['bridge', '2']);
    expect(r.summary).toContain('**Expected applies:** 2 per AZ NAT step');
    expect(r.summary).toContain(
      "**May fail in its AZ's NAT step (restored behind its bridge):** `module.vpc.aws_eip_association.nat[0]`",
    );
    expect(r.summary).not.toContain('Expected to fail in apply 1');
    expect(r.summary).not.toContain('The first apply is expected to fail');
  });

  it('strategy in-place: two applies of the plan, the first expected to fail', async () => {
    const r = await run('in-place');
    expect([r.outputs.strategy, r.outputs['expected-applies']]).toEqual(['in-place', '2']);
    expect(r.summary).toMatch(/\*\*Expected applies:\*\* 2 ·/);
    expect(r.summary).toContain('**Expected to fail in apply 1:** `module.vpc.aws_eip_association.nat[0]`');
    expect(r.summary).toContain('The first apply is expected to fail at');
  });
});
