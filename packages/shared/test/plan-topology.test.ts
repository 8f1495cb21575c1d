import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlanText } from '@nat-egress/shared/plan';
import { analysePlan, classifyChanges, type Finding } from '@nat-egress/shared/review';
import { REPO_ROOT, runAction } from './support/action-runner';
import { change, planJson } from './support/plans';
import { alloc, regionalGateway, route, topologies, zonalGateway } from './support/topology-plans';

const REPORTED = join(REPO_ROOT, '..', 'shared', 'fixtures', 'reported');
const kinds = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.kind}`);

async function analyse(path: string) {
  return analysePlan({
    planJson: path,
    terraform: 'terraform',
    workingDirectory: REPO_ROOT,
    failOn: 'critical',
    environment: 'prod',
    tempDir: REPO_ROOT,
  });
}

describe('reported: gateway-to-asg-eni-nat.json', () => {
  const file = join(REPORTED, 'gateway-to-asg-eni-nat.json');
  const present = existsSync(file);
  (present ? it : it.skip)(
    'is a gateway → instance switch that needs two applies and names the associations that fail',
    async () => {
      const r = await analyse(file);
      expect(r.modeSwitch).toBe('gateway-to-instance');
      expect(r.expectedApplies).toBe(2);
      expect(r.expectedFailures).toEqual([
        'aws_eip_association.fck_nat["us-east-1a"]',
        'aws_eip_association.fck_nat["us-east-1b"]',
      ]);
      expect(kinds(r.findings)).toEqual(['high:mode-switch']);
      expect(r.findings[0]?.why).toContain('AuthFailure');
      // The gateway's count index, the fck-nat module key and the association's key share subnets, route tables and
      // Elastic IPs: one AZ each, named by the AZ.
      expect(r.affected).toEqual(['us-east-1a', 'us-east-1b']);
      expect(r.report.documents[0]?.analysis.azChanges).toEqual([
        {
          key: 'us-east-1a',
          before: ['NAT gateway module.vpc.aws_nat_gateway.this[0]'],
          after: ['NAT interface module.fck_nat["us-east-1a"].aws_network_interface.main'],
        },
        {
          key: 'us-east-1b',
          before: ['NAT gateway module.vpc.aws_nat_gateway.this[1]'],
          after: ['NAT interface module.fck_nat["us-east-1b"].aws_network_interface.main'],
        },
      ]);
      expect(r.findings[0]?.addresses).toEqual(
        expect.arrayContaining([
          'module.vpc.aws_nat_gateway.this[0]',
          'module.fck_nat["us-east-1b"].aws_network_interface.main',
          'module.fck_nat["us-east-1a"].aws_autoscaling_group.main[0]',
        ]),
      );
    },
  );
  (present ? it : it.skip)(
    'through the plan-guard action: mode-switch and expected-applies outputs, the failing resources in the summary',
    async () => {
      const run = await runAction('plan-guard', {
        'plan-json': file,
        environment: 'prod',
        comment: 'never',
        'fail-on': 'critical',
      });
      expect(run.code).toBe(0);
      expect(run.outputs['mode-switch']).toBe('gateway-to-instance');
      expect(run.outputs['expected-applies']).toBe('2');
      expect(JSON.parse(run.outputs.affected as string)).toEqual(['us-east-1a', 'us-east-1b']);
      expect(run.summary).toContain('**Expected to fail in apply 1:** `aws_eip_association.fck_nat["us-east-1a"]`');
    },
  );
  if (!present) it('skipped: corpus not present', () => expect(present).toBe(false));
});

describe('every NAT topology (hand-written plans after the provider schema)', () => {
  it('zonal → regional gateway (manual mode, same EIPs): mode switch, two applies, the regional gateway is expected to fail', () => {
    const a = classifyChanges(topologies.zonalToRegionalManual(3));
    expect(a.modeSwitch).toBe('gateway-to-regional-gateway');
    expect(a.expectedApplies).toBe(2);
    expect(a.expectedFailures).toEqual(['aws_nat_gateway.regional']);
    expect(kinds(a.findings)).toEqual(['high:mode-switch']);
    expect(a.findings[0]?.title).toBe('NAT mode switch: gateway → regional gateway (expect two applies)');
    expect(a.findings[0]?.why).toContain('ends `failed`');
  });

  it('zonal → regional gateway in automatic mode: high (AWS picks the addresses), critical when the old EIPs are destroyed', () => {
    const kept = classifyChanges(topologies.zonalToRegionalAutomatic(2));
    expect(kept.modeSwitch).toBe('gateway-to-regional-gateway');
    expect(kept.expectedApplies).toBe(1);
    expect(kept.risk).toBe('high');
    const auto = kept.findings.find((f) => f.kind === 'regional-automatic-addresses');
    expect(auto?.why).toMatch(/allow-lists/);
    expect(auto?.why).toContain('auto_scaling_ips');
    const destroyed = classifyChanges(topologies.zonalToRegionalAutomatic(2, true));
    expect(destroyed.risk).toBe('critical');
    expect(kinds(destroyed.findings)).toContain('critical:regional-automatic-addresses');
  });

  it("regional → zonal gateways: the new gateways take the regional gateway's addresses: two applies", () => {
    const a = classifyChanges(topologies.regionalToZonal(3));
    expect(a.modeSwitch).toBe('regional-gateway-to-gateway');
    expect(a.expectedApplies).toBe(2);
    expect(a.expectedFailures).toEqual([
      'module.vpc.aws_nat_gateway.this[0]',
      'module.vpc.aws_nat_gateway.this[1]',
      'module.vpc.aws_nat_gateway.this[2]',
    ]);
  });

  it('regional gateway → ASG/ENI NAT instances, and back', () => {
    const to = classifyChanges(topologies.regionalToAsg(2));
    expect(to.modeSwitch).toBe('regional-gateway-to-instance');
    expect(to.expectedApplies).toBe(2);
    expect(to.expectedFailures).toEqual([
      'aws_eip_association.fck_nat["us-east-1a"]',
      'aws_eip_association.fck_nat["us-east-1b"]',
    ]);
    const back = classifyChanges(topologies.asgToRegional(2));
    expect(back.modeSwitch).toBe('instance-to-regional-gateway');
    expect(back.expectedApplies).toBe(1);
    // Not "no EIP race" any more (issue 18): a gateway can meet its address still on the association being deleted.
    expect(back.findings[0]?.why).toContain('One apply, unless a gateway meets its Elastic IP');
  });

  it('zonal gateways → two-interface NAT instances: the routed private interface is the NAT; two applies', () => {
    const a = classifyChanges(topologies.zonalToTwoInterface(2));
    expect(a.modeSwitch).toBe('gateway-to-instance');
    expect(a.expectedApplies).toBe(2);
    expect(a.expectedFailures).toEqual(['aws_eip_association.router[0]', 'aws_eip_association.router[1]']);
    expect(a.findings[0]?.addresses).toEqual(expect.arrayContaining(['aws_network_interface.router_private[0]']));
  });

  it('ASG NAT launch template image change: medium, says how to roll it in a window', () => {
    const a = classifyChanges(topologies.asgImageChange(2));
    expect(a.risk).toBe('medium');
    expect(kinds(a.findings)).toEqual([
      'medium:nat-launch-template-image-changed',
      'medium:nat-launch-template-image-changed',
    ]);
    expect(a.findings[0]?.title).toBe('NAT launch template image changed (ami-0fck1 → ami-0fck2)');
    expect(a.findings[0]?.action).toContain('instance refresh');
  });

  it("regional gateway (manual): removing an AZ's address block is high (that AZ loses egress)", () => {
    const rc = regionalGateway(['update'], [0, 1, 2]);
    (rc.change.after as Record<string, unknown>).availability_zone_address = (
      rc.change.before as { availability_zone_address: unknown[] }
    ).availability_zone_address.slice(0, 2);
    const a = classifyChanges([rc]);
    expect(kinds(a.findings)).toEqual(['high:regional-zone-changed']);
    expect(a.findings[0]?.why).toContain('no longer has an availability_zone_address for 1 AZ(s)');
  });

  it('private NAT gateways are at most low', () => {
    const a = classifyChanges(topologies.privateGateways());
    expect(a.risk).toBe('low');
    expect(a.modeSwitch).toBe('none');
    expect(kinds(a.findings)).toEqual(['low:private-nat-gateway-changed', 'low:private-nat-gateway-changed']);
  });

  it('one module instance per AZ: three AZs losing egress are three keys', () => {
    const a = classifyChanges(topologies.perAzModuleQuiesce(3));
    expect(kinds(a.findings)).toEqual(['high:quiesce']);
    expect(a.affected).toEqual(['module.nat[0]', 'module.nat[1]', 'module.nat[2]']);
  });
});

describe('say what is true (issue 9 §5)', () => {
  it('an internet-gateway default route with unknown network_interface_id/instance_id is not a NAT route', () => {
    const igw = { gateway_id: 'igw-0123' };
    const a = classifyChanges([
      route(0, ['delete', 'create'], igw, igw, 'aws_route.private_igw[0]', {
        network_interface_id: true,
        instance_id: true,
      }),
      route(1, ['create'], null, igw, 'aws_route.public', { network_interface_id: true, instance_id: true }),
    ]);
    expect(a.findings).toEqual([]);
    expect(a.risk).toBe('none');
    // A new route whose NAT target is unknown (and nothing else set) may become a NAT route.
    const maybe = classifyChanges([route(2, ['create'], null, {}, 'aws_route.egress', { network_interface_id: true })]);
    expect(kinds(maybe.findings)).toEqual(['low:nat-capacity-added']);
  });

  it('an Elastic IP that nothing shows to be NAT egress gets its own wording and level', () => {
    const a = classifyChanges([
      change(
        'aws_eip.bastion',
        ['delete'],
        {
          id: 'eipalloc-0bastion',
          allocation_id: 'eipalloc-0bastion',
          public_ip: '198.51.100.7',
          instance: 'i-0bastion',
        },
        null,
      ),
    ]);
    expect(kinds(a.findings)).toEqual(['medium:other-eip-deleted']);
    expect(a.findings[0]?.title).toBe('Elastic IP deleted (198.51.100.7), not shown to be NAT egress');
    expect(a.affected).toEqual([]);
    // Held by a NAT gateway in the plan: NAT egress, critical, whatever its name.
    const held = classifyChanges([
      change('aws_eip.egress', ['delete'], { id: alloc(0), allocation_id: alloc(0), public_ip: '198.51.100.10' }, null),
      zonalGateway(0, ['no-op']),
    ]);
    expect(kinds(held.findings)).toEqual(['critical:eip-deleted']);
  });

  it('deposed: a tainted create-before-destroy gateway with its old gateway deposed shows the deletion and warns the replacement cannot get the address', () => {
    const tainted = { ...zonalGateway(0, ['create', 'delete']), action_reason: 'replace_because_tainted' };
    const deposed = { ...zonalGateway(0, ['delete']), deposed: '6b1c2f3e' };
    const a = classifyChanges([tainted, deposed]);
    expect(kinds(a.findings)).toEqual(['high:nat-gateway-deposed-deleted', 'high:nat-gateway-replaced']);
    expect(a.findings[0]?.why).toContain('deposed object (6b1c2f3e)');
    expect(a.findings[0]?.why).toContain('cannot get the address');
    expect(a.findings[1]?.why).toContain('tainted');
    expect(a.expectedApplies).toBe(2);
    expect(a.expectedFailures).toEqual(['module.vpc.aws_nat_gateway.this[0]']);
  });

  it('moved, removed (forget) and imported NAT resources are worded and are not outages', () => {
    const moved = {
      ...zonalGateway(0, ['no-op'], 'module.egress.aws_nat_gateway.this[0]'),
      previous_address: 'module.vpc.aws_nat_gateway.this[0]',
    };
    const forgotten = zonalGateway(1, ['forget']);
    forgotten.change.after = null;
    const imported = zonalGateway(2, ['no-op']);
    imported.change.importing = { id: 'nat-02aaaaaaaaaaaaaaa' };
    const a = classifyChanges([moved, forgotten, imported]);
    expect(a.risk).toBe('low');
    expect(a.affected).toEqual([]);
    expect(kinds(a.findings).sort()).toEqual(['low:nat-forgotten', 'low:nat-imported', 'low:nat-moved']);
    expect(a.findings.find((f) => f.kind === 'nat-moved')?.why).toContain('was module.vpc.aws_nat_gateway.this[0]');
    // A moved gateway that is also updated keeps its finding and says where it came from.
    const movedUpdated = {
      ...zonalGateway(0, ['update'], 'module.egress.aws_nat_gateway.this[0]'),
      previous_address: 'module.vpc.aws_nat_gateway.this[0]',
    };
    (movedUpdated.change.after as Record<string, unknown>).tags = { Name: 'renamed' };
    const b = classifyChanges([movedUpdated]);
    expect(b.findings[0]?.why).toContain(
      'Moved (moved block): module.egress.aws_nat_gateway.this[0] was module.vpc.aws_nat_gateway.this[0]',
    );
  });

  it('delete_because_* reasons are worded', () => {
    const rc = { ...zonalGateway(2, ['delete']), action_reason: 'delete_because_count_index' };
    const a = classifyChanges([rc]);
    expect(a.findings[0]?.why).toContain("Terraform's reason: its count index is beyond the new count.");
  });
});

describe('deferred changes (terraform -allow-deferral)', () => {
  it('are named with their reason in a warning: they are not in this plan', () => {
    const plan = {
      ...planJson([zonalGateway(0, ['update'])]),
      deferred_changes: [
        {
          reason: 'resource_config_unknown',
          resource_change: { address: 'module.nat["new"].aws_nat_gateway.this', change: { actions: ['create'] } },
        },
      ],
    };
    const doc = loadPlanText(JSON.stringify(plan)).documents[0]!;
    expect(doc.changes).toHaveLength(1);
    expect(doc.warnings).toEqual([
      'terraform deferred 1 change(s) that are not in this plan and are not assessed here: module.nat["new"].aws_nat_gateway.this (its count or for_each is unknown until other changes are applied). Plan and review again after this apply.',
    ]);
  });
});
