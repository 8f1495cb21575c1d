/**
 * The AMI a NAT would launch, read from the plan itself (nat/ami.ts over prior_state and configuration): plans
 * written by real terraform from the rehearsal module (examples/plans: a tested newer image adopted; an untagged
 * newer image picked by a lookup without the tag filter; the gateway → instance switch), and hand-written ones for
 * what the local provider cannot plan here (launch templates, a lookup read only during apply, a variable).
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { natAmiOf } from '@nat-egress/shared/nat';
import { analysePlan, classifyChanges, type Finding } from '@nat-egress/shared/review';
import { REPO_ROOT } from '../support/action-runner';
import { cabal, change, scenarios } from '../support/plans';
import { amiRead, referencing, sections } from '../support/sections';
import { topologies } from '../support/topology-plans';

const example = (name: string) => join(REPO_ROOT, 'examples', 'plans', `${name}.json`);

async function review(name: string, ami?: { namePattern: string; requiredTags: { key: string; value: string }[] }) {
  return analysePlan({
    planJson: example(name),
    terraform: 'terraform',
    workingDirectory: REPO_ROOT,
    failOn: 'critical',
    environment: 'prod',
    tempDir: REPO_ROOT,
    ...(ami ? { ami } : {}),
  });
}

const byKind = (findings: readonly Finding[], kind: string) => findings.filter((f) => f.kind === kind);
const DATA = 'module.vpc.data.aws_ami.custom_nat[0]';

describe('real terraform plans: the adopted AMI, as the plan read it', () => {
  it('an untagged newer image picked by the lookup is critical "untested AMI", per AZ, with build-nat-ami to run', async () => {
    const r = await review('ami-adoption-untested');
    expect(r.risk).toBe('critical');
    expect(r.failed).toBe(true);
    const untested = byKind(r.findings, 'nat-ami-untested');
    expect(untested.map((f) => [f.severity, f.keys])).toEqual([
      ['critical', ['0']],
      ['critical', ['1']],
    ]);
    const f = untested[0]!;
    expect(f.title).toMatch(
      /^Untested NAT AMI: NAT instance replaced to launch cabal-nat-al2023-2026-11-20 \(ami-\w+\)$/,
    );
    expect(f.why).toMatch(/cabal-nat-al2023-2026-11-20 \(ami-\w+, created \d{4}-\d\d-\d\dT[\d:.]+Z; no tags\)/);
    expect(f.why).toContain('which lacks tag Role=cabal-nat');
    expect(f.why).toContain(`No configuration change picks it: ami comes from ${DATA} (most_recent = true)`);
    expect(f.action).toMatch(/^Do not apply\. Run build-nat-ami/);
    expect(f.action).toContain('aws ec2 deregister-image --image-id ami-');
    expect(f.addresses).toEqual([
      'module.vpc.aws_instance.nat[0]',
      'module.vpc.aws_eip_association.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
  });

  it('a tested newer image keeps its level (high) and says it is tested, with name, id, date, tags', async () => {
    const r = await review('ami-adoption');
    expect(r.risk).toBe('high');
    const adopted = byKind(r.findings, 'nat-ami-adopted');
    expect(adopted).toHaveLength(2);
    const f = adopted[0]!;
    expect(f.severity).toBe('high');
    expect(f.title).toMatch(/^New NAT AMI adopted by its data source: NAT instance replaced \(ami-\w+ → ami-\w+\)$/);
    expect(f.why).toMatch(
      /It launches cabal-nat-al2023-2026-11-15 \(ami-\w+, created [\d-]+T[\d:.]+Z; tags Name=cabal-nat-al2023, Role=cabal-nat\): tested \(it carries Role=cabal-nat\)\./,
    );
    expect(f.why).toContain('No configuration change picks it');
    expect(f.action).not.toContain('Confirm the AMI passed its tests');
  });

  it('the same tested image is untested under other criteria (the ami-name-pattern and required-tags inputs)', async () => {
    const tag = await review('ami-adoption', {
      namePattern: 'cabal-nat-al2023-*',
      requiredTags: [{ key: 'Role', value: 'nat-v2' }],
    });
    expect(byKind(tag.findings, 'nat-ami-untested')[0]?.why).toContain('has tag Role=cabal-nat, not Role=nat-v2');
    const name = await review('ami-adoption', { namePattern: 'other-*', requiredTags: [] });
    expect(byKind(name.findings, 'nat-ami-untested')[0]?.why).toContain('has a name that does not match other-*');
  });

  it('a switch to instances says which image the new instances launch, and that it is tested', async () => {
    const r = await review('gateway-to-instance');
    const f = byKind(r.findings, 'mode-switch')[0]!;
    expect(f.why).toMatch(
      /The new NAT instances launch cabal-nat-al2023-2026-11-01 \(ami-\w+, .*\): tested \(Role=cabal-nat\)\./,
    );
    expect(r.findings.some((x) => x.kind === 'nat-ami-untested')).toBe(false);
  });
});

describe('hand-written plans: launch templates, creates, reads during apply, variables', () => {
  const untagged = { imageId: 'ami-0ccc3333dddd44445', name: 'cabal-nat-al2023-2026-12-01', tags: {} };

  it('a gateway → instance switch onto an untagged image: one critical finding for every instance, the switch says so', () => {
    const plan = scenarios.gatewayToInstance(2);
    const s = sections(
      [amiRead(DATA, { ...untagged, imageId: 'ami-0aaa1111bbbb22223' })],
      [referencing('module.vpc.aws_instance.nat', 'ami', 'data.aws_ami.custom_nat[0]')],
    );
    const a = classifyChanges(plan, { sections: s });
    expect(a.risk).toBe('critical');
    const untested = byKind(a.findings, 'nat-ami-untested');
    expect(untested).toHaveLength(1);
    expect(untested[0]!.title).toBe(
      'Untested NAT AMI: 2 new NAT resource(s) would launch cabal-nat-al2023-2026-12-01 (ami-0aaa1111bbbb22223)',
    );
    expect(untested[0]!.addresses).toEqual(['module.vpc.aws_instance.nat[0]', 'module.vpc.aws_instance.nat[1]']);
    expect(byKind(a.findings, 'mode-switch')[0]!.why).toContain('would launch an untested image');
  });

  it("without image facts, the switch and the adoption ask for a tested AMI under the operator's criteria", () => {
    const ami = { namePattern: 'corp-nat-*', requiredTags: [{ key: 'Stage', value: 'passed' }] };
    const sw = classifyChanges(scenarios.gatewayToInstance(1), { ami });
    expect(byKind(sw.findings, 'mode-switch')[0]!.action).toContain(
      'A tested corp-nat-* AMI tagged Stage=passed must exist first (build-nat-ami).',
    );
    const adopted = classifyChanges(scenarios.amiAdoption(1), { ami });
    expect(byKind(adopted.findings, 'nat-ami-adopted')[0]!.action).toContain(
      'Confirm the AMI passed its tests (tag Stage=passed; build-nat-ami checks it).',
    );
  });

  it('a launch template given an untagged image is critical; a tagged one stays medium and says tested', () => {
    const plan = topologies.asgImageChange(1);
    const template = plan.find((c) => c.type === 'aws_launch_template')!;
    const config = referencing('module.fck_nat.aws_launch_template.main', 'image_id', 'data.aws_ami.fck_nat');
    const read = (tags: Record<string, string>) =>
      amiRead('module.fck_nat["us-east-1a"].data.aws_ami.fck_nat', {
        imageId: 'ami-0fck2',
        name: 'cabal-nat-al2023-x',
        tags,
      });
    const bad = classifyChanges(plan, { sections: sections([read({})], [config]) });
    expect(byKind(bad.findings, 'nat-ami-untested').map((f) => [f.severity, f.addresses])).toEqual([
      ['critical', [template.address]],
    ]);
    const good = classifyChanges(plan, { sections: sections([read({ Role: 'cabal-nat' })], [config]) });
    const f = byKind(good.findings, 'nat-launch-template-image-changed')[0]!;
    expect(f.severity).toBe('medium');
    expect(f.why).toContain('tested (it carries Role=cabal-nat)');
  });

  it("a lookup read only during apply: the image is not known at review, today's wording stays", () => {
    const plan = [
      ...scenarios.amiAdoption(1).map((c) => {
        if (c.type !== 'aws_instance') return c;
        return {
          ...c,
          change: {
            ...c.change,
            after: { ...(c.change.after as object), ami: null },
            after_unknown: { ami: true, id: true },
          },
        };
      }),
      change(DATA, ['read'], null, { id: null }, { mode: 'data', after_unknown: { id: true, image_id: true } }),
    ];
    const s = sections([], [referencing('module.vpc.aws_instance.nat', 'ami', 'data.aws_ami.custom_nat[0]')]);
    const facts = natAmiOf(plan[0]!, s, plan);
    expect(facts?.image).toMatchObject({ source: DATA, read: 'apply' });
    const f = byKind(classifyChanges(plan, { sections: s }).findings, 'nat-ami-adopted')[0]!;
    expect(f.severity).toBe('high');
    expect(f.action).toContain('Confirm the AMI passed its tests');
    expect(f.why).toContain(`${DATA} is read only during apply`);
  });

  it('an ami passed through a module variable is traced to the data source by its image id', () => {
    const plan = scenarios.amiAdoption(1);
    const s = sections(
      [amiRead('data.aws_ami.nat', { ...untagged })],
      [
        {
          ...referencing('module.vpc.aws_instance.nat', 'ami', null),
          expressions: { ami: { references: ['var.ami_id'] } },
        },
      ],
    );
    const facts = natAmiOf(plan[0]!, s, plan);
    expect([facts?.origin, facts?.image?.source]).toEqual(['data-source', 'data.aws_ami.nat']);
    expect(classifyChanges(plan, { sections: s }).risk).toBe('critical');
  });

  it('a literal ami in configuration is a configuration change; without sections nothing is claimed about tests', () => {
    const plan = scenarios.amiAdoption(1);
    const literal = sections([], [referencing('module.vpc.aws_instance.nat', 'ami', null)]);
    expect(natAmiOf(plan[0]!, literal, plan)?.origin).toBe('configuration');
    expect(byKind(classifyChanges(plan, { sections: literal }).findings, 'nat-ami-adopted')[0]!.why).toContain(
      'The configuration sets the new ami.',
    );
    const bare = byKind(classifyChanges(plan).findings, 'nat-ami-adopted')[0]!;
    expect(bare.action).toContain('Confirm the AMI passed its tests');
  });

  it('a tag value terraform marks sensitive is shown as (sensitive), and still decides', () => {
    const plan = scenarios.amiAdoption(1);
    const canary = 'CANARY-secret-role';
    const s = sections(
      [
        amiRead(DATA, {
          imageId: 'ami-0ccc3333dddd44445',
          tags: { Role: canary },
          sensitive: { tags: { Role: true } },
        }),
      ],
      [referencing('module.vpc.aws_instance.nat', 'ami', 'data.aws_ami.custom_nat[0]')],
    );
    const a = classifyChanges(plan, { sections: s });
    expect(a.risk).toBe('critical');
    const text = JSON.stringify(a.findings);
    expect(text).not.toContain(canary);
    expect(text).toContain('Role=(sensitive)');
    void cabal;
  });
});
