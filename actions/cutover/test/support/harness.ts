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
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  processDriver,
  type CutoverDeps,
  type CutoverOptions,
  type RenderedLine,
} from '@nat-egress/shared/terraform';

const here = dirname(fileURLToPath(import.meta.url));
export const FAKE_TF_DIR = join(here, '..', 'fake-terraform');
export const FAKE_TF = join(FAKE_TF_DIR, 'terraform');

export interface Scenario {
  plans: Record<string, unknown>;
  apply?: unknown[];
  plan?: unknown[];
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
    ...extra,
  };
}

export function deps(dir: string, extra: { clock?: VirtualClock; signal?: AbortSignal; graceMs?: number; terraform?: string } = {}) {
  const lines: RenderedLine[] = [];
  const secrets: string[] = [];
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' }, maxAttempts: 1 });
  const clock = extra.clock ?? new VirtualClock();
  const d: CutoverDeps = {
    terraform: processDriver({ terraform: extra.terraform ?? FAKE_TF, cwd: dir, env: { ...process.env, FAKE_TF_DIR: dir }, graceMs: extra.graceMs ?? 5_000, killGraceMs: 2_000 }),
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
  /** Polls of DescribeNatGateways during which the gateways are still `deleting`. */
  deletingPolls: number;
  /** DescribeAddresses calls during which the addresses are still associated after `deleted`. */
  lingeringPolls?: number;
  /** DescribeNatGateways calls that fail with throttling first. */
  throttle?: number;
  /** State the gateways report (overrides deleting → deleted). */
  stuckState?: string;
  azs?: number;
  /** No NAT gateway ever held the addresses. */
  noGateways?: boolean;
}

/** A simulated EC2: gateways that stay `deleting` for N polls, addresses that stay associated a little longer. */
export function simulateEc2(ec2: EC2Client, world: Ec2World) {
  const mock = mockClient(ec2);
  const azs = world.azs ?? 2;
  let gwPolls = 0;
  let addrPolls = 0;
  let throttles = world.throttle ?? 0;
  mock.on(DescribeNatGatewaysCommand).callsFake(() => {
    if (throttles > 0) {
      throttles--;
      throw Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    }
    gwPolls++;
    if (world.noGateways) return { NatGateways: [] };
    const state = world.stuckState ?? (gwPolls <= world.deletingPolls ? 'deleting' : 'deleted');
    return {
      NatGateways: Array.from({ length: azs }, (_, i) => ({
        NatGatewayId: `nat-0${i}0f1e2d3c4b5a6978`,
        State: state,
        NatGatewayAddresses: [{ AllocationId: `eipalloc-0${i}a1b2c3d4e5f6a7b8`, PublicIp: `203.0.113.${10 + i}`, NetworkInterfaceId: `eni-0gw${i}` }],
      })),
    };
  });
  mock.on(DescribeAddressesCommand).callsFake((input: { AllocationIds?: string[] }) => {
    addrPolls++;
    const lingering = addrPolls <= (world.lingeringPolls ?? 0);
    return {
      Addresses: (input.AllocationIds ?? []).map((a) => ({
        AllocationId: a,
        PublicIp: '203.0.113.10',
        Domain: 'vpc',
        ...(lingering ? { AssociationId: `eipassoc-gw-${a.slice(-4)}`, NetworkInterfaceId: 'eni-0gw0' } : {}),
      })),
    };
  });
  return {
    mock,
    gatewayPolls: () => gwPolls,
    addressPolls: () => addrPolls,
    calls: () => mock.commandCalls(DescribeNatGatewaysCommand).length + mock.commandCalls(DescribeAddressesCommand).length,
    images: mock.on(DescribeImagesCommand),
  };
}
