/**
 * Test harness: a temp working directory with a fake saved plan and a scenario for the fake terraform
 * (test/fake-terraform/terraform), the real process driver pointed at it, a simulated EC2 (aws-sdk-client-mock)
 * and a VirtualClock, and the log lines the cutover wrote.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '@nat-egress/shared/runtime';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  type CutoverDeps,
  type CutoverOptions,
} from '@nat-egress/shared/cutover';
import { DescribeImagesCommand } from '../../../../packages/shared/src/cutover/clients';
import { processDriver, type RenderedLine } from '@nat-egress/shared/terraform';

const here = dirname(fileURLToPath(import.meta.url));
export const FAKE_TF_DIR = join(here, '..', 'fake-terraform');
export const FAKE_TF = join(FAKE_TF_DIR, 'terraform');

export interface Scenario {
  plans: Record<string, unknown>;
  apply?: unknown[];
  plan?: unknown[];
  /** What `terraform state list` prints (addresses). */
  stateList?: string[];
}

export interface Call {
  argv: string[];
  cwd: string;
  planKey?: string;
  signals: string[];
  exit?: number;
  event?: string;
}

export function workspace(scenario: Scenario, planKey = 'reviewed') {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-test-'));
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  writeFileSync(join(dir, 'tfplan'), `FAKEPLAN:${planKey}\n`);
  return {
    dir,
    calls(): Call[] {
      const file = join(dir, 'calls.jsonl');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Call)
        .filter((c) => c.event === undefined);
    },
  };
}

export function options(dir: string, extra: Partial<CutoverOptions> = {}): CutoverOptions {
  return {
    workingDirectory: dir,
    planfile: 'tfplan',
    applyArgs: ['-var-file=prod.tfvars', '-lock-timeout=30m'],
    maxApplies: 3,
    releaseTimeoutMs: 30 * 60_000,
    amiCheck: 'off',
    ami: { namePattern: 'cabal-nat-al2023-*', requiredTags: [{ key: 'Role', value: 'cabal-nat' }] },
    // The phases' tests apply the whole plan at once (the bridged switch has its own tests).
    strategy: 'in-place',
    ...extra,
  };
}

export function deps(
  dir: string,
  extra: { clock?: VirtualClock; signal?: AbortSignal; graceMs?: number; terraform?: string } = {},
) {
  const lines: RenderedLine[] = [];
  const secrets: string[] = [];
  const ec2 = new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const clock = extra.clock ?? new VirtualClock();
  const d: CutoverDeps = {
    terraform: processDriver({
      terraform: extra.terraform ?? FAKE_TF,
      cwd: dir,
      env: { ...process.env, FAKE_TF_DIR: dir },
      graceMs: extra.graceMs ?? 5_000,
      killGraceMs: 2_000,
    }),
    ec2: () => ec2,
    clock,
    out: {
      line: (l) => lines.push(l),
      startGroup: (t) => lines.push({ level: 'info', text: `::group::${t}` }),
      endGroup: () => lines.push({ level: 'info', text: '::endgroup::' }),
      secret: (v) => secrets.push(v),
    },
    tempDir: dir,
    ...(extra.signal ? { signal: extra.signal } : {}),
  };
  return { deps: d, lines, secrets, ec2, clock, text: () => lines.map((l) => l.text).join('\n') };
}

export interface Ec2World {
  /** Polls of DescribeNatGateways during which the gateways are still `deleting` (their addresses associated). */
  deletingPolls: number;
  /**
   * DescribeAddresses calls naming an address during which it is still associated after the gateways showed
   * `deleted` (counted per address: one watch's polls do not free another watch's address).
   */
  lingeringPolls?: number;
  /** DescribeNatGateways calls that fail with throttling first. */
  throttle?: number;
  /** State the gateways report (overrides deleting → deleted). */
  stuckState?: string;
  azs?: number;
  /** No NAT gateway ever held the addresses. */
  noGateways?: boolean;
  /** AssociateAddress answers with this error code (every time, or the first `associateErrors` times). */
  associateError?: string;
  associateErrors?: number;
  /** Called when AssociateAddress is sent. */
  onAssociate?: (input: { AllocationId?: string; InstanceId?: string; NetworkInterfaceId?: string }) => void;
}

/**
 * A simulated EC2: gateways that stay `deleting` for N polls (holding their addresses), addresses that stay
 * associated a little longer, and AssociateAddress that fails while the address is held (AllowReassociation false).
 */
export function simulateEc2(ec2: EC2Client, world: Ec2World) {
  const mock = mockClient(ec2);
  const azs = world.azs ?? 2;
  let gwPolls = 0;
  let addrPolls = 0;
  // Each Elastic IP lingers on its own: DescribeAddresses calls naming it after the gateways showed `deleted`.
  const addrPollsAfterDeleted = new Map<string, number>();
  let deletedSeen = false;
  let throttles = world.throttle ?? 0;
  let associateErrors = world.associateErrors ?? (world.associateError ? Number.POSITIVE_INFINITY : 0);
  const associated = new Map<string, string>();
  const held = (allocationId: string) =>
    !deletedSeen || (addrPollsAfterDeleted.get(allocationId) ?? 0) <= (world.lingeringPolls ?? 0);
  mock.on(DescribeNatGatewaysCommand).callsFake(() => {
    if (throttles > 0) {
      throttles--;
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'RequestLimitExceeded',
        $metadata: { httpStatusCode: 503 },
      });
    }
    gwPolls++;
    if (world.noGateways) return { NatGateways: [] };
    const state = world.stuckState ?? (gwPolls <= world.deletingPolls ? 'deleting' : 'deleted');
    if (state === 'deleted') deletedSeen = true;
    return {
      NatGateways: Array.from({ length: azs }, (_, i) => ({
        NatGatewayId: `nat-0${i}0f1e2d3c4b5a6978`,
        State: state,
        NatGatewayAddresses: [
          {
            AllocationId: `eipalloc-0${i}a1b2c3d4e5f6a7b8`,
            PublicIp: `203.0.113.${10 + i}`,
            NetworkInterfaceId: `eni-0gw${i}`,
          },
        ],
      })),
    };
  });
  mock.on(DescribeAddressesCommand).callsFake((input: { AllocationIds?: string[] }) => {
    addrPolls++;
    const ids = input.AllocationIds ?? [];
    if (deletedSeen) for (const a of ids) addrPollsAfterDeleted.set(a, (addrPollsAfterDeleted.get(a) ?? 0) + 1);
    return {
      Addresses: ids.map((a) => ({
        AllocationId: a,
        PublicIp: '203.0.113.10',
        Domain: 'vpc',
        ...(associated.has(a)
          ? { AssociationId: associated.get(a), InstanceId: 'i-new' }
          : !world.noGateways && held(a)
            ? { AssociationId: `eipassoc-gw-${a.slice(-4)}`, NetworkInterfaceId: 'eni-0gw0' }
            : {}),
      })),
    };
  });
  mock
    .on(AssociateAddressCommand)
    .callsFake(
      (input: {
        AllocationId?: string;
        InstanceId?: string;
        NetworkInterfaceId?: string;
        AllowReassociation?: boolean;
      }) => {
        world.onAssociate?.(input);
        if (associateErrors > 0) {
          associateErrors--;
          throw Object.assign(new Error(`${world.associateError ?? 'AuthFailure'}: simulated`), {
            name: world.associateError ?? 'AuthFailure',
            $metadata: { httpStatusCode: 400 },
          });
        }
        if (held(input.AllocationId ?? ''))
          throw Object.assign(new Error('You do not have permission to access the specified resource.'), {
            name: 'AuthFailure',
            $metadata: { httpStatusCode: 400 },
          });
        const id = `eipassoc-0cut${(input.AllocationId ?? '').slice(9, 11)}feed`;
        associated.set(input.AllocationId ?? '', id);
        return { AssociationId: id };
      },
    );
  return {
    mock,
    gatewayPolls: () => gwPolls,
    addressPolls: () => addrPolls,
    /** DescribeNatGateways + DescribeAddresses calls after the preflight's one. */
    calls: () =>
      mock.commandCalls(DescribeNatGatewaysCommand).length + mock.commandCalls(DescribeAddressesCommand).length,
    associations: () => mock.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input),
    images: mock.on(DescribeImagesCommand),
  };
}
