import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysePlan } from '@nat-egress/shared/review';
import { REPO_ROOT } from '../support/action-runner';

const EXAMPLES = [
  'gateway-to-instance',
  'instance-to-gateway',
  'ami-adoption',
  'ami-adoption-untested',
  'quiesce-down',
  'eip-destroyed',
  'unrelated-only',
  'gateway-az-move',
  'subnet-az-move',
];

describe('bundled example plans (examples/plans)', () => {
  it.each(EXAMPLES)(
    '%s.json was written by real terraform from the rehearsal module (node scripts/run-ts.mjs scripts/gen-examples.ts)',
    (name) => {
      const plan = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'plans', `${name}.json`), 'utf8')) as {
        terraform_version?: string;
        format_version?: string;
        configuration?: { root_module?: { module_calls?: Record<string, { source?: string }> } };
        resource_changes?: Array<{ address: string; provider_name?: string }>;
      };
      expect(plan.terraform_version).toMatch(/^\d+\.\d+\.\d+/);
      expect(plan.format_version).toMatch(/^1\./);
      expect(plan.configuration?.root_module?.module_calls?.vpc?.source).toBe('./modules/vpc');
      expect(
        plan.resource_changes?.some(
          (rc) =>
            rc.address.startsWith('module.vpc.aws_eip.nat_eip[') &&
            rc.provider_name === 'registry.terraform.io/hashicorp/aws',
        ),
      ).toBe(true);
    },
  );

  it.each([
    ['gateway-to-instance', 'high', 'gateway-to-instance', 2],
    ['instance-to-gateway', 'high', 'instance-to-gateway', 1],
    ['ami-adoption', 'high', 'none', 1],
    ['ami-adoption-untested', 'critical', 'none', 1],
    ['gateway-az-move', 'high', 'none', 2],
    ['subnet-az-move', 'high', 'none', 2],
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
