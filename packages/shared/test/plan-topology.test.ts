import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analysePlan, classifyChanges, type Finding } from '@nat-egress/shared/plan';
import { REPO_ROOT } from './support/action-runner';

const REPORTED = join(REPO_ROOT, '..', 'shared', 'fixtures', 'reported');
const kinds = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.kind}`);

async function analyse(path: string) {
  return analysePlan({ planJson: path, terraform: 'terraform', workingDirectory: REPO_ROOT, failOn: 'critical', environment: 'prod', tempDir: REPO_ROOT });
}

describe('reported: gateway-to-asg-eni-nat.json', () => {
  const file = join(REPORTED, 'gateway-to-asg-eni-nat.json');
  const present = existsSync(file);
  (present ? it : it.skip)('is a gateway → instance switch that needs two applies and names the associations that fail', async () => {
    const r = await analyse(file);
    expect(r.modeSwitch).toBe('gateway-to-instance');
    expect(r.expectedApplies).toBe(2);
    expect(r.expectedFailures).toEqual(['aws_eip_association.fck_nat["us-east-1a"]', 'aws_eip_association.fck_nat["us-east-1b"]']);
    expect(kinds(r.findings)).toEqual(['high:mode-switch']);
    expect(r.findings[0]?.why).toContain('AuthFailure');
    expect(r.findings[0]?.addresses).toEqual(expect.arrayContaining(['module.vpc.aws_nat_gateway.this[0]', 'module.fck_nat["us-east-1b"].aws_network_interface.main', 'module.fck_nat["us-east-1a"].aws_autoscaling_group.main[0]']));
  });
  if (!present) it('skipped: corpus not present', () => expect(present).toBe(false));
});
