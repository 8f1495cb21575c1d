import { describe, expect, it } from '@jest/globals';
import { classifyChanges, type Finding } from '@nat-egress/shared/review';
import { cabal, change, scenarios, unrelated } from '../support/plans';

const kinds = (findings: Finding[]) => findings.map((f) => `${f.severity}:${f.kind}`);

describe('classifier on the Cabalmail module (synthetic plans)', () => {
  it('gateway → instance: one high mode-switch finding, two applies, names the association that will fail', () => {
    const a = classifyChanges(scenarios.gatewayToInstance(2));
    expect(a.risk).toBe('high');
    expect(a.modeSwitch).toBe('gateway-to-instance');
    expect(a.expectedApplies).toBe(2);
    expect(a.affected).toEqual(['0', '1']);
    expect(kinds(a.findings)).toEqual(['high:mode-switch']);
    const f = a.findings[0] as Finding;
    expect(f.why).toContain('module.vpc.aws_eip_association.nat[0], module.vpc.aws_eip_association.nat[1]');
    expect(f.why).toContain('AuthFailure');
    expect(f.action).toContain('cutover');
    expect(f.addresses).toEqual(
      expect.arrayContaining([
        'module.vpc.aws_nat_gateway.nat[0]',
        'module.vpc.aws_instance.nat[1]',
        'module.vpc.aws_route.private[1]',
        'module.vpc.aws_security_group.nat[0]',
        'module.vpc.aws_iam_role.nat[0]',
        'module.vpc.aws_iam_instance_profile.nat[0]',
      ]),
    );
    expect(a.natInstancesCreated).toEqual(['module.vpc.aws_instance.nat[0]', 'module.vpc.aws_instance.nat[1]']);
  });

  it('instance → gateway (in place): high, one apply, no EIP race', () => {
    const a = classifyChanges(scenarios.instanceToGateway(3), { strategy: 'in-place' });
    expect(a.modeSwitch).toBe('instance-to-gateway');
    expect(a.expectedApplies).toBe(1);
    expect(kinds(a.findings)).toEqual(['high:mode-switch']);
    expect(a.affected).toEqual(['0', '1', '2']);
    expect(a.findings[0]?.why).toContain('One apply, unless');
    expect(a.strategy).toBe('in-place');
    expect(a.findings[0]?.addresses).toContain('module.vpc.aws_eip_association.nat[2]');
  });

  it('AMI adoption: one high finding per AZ that says "new NAT AMI adopted" with both AMI ids', () => {
    const a = classifyChanges(scenarios.amiAdoption(2));
    expect(a.risk).toBe('high');
    expect(a.modeSwitch).toBe('none');
    expect(kinds(a.findings)).toEqual(['high:nat-ami-adopted', 'high:nat-ami-adopted']);
    expect(a.findings[0]?.title).toBe(
      'New NAT AMI adopted: NAT instance replaced (ami-0aaa1111bbbb22223 → ami-0ccc3333dddd44445)',
    );
    expect(a.findings[0]?.keys).toEqual(['0']);
    expect(a.findings[0]?.azs).toEqual(['us-east-1a']);
    expect(a.findings[1]?.addresses).toEqual([
      'module.vpc.aws_instance.nat[1]',
      'module.vpc.aws_eip_association.nat[1]',
      'module.vpc.aws_route.private[1]',
    ]);
  });

  it('create-before-destroy replacement is still an outage, and says why', () => {
    const a = classifyChanges(scenarios.amiAdoption(1, true));
    expect(kinds(a.findings)).toEqual(['high:nat-ami-adopted']);
    expect(a.findings[0]?.why).toContain('create-before-destroy');
  });

  it('quiesce down (either mode): one high quiesce finding, EIPs kept', () => {
    for (const plan of [scenarios.quiesceDownGateway(2), scenarios.quiesceDownInstance(2)]) {
      const a = classifyChanges(plan);
      expect(kinds(a.findings)).toEqual(['high:quiesce']);
      expect(a.findings[0]?.title).toContain('Elastic IPs kept');
      expect(a.affected).toEqual(['0', '1']);
      expect(a.modeSwitch).toBe('none');
    }
  });

  it('quiesce up only adds capacity: low', () => {
    const a = classifyChanges(scenarios.quiesceUpGateway(2));
    expect(a.risk).toBe('low');
    expect(kinds(a.findings)).toEqual(['low:nat-restored']);
    expect(a.affected).toEqual([]);
  });

  it('a destroyed NAT Elastic IP is critical and shows the IP that is lost', () => {
    const a = classifyChanges(scenarios.eipDestroyed());
    expect(a.risk).toBe('critical');
    expect(kinds(a.findings)).toEqual(['critical:eip-deleted']);
    expect(a.findings[0]?.title).toBe('NAT Elastic IP deleted (203.0.113.11)');
    expect(a.findings[0]?.why).toMatch(/SPF.*reverse DNS.*allow-lists.*port-25/);
    expect(a.affected).toEqual(['1']);
    expect(classifyChanges(scenarios.eipReplaced()).findings[0]?.kind).toBe('eip-replaced');
  });

  it('an added AZ only adds capacity, and asks for the new IP to be allow-listed', () => {
    const a = classifyChanges(scenarios.azAdded(2));
    expect(a.risk).toBe('low');
    expect(kinds(a.findings).sort()).toEqual(['low:nat-capacity-added', 'low:nat-restored']);
    expect(a.findings.find((f) => f.kind === 'nat-capacity-added')?.action).toContain('SPF');
  });

  it('unrelated changes (including a normal instance and its EIP association) are not NAT risk', () => {
    const a = classifyChanges(scenarios.unrelatedOnly());
    expect(a.risk).toBe('none');
    expect(a.findings).toEqual([]);
  });

  it('recognises NAT by attributes under for_each keys in any module', () => {
    const plan = ['eu-west-1a', 'eu-west-1b'].flatMap((az) => [
      change(
        `module.egress.aws_instance.router["${az}"]`,
        ['delete', 'create'],
        { ami: 'ami-1', source_dest_check: false, instance_type: 't4g.nano' },
        { ami: 'ami-1', source_dest_check: false, instance_type: 't4g.nano' },
        { replace_paths: [['subnet_id']] },
      ),
      change(
        `module.egress.aws_route.default["${az}"]`,
        ['update'],
        { destination_cidr_block: '0.0.0.0/0', network_interface_id: 'eni-1' },
        { destination_cidr_block: '0.0.0.0/0', network_interface_id: null },
        { after_unknown: { network_interface_id: true } },
      ),
    ]);
    const a = classifyChanges(plan);
    expect(kinds(a.findings)).toEqual(['high:nat-instance-replaced', 'high:nat-instance-replaced']);
    expect(a.findings.map((f) => f.keys[0])).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(a.findings[0]?.title).toBe('NAT instance replaced (forced by subnet_id)');
    expect(a.affected).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('terraform-aws-modules/vpc names: NAT gateway replaced and its route', () => {
    const a = classifyChanges([
      change(
        'module.vpc.aws_nat_gateway.this[0]',
        ['delete', 'create'],
        { allocation_id: 'eipalloc-1', subnet_id: 'subnet-a' },
        { allocation_id: 'eipalloc-1', subnet_id: 'subnet-b' },
        { replace_paths: [['subnet_id']] },
      ),
      change(
        'module.vpc.aws_route.private_nat_gateway[0]',
        ['update'],
        { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: 'nat-1' },
        { destination_cidr_block: '0.0.0.0/0', nat_gateway_id: null },
        { after_unknown: { nat_gateway_id: true } },
      ),
    ]);
    expect(kinds(a.findings)).toEqual(['high:nat-gateway-replaced']);
    expect(a.findings[0]?.addresses).toEqual([
      'module.vpc.aws_nat_gateway.this[0]',
      'module.vpc.aws_route.private_nat_gateway[0]',
    ]);
  });

  it('medium: route retargeted, EIP re-associated, NAT security group and IAM changes', () => {
    const a = classifyChanges([
      cabal.route(0, ['update'], 'gateway', 'instance'),
      cabal.association(1, ['delete', 'create']),
      change(
        'module.vpc.aws_security_group_rule.nat_ingress[0]',
        ['update'],
        { cidr_blocks: ['10.0.0.0/16'] },
        { cidr_blocks: ['10.0.0.0/8'] },
      ),
      change('module.vpc.aws_iam_role_policy_attachment.nat_ssm[0]', ['create'], null, { role: 'cabal-nat' }),
    ]);
    expect(a.risk).toBe('medium');
    expect(kinds(a.findings).sort()).toEqual([
      'medium:eip-reassociated',
      'medium:nat-iam-changed',
      'medium:nat-security-changed',
      'medium:route-retargeted',
    ]);
    expect(a.findings.find((f) => f.kind === 'route-retargeted')?.why).toContain(
      'from nat_gateway_id=nat-000f1e2d3c4b5a6978',
    );
  });

  it('Image Builder component changed without a version bump: the apply will fail', () => {
    const same = classifyChanges([cabal.component({ version: '1.0.3', data: 'a' }, { version: '1.0.3', data: 'b' })]);
    expect(kinds(same.findings)).toEqual(['medium:imagebuilder-version-not-bumped']);
    expect(same.findings[0]?.why).toContain('this apply will fail');
    const bumped = classifyChanges([cabal.component({ version: '1.0.3', data: 'a' }, { version: '1.0.4', data: 'b' })]);
    expect(kinds(bumped.findings)).toEqual(['medium:imagebuilder-content-changed']);
  });

  it('low: tag-only changes and pipeline schedule changes', () => {
    const a = classifyChanges([
      change(
        'module.vpc.aws_nat_gateway.nat[0]',
        ['update'],
        { tags: { a: '1' }, subnet_id: 's' },
        { tags: { a: '2' }, subnet_id: 's' },
      ),
      cabal.pipeline(
        ['update'],
        { schedule: [{ schedule_expression: 'cron(0 0 * * ? *)' }] },
        { schedule: [{ schedule_expression: 'cron(0 6 * * ? *)' }] },
      ),
    ]);
    expect(kinds(a.findings).sort()).toEqual(['low:imagebuilder-config-changed', 'low:nat-tags-changed']);
  });

  it('high: in-place updates that stop the NAT instance or turn its source/dest check on', () => {
    const base = { ami: 'ami-1', instance_type: 't3.micro', source_dest_check: false };
    const a = classifyChanges([
      change('module.vpc.aws_instance.nat[0]', ['update'], base, { ...base, instance_type: 't3.small' }),
      change('module.vpc.aws_instance.nat[1]', ['update'], base, { ...base, source_dest_check: true }),
    ]);
    expect(kinds(a.findings)).toEqual(['high:nat-instance-stopped', 'high:nat-routing-disabled']);
    expect(a.findings[0]?.title).toContain('instance_type');
  });

  it('never shows values marked sensitive', () => {
    const rc = change('aws_eip.nat[0]', ['delete'], { public_ip: '198.51.100.99', id: 'eipalloc-1' }, null, {
      before_sensitive: { public_ip: true },
    });
    const a = classifyChanges([rc]);
    expect(JSON.stringify(a)).not.toContain('198.51.100.99');
    const inst = change(
      'aws_instance.nat[0]',
      ['delete', 'create'],
      { ami: 'ami-secret-1', source_dest_check: false },
      { ami: 'ami-secret-2', source_dest_check: false },
      {
        replace_paths: [['ami']],
        before_sensitive: true,
        after_sensitive: { ami: true },
      },
    );
    expect(JSON.stringify(classifyChanges([inst]))).not.toMatch(/ami-secret/);
  });

  it('narrowing the eip role with a pattern leaves other Elastic IPs alone', () => {
    const plan = [change('aws_eip.bastion', ['delete'], { public_ip: '198.51.100.1' }, null), cabal.eip(0, ['delete'])];
    expect(classifyChanges(plan).findings).toHaveLength(2);
    const narrowed = classifyChanges(plan, { patterns: { eip: ['module.vpc.aws_eip.nat_eip*'] } });
    expect(narrowed.findings.map((f) => f.addresses[0])).toEqual(['module.vpc.aws_eip.nat_eip[0]']);
  });

  it('ignores no-op, read and deposed halves of a replacement', () => {
    const plan = [
      change('module.vpc.aws_nat_gateway.nat[0]', ['no-op'], { id: 'nat-1' }, { id: 'nat-1' }),
      { ...change('module.vpc.aws_nat_gateway.nat[1]', ['delete'], { id: 'nat-old' }, null), deposed: '00000001' },
      change('module.vpc.aws_nat_gateway.nat[1]', ['create', 'delete'], { id: 'nat-2' }, { id: null }),
      ...unrelated(1),
    ];
    const a = classifyChanges(plan);
    expect(kinds(a.findings)).toEqual(['high:nat-gateway-deposed-deleted', 'high:nat-gateway-replaced']);
  });
});
