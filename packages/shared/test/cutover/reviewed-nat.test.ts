/**
 * cutover/reviewed-nat.ts: what the reviewed plan does to the NAT, read through the nat/ model only. The figures
 * the preflight derives (mode switch, expected applies, the takers expected to fail, the NAT instances launched)
 * are plan-guard's for the same plan (review's classifyChanges, which builds the same model with its own keys):
 * checked on every NAT topology the test plans have, the bundled example plans and the fixtures corpus.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isNatCandidate } from '@nat-egress/shared/nat';
import { loadPlanFile, type ResourceChange } from '@nat-egress/shared/plan';
import { classifyChanges } from '@nat-egress/shared/review';
import { expectedApplies, reviewedNat } from '../../src/cutover/reviewed-nat';
import { REPO_ROOT } from '../support/action-runner';
import { cabal, change, scenarios } from '../support/plans';
import { alloc, regionalGateway, topologies, zonalGateway } from '../support/topology-plans';

const M = 'module.vpc';
const sizes = [1, 2, 3];

/** Every scenario and topology of the test plans, at 1 to 3 AZs. */
function testPlans(): [string, ResourceChange[]][] {
  const plans: [string, ResourceChange[]][] = [];
  for (const [name, plan] of Object.entries(scenarios))
    for (const n of sizes) plans.push([`${name}(${n})`, (plan as (n: number) => ResourceChange[])(n)]);
  for (const [name, plan] of Object.entries(topologies))
    for (const n of sizes) plans.push([`${name}(${n})`, (plan as (n: number) => ResourceChange[])(n)]);
  plans.push(['amiAdoption(2, create-before-destroy)', scenarios.amiAdoption(2, true)]);
  plans.push(['zonalToRegionalAutomatic(3, EIPs destroyed)', topologies.zonalToRegionalAutomatic(3, true)]);
  return plans;
}

/** The NAT changes of each plan file under `dir` that loads (as the cutover's readPlan keeps them). */
async function planFiles(dir: string): Promise<[string, ResourceChange[]][]> {
  if (!existsSync(dir)) return [];
  const plans: [string, ResourceChange[]][] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
    try {
      const loaded = await loadPlanFile(join(entry.parentPath, entry.name), { keep: isNatCandidate });
      plans.push([entry.name, loaded.documents.flatMap((d) => d.changes)]);
    } catch {
      // not a plan (errored or unreadable fixtures are the loader's tests)
    }
  }
  return plans;
}

/** What plan-guard says about the same plan, in the preflight's terms. */
function planGuard(changes: ResourceChange[]) {
  const a = classifyChanges(changes);
  return {
    modeSwitch: a.modeSwitch,
    expectedApplies: a.expectedApplies,
    expectedFailures: a.expectedFailures,
    launched: a.natInstancesCreated,
  };
}

function figures(changes: ResourceChange[]) {
  const nat = reviewedNat(changes);
  return {
    modeSwitch: nat.modeSwitch,
    expectedApplies: nat.expectedApplies,
    expectedFailures: nat.expectedFailures,
    launched: nat.launched.map((l) => l.address),
  };
}

describe("the preflight's NAT figures are plan-guard's", () => {
  it.each(testPlans())('%s', (_name, changes) => {
    expect(figures(changes)).toEqual(planGuard(changes));
  });

  it('the example plans and the fixtures corpus', async () => {
    const plans = [
      ...(await planFiles(join(REPO_ROOT, 'examples', 'plans'))),
      ...(await planFiles(join(REPO_ROOT, '..', 'shared', 'fixtures'))),
    ];
    expect(plans.length).toBeGreaterThanOrEqual(6);
    for (const [name, changes] of plans) expect({ name, ...figures(changes) }).toEqual({ name, ...planGuard(changes) });
  });
});

describe('reviewedNat', () => {
  it('a gateway → instance switch: two applies, the associations fail first, the contested allocations', () => {
    const nat = reviewedNat(scenarios.gatewayToInstance(2));
    expect(nat.modeSwitch).toBe('gateway-to-instance');
    expect([nat.expectedApplies, nat.expectedFailures, nat.contested]).toEqual([
      2,
      [`${M}.aws_eip_association.nat[0]`, `${M}.aws_eip_association.nat[1]`],
      ['eipalloc-00a1b2c3d4e5f6a7b8', 'eipalloc-01a1b2c3d4e5f6a7b8'],
    ]);
    expect(nat.launched.map((l) => [l.address, l.ami])).toEqual([
      [`${M}.aws_instance.nat[0]`, 'ami-0aaa1111bbbb22223'],
      [`${M}.aws_instance.nat[1]`, 'ami-0aaa1111bbbb22223'],
    ]);
  });

  it('an AMI adoption launches instances from the new AMI; an AMI known only after apply is left out', () => {
    expect(reviewedNat(scenarios.amiAdoption(1)).launched.map((l) => l.ami)).toEqual(['ami-0ccc3333dddd44445']);
    const unknown = change(
      `${M}.aws_instance.nat[0]`,
      ['create'],
      null,
      { source_dest_check: false, ami: null },
      {
        after_unknown: { ami: true },
      },
    );
    expect(reviewedNat([unknown]).launched).toEqual([{ address: unknown.address, rc: unknown }]);
  });

  it('contested: only the allocations a deleting gateway holds (a regional taker with a fresh zone as well)', () => {
    const plan = [zonalGateway(0, ['delete']), regionalGateway(['create'], [0, 1])];
    expect(expectedApplies(plan)).toEqual({ applies: 2, contested: [alloc(0)] });
    expect(reviewedNat(plan).modeSwitch).toBe('gateway-to-regional-gateway');
  });

  it('no NAT change: one apply, nothing contested, nothing launched', () => {
    const nat = reviewedNat([...scenarios.unrelatedOnly(), cabal.smtpRecord()]);
    expect([nat.modeSwitch, nat.expectedApplies, nat.contested, nat.launched]).toEqual(['none', 1, [], []]);
    expect(nat.roles.size).toBe(0);
  });
});
