import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePlan } from '@nat-egress/shared/plan';
import { REPO_ROOT } from './support/action-runner';
import { examplePlans } from './support/examples';

describe('bundled example plans (examples/plans)', () => {
  const plans = examplePlans();

  it.each(Object.keys(plans))('%s.json is what the generator writes (node scripts/run-ts.mjs scripts/gen-examples.ts)', (name) => {
    const committed = readFileSync(join(REPO_ROOT, 'examples', 'plans', `${name}.json`), 'utf8');
    expect(committed).toBe(`${JSON.stringify(plans[name], null, 2)}\n`);
  });

  it.each([
    ['gateway-to-instance', 'high', 'gateway-to-instance', 2],
    ['instance-to-gateway', 'high', 'instance-to-gateway', 1],
    ['ami-adoption', 'high', 'none', 1],
    ['quiesce-down', 'high', 'none', 1],
    ['eip-destroyed', 'critical', 'none', 1],
    ['unrelated-only', 'none', 'none', 1],
  ])('%s → risk %s, mode switch %s, %d apply(ies)', async (name, risk, modeSwitch, applies) => {
    const result = await analysePlan({
      planJson: join(REPO_ROOT, 'examples', 'plans', `${name}.json`),
      terraform: 'terraform',
      workingDirectory: REPO_ROOT,
      failOn: 'critical',
      environment: 'prod',
      tempDir: REPO_ROOT,
    });
    expect(result.risk).toBe(risk);
    expect(result.modeSwitch).toBe(modeSwitch);
    expect(result.expectedApplies).toBe(applies);
    expect(result.failed).toBe(risk === 'critical');
  });
});
