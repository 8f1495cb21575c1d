/**
 * The cutover's phases one by one (issue 12): the race forms list, the restore plan (which allocation goes to which
 * instance or interface), AssociateAddress with its lingering retries and hard deadline, the applies a plan needs,
 * the fast address watch, and the preflight (region, credentials, max-applies, AMI) with advice that fits a run
 * that applied nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { InputError } from '@nat-egress/shared/inputs';
import { VirtualClock, systemClock } from '@nat-egress/shared/runtime';
import type { CutoverOptions } from '@nat-egress/shared/cutover';
import { preflight } from '../../src/cutover/preflight';
import { expectedApplies } from '../../src/cutover/reviewed-nat';
import { RACE_FORMS, classifyFailure, matchRaceDiagnostic } from '../../src/cutover/race';
import { waitForRelease } from '../../src/cutover/release';
import { FAST_POLL_MS } from '../../src/cutover/release-machine';
import {
  GATEWAY_NOT_APPLICABLE,
  associateAddress,
  importArgs,
  planRestore,
  resolveTargetIds,
} from '../../src/cutover/restore';
import { CutoverRun, ROLLBACK } from '../../src/cutover/run';
import type { Diagnostic, TerraformDriver } from '@nat-egress/shared/terraform';
import { cabal, change, planJson, scenarios } from '../support/plans';

const M = 'module.vpc';
const alloc = (i: number) => `eipalloc-0${i}a1b2c3d4e5f6a7b8`;
const diag = (summary: string, address?: string): Diagnostic => ({
  severity: 'error',
  summary,
  detail: '',
  at: 0,
  ...(address ? { address } : {}),
});
const ec2Client = () =>
  new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });

describe('race forms: one list, each with where it was read', () => {
  it('every form has a pattern, an example it matches, and a source', () => {
    for (const f of RACE_FORMS) {
      expect(f.source.length).toBeGreaterThan(20);
      expect(f.pattern.test(f.example)).toBe(true);
      expect(classifyFailure([diag(f.example, `${M}.${f.resourceType}.nat[0]`)]).race).toBe(true);
    }
    expect(RACE_FORMS.map((f) => f.id)).toEqual([
      'sdk-v2',
      'sdk-v1',
      'provider-v3',
      'aws_eip',
      'nat-gateway-failed',
      'nat-gateway-refused',
    ]);
  });

  it('a NAT gateway (zonal or regional) whose creation failed because the address is still associated', () => {
    const msg = `waiting for EC2 NAT Gateway (nat-0abc123) create: unexpected state 'failed', wanted target 'available'. last error: Resource.AlreadyAssociated: Elastic IP address ${alloc(0)} is already associated`;
    expect(matchRaceDiagnostic(diag(msg, `${M}.aws_nat_gateway.nat[0]`))).toEqual({
      address: `${M}.aws_nat_gateway.nat[0]`,
      resourceType: 'aws_nat_gateway',
      form: 'nat-gateway-failed',
      allocationId: alloc(0),
    });
    expect(matchRaceDiagnostic(diag(msg, `${M}.aws_nat_gateway.regional`))?.form).toBe('nat-gateway-failed');
    // the same text at another resource type, or another failure code, is not the race
    expect(matchRaceDiagnostic(diag(msg, `${M}.aws_instance.nat[0]`))).toBeUndefined();
    expect(
      matchRaceDiagnostic(
        diag(
          "waiting for EC2 NAT Gateway (nat-0abc123) create: unexpected state 'failed', wanted target 'available'. last error: InsufficientFreeAddressesInSubnet: Subnet has insufficient free addresses to create this NAT gateway",
          `${M}.aws_nat_gateway.nat[0]`,
        ),
      ),
    ).toBeUndefined();
  });

  it("the verdict's reason never calls it the race (EC2 has not confirmed it yet)", () => {
    const v = classifyFailure([
      diag('creating EC2 EIP Association: AuthFailure: You do not have permission', `${M}.aws_eip_association.nat[0]`),
    ]);
    expect(v.race).toBe(true);
    expect(v.reason).toBe(`AuthFailure associating Elastic IP(s) at ${M}.aws_eip_association.nat[0]`);
    expect(v.reason).not.toMatch(/race|held by NAT gateways/);
  });
});

describe('the applies a plan needs (preflight)', () => {
  it("2 when an Elastic IP held by a gateway being deleted is taken in the same apply (the topology model's handovers); 1 otherwise", () => {
    const applies = (changes: Parameters<typeof expectedApplies>[0]) => expectedApplies(changes);
    expect(applies(scenarios.gatewayToInstance(2))).toEqual({ applies: 2, contested: [alloc(0), alloc(1)] });
    expect(applies(scenarios.instanceToGateway(2)).applies).toBe(1);
    expect(applies(scenarios.unrelatedOnly())).toEqual({ applies: 1, contested: [] });
    const regional = change(`${M}.aws_nat_gateway.regional`, ['create'], null, {
      availability_mode: 'regional',
      vpc_id: 'vpc-0abc',
      availability_zone_address: [{ availability_zone: 'us-east-1b', allocation_ids: [alloc(1)] }],
    });
    expect(applies([cabal.gateway(1, ['delete']), regional])).toEqual({ applies: 2, contested: [alloc(1)] });
  });
});

describe('the restore plan: which allocation goes to which target', () => {
  const err = (i: number) => ({
    address: `${M}.aws_eip_association.nat[${i}]`,
    resourceType: 'aws_eip_association' as const,
    form: 'sdk-v2' as const,
  });

  it('a target known after apply is the NAT instance the plan creates with the same key; its id comes from the stream', () => {
    const p = planRestore([err(0), err(1)], scenarios.gatewayToInstance(2));
    expect(p.notApplicable).toBeUndefined();
    expect(p.associations.map((a) => [a.allocationId, a.target])).toEqual([
      [alloc(0), { kind: 'instance', address: `${M}.aws_instance.nat[0]` }],
      [alloc(1), { kind: 'instance', address: `${M}.aws_instance.nat[1]` }],
    ]);
    expect(
      resolveTargetIds(p, [
        {
          type: 'apply_complete',
          address: `${M}.aws_instance.nat[0]`,
          resourceType: 'aws_instance',
          action: 'create',
          at: 0,
          stamped: true,
          idValue: 'i-0new0',
        },
      ]),
    ).toBe(`${M}.aws_instance.nat[1] has not been created (no id in the apply's stream)`);
    expect(p.associations[0]?.target.id).toBe('i-0new0');
  });

  const reported = join(process.cwd(), '..', 'shared', 'fixtures', 'reported', 'gateway-to-asg-eni-nat.json');
  (existsSync(reported) ? it : it.skip)(
    "the reported ENI/ASG NAT plan (gateway-to-asg-eni-nat.json): each association goes to its AZ module's static interface",
    () => {
      const changes = (
        JSON.parse(readFileSync(reported, 'utf8')) as { resource_changes: Parameters<typeof planRestore>[1] }
      ).resource_changes;
      const errors = ['us-east-1a', 'us-east-1b'].map((az) => ({
        address: `aws_eip_association.fck_nat["${az}"]`,
        resourceType: 'aws_eip_association' as const,
        form: 'sdk-v2' as const,
      }));
      const p = planRestore(errors, changes);
      expect(p.notApplicable).toBeUndefined();
      expect(p.associations.map((a) => [a.allocationId, a.target])).toEqual([
        [
          'eipalloc-009f8e7d6c5b4a3921',
          { kind: 'network-interface', address: 'module.fck_nat["us-east-1a"].aws_network_interface.main' },
        ],
        [
          'eipalloc-019f8e7d6c5b4a3921',
          { kind: 'network-interface', address: 'module.fck_nat["us-east-1b"].aws_network_interface.main' },
        ],
      ]);
      expect(expectedApplies(changes)).toEqual({
        applies: 2,
        contested: ['eipalloc-009f8e7d6c5b4a3921', 'eipalloc-019f8e7d6c5b4a3921'],
      });
    },
  );
  if (!existsSync(reported)) console.log('skipped: corpus not present (../shared/fixtures/reported)');

  it('not applicable: a gateway-creation race, an allocation the message names differently, an unknown target, a missing resource', () => {
    expect(
      planRestore(
        [{ address: `${M}.aws_nat_gateway.regional`, resourceType: 'aws_nat_gateway', form: 'nat-gateway-failed' }],
        [],
      ).notApplicable,
    ).toBe(GATEWAY_NOT_APPLICABLE);
    expect(
      planRestore([{ ...err(0), allocationId: 'eipalloc-0ffffffffffffffff' }], scenarios.gatewayToInstance(1))
        .notApplicable,
    ).toContain('failed on eipalloc-0ffffffffffffffff, but the reviewed plan associates');
    expect(planRestore([err(0)], [cabal.association(0, ['create'])]).notApplicable).toContain(
      'creates no NAT instance next to',
    );
    expect(planRestore([err(3)], scenarios.gatewayToInstance(1)).notApplicable).toContain(
      'is not in the reviewed plan',
    );
    const secret = scenarios
      .gatewayToInstance(1)
      .map((c) =>
        c.address.includes('aws_eip_association')
          ? { ...c, change: { ...c.change, after_sensitive: { allocation_id: true } } }
          : c,
      );
    expect(planRestore([err(0)], secret).notApplicable).toBe(
      `the reviewed plan marks ${M}.aws_eip_association.nat[0]'s allocation_id sensitive`,
    );
  });

  it('import arguments: the association id, with the -var/-var-file/-lock options of apply-args only', () => {
    expect(
      importArgs(
        {
          address: 'a.b',
          allocationId: 'x',
          targetId: 'i',
          outcome: 'associated',
          associationId: 'eipassoc-1',
          attempts: 1,
        },
        'aws_eip_association',
        ['-var-file=p.tfvars', '-lock-timeout=30m', '-refresh=false', '-target=x'],
      ),
    ).toEqual(['import', '-input=false', '-var-file=p.tfvars', '-lock-timeout=30m', 'a.b', 'eipassoc-1']);
    expect(
      importArgs(
        {
          address: 'a.b',
          allocationId: 'x',
          targetId: 'i',
          outcome: 'associated',
          associationId: 'eipassoc-1',
          attempts: 1,
        },
        'aws_eip',
        [],
      ),
    ).toBeUndefined();
  });
});

describe('AssociateAddress', () => {
  const planned = {
    address: `${M}.aws_eip_association.nat[0]`,
    resourceType: 'aws_eip_association' as const,
    allocationId: alloc(0),
    target: { kind: 'instance' as const, id: 'i-0new0' },
  };

  it('retries AuthFailure lingering just after the release, never re-associates', async () => {
    const ec2 = ec2Client();
    const mock = mockClient(ec2);
    mock
      .on(AssociateAddressCommand)
      .rejectsOnce(Object.assign(new Error('no'), { name: 'AuthFailure' }))
      .resolves({ AssociationId: 'eipassoc-0abc' });
    const r = await associateAddress(planned, { ec2, clock: new VirtualClock() });
    expect(r).toMatchObject({ outcome: 'associated', associationId: 'eipassoc-0abc', attempts: 2 });
    expect(mock.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input)).toEqual([
      { AllocationId: alloc(0), InstanceId: 'i-0new0', AllowReassociation: false },
      { AllocationId: alloc(0), InstanceId: 'i-0new0', AllowReassociation: false },
    ]);
  });

  it('gives up after the linger window; other errors fail at once', async () => {
    const ec2 = ec2Client();
    const mock = mockClient(ec2);
    mock.on(AssociateAddressCommand).rejects(Object.assign(new Error('no'), { name: 'AuthFailure' }));
    const r = await associateAddress(planned, { ec2, clock: new VirtualClock(), lingerMs: 3_000, retryMs: 500 });
    expect(r.outcome).toBe('failed');
    expect(r.attempts).toBe(7);
    mock
      .on(AssociateAddressCommand)
      .rejects(Object.assign(new Error('Invalid id'), { name: 'InvalidInstanceID.NotFound' }));
    const r2 = await associateAddress(planned, { ec2, clock: new VirtualClock() });
    expect(r2).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(r2.message).toContain('InvalidInstanceID.NotFound');
  });

  it('a call that never answers ends at the hard deadline', async () => {
    const ec2 = ec2Client();
    mockClient(ec2)
      .on(AssociateAddressCommand)
      .callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    const r = await associateAddress(planned, { ec2, clock: systemClock, deadline: Date.now() + 300 });
    expect(r.outcome).toBe('failed');
    expect(r.message).toContain('deadline');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('the fast address watch (restore: associate)', () => {
  it('after EC2 confirms the race, polls DescribeAddresses every second and returns the moment the address is free, no grace', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const ec2 = ec2Client();
    const mock = mockClient(ec2);
    const releaseAt = start + 47_300;
    mock.on(DescribeNatGatewaysCommand).callsFake(() => ({
      NatGateways: [
        {
          NatGatewayId: 'nat-0a',
          State: clock.now() < releaseAt - 3_000 ? 'deleting' : 'deleted',
          NatGatewayAddresses: [{ AllocationId: alloc(0) }],
        },
      ],
    }));
    mock.on(DescribeAddressesCommand).callsFake(() => ({
      Addresses: [
        {
          AllocationId: alloc(0),
          ...(clock.now() < releaseAt ? { AssociationId: 'eipassoc-gw', NetworkInterfaceId: 'eni-gw' } : {}),
        },
      ],
    }));
    let confirmed = 0;
    const r = await waitForRelease(
      { allocationIds: [alloc(0)], gatewayIds: ['nat-0a'] },
      { ec2, clock, timeoutMs: 600_000, watch: 'addresses', onConfirmed: () => confirmed++ },
    );
    expect(r.outcome).toBe('released');
    expect(confirmed).toBe(1);
    expect(r.confirmedAt).toBe(start);
    expect(r.releasedAt! - releaseAt).toBeGreaterThanOrEqual(0);
    expect(r.releasedAt! - releaseAt).toBeLessThanOrEqual(FAST_POLL_MS);
    expect(r.endedAt).toBe(r.releasedAt);
    // one DescribeAddresses a second, a DescribeNatGateways every 15 s
    expect(mock.commandCalls(DescribeNatGatewaysCommand).length).toBeLessThanOrEqual(1 + Math.ceil(47_300 / 15_000));
  });
});

describe('preflight', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-preflight-'));
  writeFileSync(join(dir, 'tfplan'), 'x');
  function setup(plan: unknown, extra: Partial<CutoverOptions> = {}, ec2: () => EC2Client = ec2Client) {
    const lines: string[] = [];
    const terraform: TerraformDriver = {
      show: async (_p, out) => writeFileSync(out, JSON.stringify(plan)),
      run: async () => ({ exitCode: 0, signal: null, interrupted: false, escalated: [] }),
    };
    const options: CutoverOptions = {
      workingDirectory: dir,
      planfile: 'tfplan',
      applyArgs: [],
      maxApplies: 3,
      releaseTimeoutMs: 600_000,
      amiCheck: 'off',
      ami: { namePattern: 'cabal-nat-*', requiredTags: [] },
      ...extra,
    };
    const run = new CutoverRun(options, {
      terraform,
      ec2,
      clock: new VirtualClock(),
      out: {
        line: (l) => lines.push(l.text),
        startGroup: () => undefined,
        endGroup: () => undefined,
        secret: () => undefined,
      },
      tempDir: dir,
    });
    return { run, lines };
  }
  const switchPlan = planJson(scenarios.gatewayToInstance(2));

  it('no region: refused before applying, with how to set it and no rollback lever', async () => {
    const { run } = setup(switchPlan, {}, () => {
      throw new InputError('region: not set (set the region input, or AWS_REGION)');
    });
    expect(await preflight(run, join(dir, 'tfplan'))).toBeUndefined();
    expect(run.result).toMatchObject({ result: 'failed', applies: 0 });
    expect(run.result.failure).toContain('region: not set');
    expect(run.result.failure).toContain('refusing to apply');
    expect(run.result.nextSteps).toEqual([
      'Nothing was applied; egress is as it was.',
      'Set the region input, or AWS_REGION (aws-actions/configure-aws-credentials sets it), then re-run the job.',
    ]);
  });

  it('credentials that do not work for EC2: refused before applying', async () => {
    const ec2 = ec2Client();
    mockClient(ec2)
      .on(DescribeAddressesCommand)
      .rejects(
        Object.assign(new Error('AWS was not able to validate the provided access credentials'), {
          name: 'AuthFailure',
        }),
      );
    const { run } = setup(switchPlan, {}, () => ec2);
    expect(await preflight(run, join(dir, 'tfplan'))).toBeUndefined();
    expect(run.result.failure).toMatch(
      /^EC2 is not usable with these credentials: AuthFailure: AWS was not able to validate/,
    );
    expect(run.result.nextSteps[1]).toContain('Configure AWS credentials that work for EC2');
    expect(run.result.nextSteps).not.toContain(ROLLBACK);
  });

  it('an EC2 endpoint that never answers: refused at the bound, not hung', async () => {
    const ec2 = ec2Client();
    mockClient(ec2)
      .on(DescribeAddressesCommand)
      .callsFake(() => new Promise(() => undefined));
    const { run } = setup(switchPlan, { releaseTimeoutMs: 200 }, () => ec2);
    (run.deps as { clock: unknown }).clock = systemClock;
    const started = Date.now();
    expect(await preflight(run, join(dir, 'tfplan'))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run.result.failure).toContain('deadline');
    expect(run.result.nextSteps[1]).toContain('EC2 did not answer in time');
  });

  it('a failed AMI check: advice fits a run that applied nothing (no nat-ami-check: off, no rollback lever)', async () => {
    const ec2 = ec2Client();
    const mock = mockClient(ec2);
    mock.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: alloc(0) }, { AllocationId: alloc(1) }] });
    mock.on(DescribeImagesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
      }),
    );
    const { run } = setup(switchPlan, { amiCheck: 'auto' }, () => ec2);
    expect(await preflight(run, join(dir, 'tfplan'))).toBeUndefined();
    expect(run.result.failure).toContain('the NAT AMI check failed');
    expect(run.result.nextSteps.join(' ')).not.toContain('nat-ami-check: off');
    expect(run.result.nextSteps).not.toContain(ROLLBACK);
    expect(run.result.nextSteps).toEqual([
      'Nothing was applied; egress is as it was.',
      'Grant ec2:DescribeImages to the apply role (docs/iam/cutover.json), then re-run the job.',
    ]);
  });

  it('a plan that no longer matches EC2 (its Elastic IP is gone): refused before applying', async () => {
    const ec2 = ec2Client();
    mockClient(ec2)
      .on(DescribeAddressesCommand)
      .resolves({ Addresses: [{ AllocationId: alloc(0) }] });
    const { run } = setup(switchPlan, {}, () => ec2);
    expect(await preflight(run, join(dir, 'tfplan'))).toBeUndefined();
    expect(run.result.failure).toContain(`Elastic IP ${alloc(1)} does not exist`);
  });

  it('an ordinary plan needs no EC2 at all', async () => {
    const { run } = setup(planJson(scenarios.unrelatedOnly()), {}, () => {
      throw new Error('EC2 must not be called');
    });
    const reviewed = await preflight(run, join(dir, 'tfplan'));
    expect(reviewed?.expectedApplies).toBe(1);
    expect(run.steps.map((s) => s.outcome)).toEqual(['ok']);
  });
});
