import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@nat-egress/shared/inputs';
import { cutoverInputs, renderSummary, type CutoverResult } from '@nat-egress/shared/cutover';
import { changeRef, describeUnexpected, unexpectedChanges } from '../../src/cutover/converge';
import { egressGap, egressRoles } from '../../src/cutover/timeline';
import { releaseTarget } from '../../src/cutover/watch';
import type { HookEvent } from '@nat-egress/shared/terraform';
import { cabal, change, scenarios } from '../support/plans';
import { alloc, regionalGateway, zonalGateway } from '../support/topology-plans';

const refs = (changes: Parameters<typeof changeRef>[0][]) => changes.map(changeRef).filter((r) => r !== undefined);

describe('convergence: the re-plan may only finish the reviewed plan', () => {
  const reviewed = refs(scenarios.gatewayToInstance(2));

  it('the leftover associations (and route updates) are expected', () => {
    expect(
      unexpectedChanges(
        reviewed,
        refs([cabal.association(0, ['create']), cabal.route(1, ['update'], 'gateway', 'instance')]),
      ),
    ).toEqual([]);
  });

  it('an address the reviewed plan did not change, or an incompatible action, is unexpected', () => {
    const u = unexpectedChanges(
      reviewed,
      refs([cabal.association(0, ['create']), cabal.gateway(0, ['create']), cabal.eip(0, ['delete'])]),
    );
    expect(u.map((x) => `${x.change.kind} ${x.change.address} ${x.reviewed ?? '-'}`)).toEqual([
      'create module.vpc.aws_nat_gateway.nat[0] delete',
      'delete module.vpc.aws_eip.nat_eip[0] -',
    ]);
  });

  it('what is left of a replace is compatible; a create turning into a replace only when tainted', () => {
    const amiAdoption = refs(scenarios.amiAdoption(1));
    expect(
      unexpectedChanges(amiAdoption, [
        { address: 'module.vpc.aws_instance.nat[0]', kind: 'delete', deposed: 'abcd1234' },
      ]),
    ).toEqual([]);
    expect(
      unexpectedChanges(amiAdoption, [{ address: 'module.vpc.aws_eip_association.nat[0]', kind: 'create' }]),
    ).toEqual([]);
    expect(
      unexpectedChanges(reviewed, [
        { address: 'module.vpc.aws_instance.nat[0]', kind: 'replace', reason: 'replace_because_tainted' },
      ]),
    ).toEqual([]);
    expect(
      unexpectedChanges(reviewed, [
        { address: 'module.vpc.aws_instance.nat[0]', kind: 'replace', reason: 'replace_because_cannot_update' },
      ]),
    ).toHaveLength(1);
  });

  it('values known at review must still be the planned values; values unknown then may now be known', () => {
    const leftover = cabal.association(0, ['create']);
    const nowKnown = {
      ...leftover,
      change: {
        ...leftover.change,
        after: { ...(leftover.change.after as object), instance_id: 'i-0new' },
        after_unknown: { id: true },
      },
    };
    expect(unexpectedChanges(reviewed, refs([nowKnown]))).toEqual([]);
    const otherEip = {
      ...leftover,
      change: { ...leftover.change, after: { ...(leftover.change.after as object), allocation_id: 'eipalloc-0other' } },
    };
    const u = unexpectedChanges(reviewed, refs([otherEip]));
    expect(u).toHaveLength(1);
    expect(u[0]?.diverged).toEqual(['allocation_id']);
    expect(describeUnexpected(u[0]!)).toBe(
      'create module.vpc.aws_eip_association.nat[0]: would set allocation_id to other values than the reviewed plan',
    );
    expect(describeUnexpected(u[0]!)).not.toContain('eipalloc-0other');
  });

  it('a bridged route: a target attribute both plans carry over, or "" for null, is not a divergence', () => {
    const route = (before: Record<string, unknown>, after: Record<string, unknown>) => ({
      address: 'module.vpc.aws_route.private[1]',
      mode: 'managed' as const,
      type: 'aws_route',
      name: 'private',
      index: 1,
      change: { actions: ['update' as const], before, after, after_unknown: { nat_gateway_id: true } },
    });
    // instance → gateway: the reviewed plan carries the AZ's own interface, the bridged step the bridge's.
    const reviewedRoute = refs([
      route({ network_interface_id: 'eni-own', nat_gateway_id: '' }, { network_interface_id: 'eni-own' }),
    ]);
    const bridged = refs([
      route({ network_interface_id: 'eni-bridge', nat_gateway_id: '' }, { network_interface_id: 'eni-bridge' }),
    ]);
    expect(unexpectedChanges(reviewedRoute, bridged)).toEqual([]);
    // A value the step sets (not carried) is still compared.
    const moved = refs([route({ network_interface_id: 'eni-bridge' }, { network_interface_id: 'eni-other' })]);
    expect(unexpectedChanges(reviewedRoute, moved).map((u) => u.diverged)).toEqual([['network_interface_id']]);
    // gateway → instance: reviewed null after a gateway; bridged to an interface, the provider carries "".
    const g2i = (before: string, after: string | null) =>
      refs([
        {
          ...route({ nat_gateway_id: before }, { nat_gateway_id: after }),
          change: {
            actions: ['update' as const],
            before: { nat_gateway_id: before },
            after: { nat_gateway_id: after },
            after_unknown: { network_interface_id: true },
          },
        },
      ]);
    expect(unexpectedChanges(g2i('nat-own', null), g2i('', ''))).toEqual([]);
    expect(unexpectedChanges(g2i('nat-own', null), g2i('', 'nat-x'))).toHaveLength(1);
  });

  it('no-ops and data reads are not changes', () => {
    expect(changeRef({ ...cabal.association(0, ['create']), change: { actions: ['no-op'] } })).toBeUndefined();
    expect(
      changeRef({
        address: 'data.aws_ami.custom_nat[0]',
        mode: 'data',
        type: 'aws_ami',
        name: 'custom_nat',
        change: { actions: ['read'] },
      }),
    ).toBeUndefined();
  });
});

describe('what the race needs to wait for', () => {
  it('allocation ids from the reviewed plan, gateways that the plan deletes', () => {
    const t = releaseTarget(
      [
        { address: 'module.vpc.aws_eip_association.nat[0]', resourceType: 'aws_eip_association', form: 'sdk-v2' },
        {
          address: 'module.vpc.aws_eip.nat_eip[1]',
          resourceType: 'aws_eip',
          form: 'aws_eip',
          allocationId: 'eipalloc-0fromtext',
        },
      ],
      scenarios.gatewayToInstance(2),
    );
    expect(t.allocationIds).toEqual(['eipalloc-00a1b2c3d4e5f6a7b8', 'eipalloc-0fromtext']);
    expect(t.gatewayIds).toEqual(['nat-000f1e2d3c4b5a6978']);
  });
});

describe('what the race needs to wait for: every address a NAT gateway holds (nat/)', () => {
  const failed = (address: string) => ({
    address,
    resourceType: 'aws_nat_gateway' as const,
    form: 'nat-gateway-failed' as const,
  });

  it('a secondary allocation: the new gateway needs it, and the deleted gateway holding it as a secondary is watched', () => {
    const oldGateway = zonalGateway(0, ['delete'], 'module.vpc.aws_nat_gateway.this[0]', {
      secondary_allocation_ids: [alloc(5)],
    });
    const unrelated = zonalGateway(1, ['delete']);
    const created = zonalGateway(2, ['create'], 'module.vpc.aws_nat_gateway.new[0]', {
      allocation_id: alloc(9),
      secondary_allocation_ids: [alloc(5)],
    });
    const t = releaseTarget([failed(created.address)], [oldGateway, unrelated, created]);
    expect(t.allocationIds).toEqual([alloc(9), alloc(5)]);
    expect(t.gatewayIds).toEqual(['nat-00aaaaaaaaaaaaaaa']);
  });

  it("a regional gateway's addresses: the replacement needs its regional addresses, only the holder is watched", () => {
    const replaced = regionalGateway(['delete', 'create'], null, 'aws_nat_gateway.regional');
    const addresses = [{ allocation_id: alloc(7), availability_zone: 'us-east-1a', public_ip: '198.51.100.17' }];
    replaced.change.before = { ...(replaced.change.before as object), regional_nat_gateway_address: addresses };
    replaced.change.after = { ...(replaced.change.after as object), regional_nat_gateway_address: addresses };
    const otherRegional = change(
      'aws_nat_gateway.other',
      ['delete'],
      {
        id: 'nat-0regional00000002',
        availability_mode: 'regional',
        allocation_id: '',
        regional_nat_gateway_address: [{ allocation_id: alloc(8), availability_zone: 'us-east-1b' }],
      },
      null,
    );
    const t = releaseTarget([failed(replaced.address)], [replaced, otherRegional, zonalGateway(1, ['delete'])]);
    expect(t.allocationIds).toEqual([alloc(7)]);
    expect(t.gatewayIds).toEqual(['nat-0regional00000001']);
    // A manual regional gateway: its per-AZ addresses (availability_zone_address).
    const manual = regionalGateway(['create'], [0, 2], 'aws_nat_gateway.manual');
    expect(releaseTarget([failed(manual.address)], [manual]).allocationIds).toEqual([alloc(0), alloc(2)]);
  });
});

describe('the egress gap', () => {
  const h = (type: HookEvent['type'], address: string, action: string, s: number): HookEvent => ({
    type,
    address,
    action,
    at: Date.UTC(2026, 0, 1) + s * 1000,
    stamped: true,
    resourceType: '',
  });
  const roles = egressRoles(scenarios.gatewayToInstance(1));

  it('from the first breaking change to the last restoring one', () => {
    expect([...roles.breaking].sort()).toEqual([
      'module.vpc.aws_nat_gateway.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
    expect([...roles.restoring].sort()).toEqual([
      'module.vpc.aws_eip_association.nat[0]',
      'module.vpc.aws_route.private[0]',
    ]);
    const hooks = [
      h('apply_start', 'module.vpc.aws_instance.nat[0]', 'create', 0),
      h('apply_start', 'module.vpc.aws_route.private[0]', 'update', 20),
      h('apply_complete', 'module.vpc.aws_route.private[0]', 'update', 21),
      h('apply_start', 'module.vpc.aws_nat_gateway.nat[0]', 'delete', 22),
      h('apply_complete', 'module.vpc.aws_eip_association.nat[0]', 'create', 200.25),
    ];
    expect(egressGap(hooks, roles, true)).toEqual({
      from: '2026-01-01T00:00:20.000Z',
      fromAddress: 'module.vpc.aws_route.private[0]',
      to: '2026-01-01T00:03:20.250Z',
      toAddress: 'module.vpc.aws_eip_association.nat[0]',
      seconds: 180.3,
    });
    expect(egressGap(hooks, roles, false)?.seconds).toBeUndefined();
  });

  it('no egress-breaking change, no gap', () => {
    expect(egressGap([h('apply_start', 'module.vpc.aws_instance.nat[0]', 'create', 0)], roles, true)).toBeUndefined();
  });
});

describe('inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-inputs-'));
  const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('defaults', () => {
    const i = cutoverInputs(reader({ planfile: 'tfplan' }), {}, dir);
    expect(i).toMatchObject({
      workingDirectory: dir,
      terraform: 'terraform',
      applyArgs: [],
      maxApplies: 3,
      releaseTimeoutMs: 1_800_000,
      amiCheck: 'auto',
      ami: { namePattern: 'cabal-nat-al2023-*', requiredTags: [{ key: 'Role', value: 'cabal-nat' }] },
    });
    expect(i.pollIntervalMs).toBeUndefined();
    expect(i.expectedPlanSha).toBeUndefined();
    expect(() => i.region()).toThrow('region: not set');
    expect(cutoverInputs(reader({ planfile: 'tfplan' }), { AWS_REGION: 'eu-west-1' }, dir).region()).toBe('eu-west-1');
  });

  it('apply-args are one argument per line; poll-interval accepts adaptive or a duration', () => {
    const i = cutoverInputs(
      reader({
        planfile: 'p',
        'apply-args': '-var-file=prod.tfvars\n\n  -var=azs=["a","b"]  \n-lock-timeout=30m',
        'poll-interval': '3s',
        'expected-plan-sha': 'A'.repeat(64),
      }),
      {},
      dir,
    );
    expect(i.applyArgs).toEqual(['-var-file=prod.tfvars', '-var=azs=["a","b"]', '-lock-timeout=30m']);
    expect(i.pollIntervalMs).toBe(3000);
    expect(cutoverInputs(reader({ planfile: 'p', 'health-timeout': '90s' }), {}, dir).healthTimeoutMs).toBe(90_000);
    expect(cutoverInputs(reader({ planfile: 'p' }), {}, dir).healthTimeoutMs).toBe(300_000);
    expect(i.expectedPlanSha).toBe('a'.repeat(64));
    expect(
      cutoverInputs(reader({ planfile: 'p', 'poll-interval': 'adaptive' }), {}, dir).pollIntervalMs,
    ).toBeUndefined();
  });

  it.each([
    [{ 'working-directory': 'nope' }, 'working-directory: nope is not a directory'],
    [{ 'max-applies': '11' }, 'max-applies: 11 is above the maximum 10'],
    [{ 'release-timeout': '0' }, 'release-timeout: must be longer than 0'],
    [{ 'poll-interval': '10m' }, 'poll-interval: 10m is longer than the maximum 5m'],
    [{ 'apply-args': '-json' }, 'apply-args: -json is set by cutover itself; remove it'],
    [{ 'health-timeout': '-5m' }, 'health-timeout: "-5m" must be a positive duration (allowed: 10s to 1h, default 5m)'],
    [{ 'health-timeout': '0' }, 'health-timeout: "0" must be a positive duration (allowed: 10s to 1h, default 5m)'],
    [{ 'health-timeout': '0s' }, 'health-timeout: "0s" must be a positive duration (allowed: 10s to 1h, default 5m)'],
    [{ 'health-timeout': '5s' }, 'health-timeout: 5s is shorter than the minimum 10s (allowed: 10s to 1h, default 5m)'],
    [{ 'health-timeout': '2h' }, 'health-timeout: 2h is longer than the maximum 1h (allowed: 10s to 1h, default 5m)'],
  ])('%j → %s', (values, message) => {
    expect(() => cutoverInputs(reader({ planfile: 'p', ...values }), {}, dir)).toThrow(new InputError(message));
  });
});

describe('the job summary', () => {
  it('is markdown-safe with hostile values from terraform', () => {
    const r: CutoverResult = {
      result: 'failed',
      applies: 1,
      retriedBecause: '',
      egressGaps: [],
      bridges: [],
      timeline: {
        steps: [
          {
            step: 'apply',
            n: 1,
            started: '2026-01-01T12:00:00.000Z',
            ended: '2026-01-01T12:01:00.000Z',
            seconds: 60,
            outcome: 'failed',
            detail: '<img src=x> @team',
          },
        ],
      },
      planSha: 'f'.repeat(64),
      modeSwitch: 'gateway-to-instance',
      expectedApplies: 2,
      waits: [],
      failure: 'boom <script>',
      nextSteps: ['Do [this](https://evil.example)'],
      errors: [
        { severity: 'error', summary: 'bad `code` <b>x</b> @octocat', detail: '', address: 'aws_x.y | z', at: 0 },
      ],
      unexpected: [],
      warnings: [],
    };
    const md = renderSummary(r);
    expect(md).toContain('## cutover: FAILED after 1 apply');
    expect(md).not.toMatch(/<img|<script|<b>|@octocat|@team|\]\(https:/);
    expect(md).toContain('&lt;img src=x&gt;');
  });
});
