/**
 * The release wait's progress events (runtime/progress.ts releaseProgress, wired by cutover/watch.ts): each state
 * line is a stage of the `release` wait (one stage whose text changes, timed from the start of the wait), the
 * release is its end `released` with the "released after" line, and every other ending is an end without a line.
 * The log keeps every line, word for word and once, whether or not a channel listens.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeAddressesCommand, DescribeNatGatewaysCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  VirtualClock,
  createProgress,
  releaseProgress,
  type ProgressMessage,
  type ReleaseProgress,
} from '@nat-egress/shared/runtime';
import { waitForRelease } from '../../src/cutover/release';
import type { ReleaseOptions } from '../../src/cutover/release-machine';

const ALLOC = 'eipalloc-00a1b2c3d4e5f6a7b8';
const GW = 'nat-000f1e2d3c4b5a6978';
const target = { allocationIds: [ALLOC], gatewayIds: [GW] };

/** A gateway deleting for `deletingMs`, its address associated `lingerMs` longer; `state` pins the gateway's. */
function world(clock: VirtualClock, deletingMs: number, lingerMs: number, state?: string) {
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(ec2);
  const start = clock.now();
  mock.on(DescribeNatGatewaysCommand).callsFake(() => ({
    NatGateways: [
      {
        NatGatewayId: GW,
        State: state ?? (clock.now() - start < deletingMs ? 'deleting' : 'deleted'),
        NatGatewayAddresses: [{ AllocationId: ALLOC }],
      },
    ],
  }));
  mock.on(DescribeAddressesCommand).callsFake(() => ({
    Addresses: [
      {
        AllocationId: ALLOC,
        ...(clock.now() - start < deletingMs + lingerMs
          ? { AssociationId: 'eipassoc-gw', NetworkInterfaceId: 'eni-gw' }
          : {}),
      },
    ],
  }));
  return { ec2, mock };
}

/** A progress recorder: the log lines, and the channel's messages as a parent reads them. */
function recorder(clock: VirtualClock) {
  const lines: string[] = [];
  const events: ProgressMessage[] = [];
  const progress = createProgress({
    log: (l) => lines.push(l),
    channel: (j) => events.push(JSON.parse(j)),
    now: () => clock.now(),
  });
  return { lines, events, progress };
}

/** The same wait twice: its log without progress, and its log and events with a ReleaseProgress. */
async function both(
  setup: (clock: VirtualClock) => { ec2: EC2Client },
  options: Partial<ReleaseOptions>,
  wrap: (p: ReleaseProgress) => ReleaseProgress = (p) => p,
) {
  const plainClock = new VirtualClock();
  const plain: string[] = [];
  const plainResult = await waitForRelease(target, {
    ec2: setup(plainClock).ec2,
    clock: plainClock,
    timeoutMs: 30 * 60_000,
    log: (l) => plain.push(l),
    ...options,
  });
  const clock = new VirtualClock();
  const rec = recorder(clock);
  const others: string[] = [];
  const result = await waitForRelease(target, {
    ec2: setup(clock).ec2,
    clock,
    timeoutMs: 30 * 60_000,
    log: (l) => others.push(l),
    progress: wrap(releaseProgress(rec.progress, clock)),
    ...options,
  });
  return { plain, plainResult, result, ...rec, others, startedAt: result.startedAt };
}

const brief = (events: ProgressMessage[]) =>
  events.map((e) =>
    e.type === 'stage' ? `stage ${e.stage} @${e.since}` : e.type === 'end' ? `end ${e.outcome}` : `az ${e.az}`,
  );

describe('the release wait reports progress', () => {
  it('re-apply path: a stage per state line, then the end `released` with its line; the log is unchanged', async () => {
    const r = await both((c) => world(c, 30_000, 7_000), { graceMs: 10_000 });
    expect(r.result.outcome).toBe('released');
    const at = r.startedAt;
    expect(brief(r.events)).toEqual([
      `stage waiting for NAT gateway(s) to finish deleting: ${GW} deleting @${at}`,
      `stage NAT gateway(s) deleted; Elastic IP(s) still associated: ${ALLOC} @${at}`,
      'end released',
    ]);
    const end = r.events.at(-1) as ProgressMessage & { type: 'end' };
    expect(end.elapsedMs).toBe((r.result.releasedAt as number) - at);
    // Every line once, in the same order and words as without progress: state and end lines through the emitter.
    expect(r.lines).toEqual([r.plain[0], r.plain[2], r.plain[3]]);
    expect([r.lines[0], r.others[0], ...r.lines.slice(1)]).toEqual(r.plain);
    expect(r.others).toEqual([`NAT gateway(s) ${GW} deleted: checking the Elastic IPs`]);
    expect(r.lines.at(-1)).toMatch(/^Elastic IP\(s\) released after \d+s; grace 10s before re-applying$/);
    expect(r.result.message).toBe(r.plainResult.message);
  });

  it('fast restore: the watch line is the stage, prefixed with the address as the race watch logs it', async () => {
    const prefix = 'module.vpc.aws_eip_association.nat[0]: ';
    const r = await both(
      (c) => world(c, 8_000, 0),
      { watch: 'addresses' },
      (p) => ({
        state: (l) => p.state(prefix + l),
        released: (l) => p.released(prefix + l),
        stopped: (o) => p.stopped(o),
      }),
    );
    expect(brief(r.events)).toEqual([
      `stage ${prefix}watching ${ALLOC} every 1s until EC2 shows it free @${r.startedAt}`,
      'end released',
    ]);
    expect(r.lines).toEqual(r.plain.map((l) => prefix + l));
    expect(r.lines.at(-1)).toMatch(/^module\.vpc\.aws_eip_association\.nat\[0\]: Elastic IP\(s\) released after \d+s$/);
  });

  it.each([
    ['timeout', () => world(new VirtualClock(), Number.POSITIVE_INFINITY, 0), 'timeout'],
    ['not the race', () => world(new VirtualClock(), 0, 0, 'available'), 'not-race'],
  ])('%s: the end without a line', async (_name, make, outcome) => {
    const r = await both(() => make(), { timeoutMs: 60_000 });
    expect(r.result.outcome).toBe(outcome);
    expect(r.events.at(-1)).toMatchObject({ type: 'end', wait: 'release', outcome });
    expect(r.events.filter((e) => e.type === 'end')).toHaveLength(1);
    expect([...r.lines, ...r.others].sort()).toEqual([...r.plain].sort());
  });

  it('cancelled, or an EC2 error: the end `stopped`', async () => {
    const clock = new VirtualClock();
    const rec = recorder(clock);
    const controller = new AbortController();
    clock.onSleep = () => {
      if (clock.sleeps.length === 3) controller.abort(); // the run is cancelled during the third pause
    };
    const w = world(clock, Number.POSITIVE_INFINITY, 0);
    const r = await waitForRelease(target, {
      ec2: w.ec2,
      clock,
      timeoutMs: 60_000,
      signal: controller.signal,
      progress: releaseProgress(rec.progress, clock),
    });
    expect(r.outcome).toBe('cancelled');
    expect(brief(rec.events).at(-1)).toBe('end stopped');
    const failing = recorder(clock);
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mockClient(ec2)
      .on(DescribeNatGatewaysCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation', $metadata: {} }));
    await expect(
      waitForRelease(target, { ec2, clock, timeoutMs: 60_000, progress: releaseProgress(failing.progress, clock) }),
    ).rejects.toThrow('EC2 DescribeNatGateways failed while confirming the EIP race');
    expect(brief(failing.events)).toEqual(['end stopped']);
  });
});
