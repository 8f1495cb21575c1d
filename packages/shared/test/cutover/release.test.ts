import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeAddressesCommand, DescribeNatGatewaysCommand, EC2Client } from '@aws-sdk/client-ec2';
import { VirtualClock } from '@nat-egress/shared/runtime';
import { ADAPTIVE_MAX_MS } from '@nat-egress/shared/cutover';
import { waitForRelease } from '../../src/cutover/release';
import { adaptiveInterval } from '../../src/cutover/release-machine';

const ALLOC = 'eipalloc-00a1b2c3d4e5f6a7b8';
const GW = 'nat-000f1e2d3c4b5a6978';

/** A gateway deleting for `deleting` ms of virtual time, its address associated `linger` ms longer. */
function world(
  clock: VirtualClock,
  deletingMs: number,
  lingerMs: number,
  extra: { throttleFirst?: number; state?: string } = {},
) {
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(ec2);
  const start = clock.now();
  let throttles = extra.throttleFirst ?? 0;
  mock.on(DescribeNatGatewaysCommand).callsFake(() => {
    if (throttles-- > 0)
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
        $retryable: { throttling: true },
      });
    const state = extra.state ?? (clock.now() - start < deletingMs ? 'deleting' : 'deleted');
    return {
      NatGateways: [
        { NatGatewayId: GW, State: state, NatGatewayAddresses: [{ AllocationId: ALLOC }] },
        { NatGatewayId: 'nat-0other', State: 'available', NatGatewayAddresses: [{ AllocationId: 'eipalloc-0other' }] },
      ],
    };
  });
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
  return { ec2, mock, releasedAt: start + deletingMs + lingerMs };
}

const target = { allocationIds: [ALLOC], gatewayIds: [GW] };

describe('waiting for the Elastic IPs to be released', () => {
  it('polls the gateway until deleted, then the address until free, then a grace; one EC2 call per poll', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 95_000, 3_000);
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 30 * 60_000 });
    expect(r.outcome).toBe('released');
    expect(r.releasedAt! - w.releasedAt).toBeGreaterThanOrEqual(0);
    expect(r.releasedAt! - w.releasedAt).toBeLessThanOrEqual(ADAPTIVE_MAX_MS);
    expect(r.endedAt - r.releasedAt!).toBe(2_000);
    expect(r.ec2Calls).toBe(r.polls);
    expect(r.ec2Calls).toBeLessThanOrEqual((r.endedAt - r.startedAt) / ADAPTIVE_MAX_MS + 5);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(ADAPTIVE_MAX_MS);
    // after the first poll found the gateway, later polls ask only for it
    const later = w.mock.commandCalls(DescribeNatGatewaysCommand)[1]!.args[0].input;
    expect(later.Filter).toEqual([
      { Name: 'state', Values: ['pending', 'failed', 'available', 'deleting', 'deleted'] },
      { Name: 'nat-gateway-id', Values: [GW] },
    ]);
    expect(r.gateways).toEqual([{ id: GW, state: 'deleted', allocationIds: [ALLOC] }]);
  });

  it('the adaptive interval: 2 s, 3 s, 4 s, then 5 s while deleting; 3 s for a lingering address', () => {
    expect([0, 1, 2, 3, 4, 50].map((n) => adaptiveInterval('gateways', n))).toEqual([
      2000, 3000, 4000, 5000, 5000, 5000,
    ]);
    expect(adaptiveInterval('addresses', 7)).toBe(3000);
  });

  it('a fixed poll-interval is used as given', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 60_000, 0);
    await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 600_000, pollIntervalMs: 10_000, graceMs: 0 });
    expect(new Set(clock.sleeps)).toEqual(new Set([10_000]));
  });

  it('a gateway stuck deleting: timeout at release-timeout, naming it', async () => {
    const clock = new VirtualClock();
    const w = world(clock, Number.POSITIVE_INFINITY, 0);
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 15 * 60_000 });
    expect(r.outcome).toBe('timeout');
    expect(r.message).toBe(`NAT gateway(s) ${GW} still deleting after 15m (release-timeout 15m)`);
    expect(r.endedAt - r.startedAt).toBe(15 * 60_000);
    expect(r.ec2Calls).toBeLessThanOrEqual((15 * 60) / 5 + 5);
  });

  it('an address that never frees: timeout naming the address', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 10_000, Number.POSITIVE_INFINITY);
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 60_000 });
    expect(r.outcome).toBe('timeout');
    expect(r.message).toContain(`Elastic IP(s) ${ALLOC} still associated after the gateway(s) were deleted`);
  });

  it('throttling (after the SDK gave up) backs off and keeps waiting', async () => {
    const clock = new VirtualClock();
    const logs: string[] = [];
    const w = world(clock, 30_000, 0, { throttleFirst: 4 });
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 30 * 60_000, log: (m) => logs.push(m) });
    expect(r.outcome).toBe('released');
    expect(r.throttled).toBe(4);
    expect(clock.sleeps.slice(0, 4)).toEqual([4_000, 8_000, 16_000, 20_000]);
    expect(logs.filter((l) => l.includes('throttling')).length).toBe(4);
  });

  it('a permission error is not swallowed: it names the missing permissions', async () => {
    const clock = new VirtualClock();
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mockClient(ec2)
      .on(DescribeNatGatewaysCommand)
      .rejects(
        Object.assign(new Error('You are not authorized to perform this operation.'), {
          name: 'UnauthorizedOperation',
          $metadata: { httpStatusCode: 403 },
        }),
      );
    await expect(waitForRelease(target, { ec2, clock, timeoutMs: 60_000 })).rejects.toThrow(
      '(the role needs ec2:DescribeNatGateways and ec2:DescribeAddresses)',
    );
  });

  it('a gateway that is available (not being deleted) is not waited for', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 0, 0, { state: 'available' });
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 60_000 });
    expect(r.outcome).toBe('not-race');
    expect(r.polls).toBe(1);
  });

  it('an Elastic IP that no longer exists: not the race', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 0, 0);
    w.mock.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 60_000 });
    expect(r.outcome).toBe('not-race');
    expect(r.message).toContain(`Elastic IP ${ALLOC} no longer exists`);
  });

  it('cancellation stops the wait', async () => {
    const clock = new VirtualClock();
    const w = world(clock, Number.POSITIVE_INFINITY, 0);
    const controller = new AbortController();
    clock.onSleep = (now) => {
      if (now - Date.UTC(2026, 0, 1, 12) > 20_000) controller.abort();
    };
    const r = await waitForRelease(target, { ec2: w.ec2, clock, timeoutMs: 30 * 60_000, signal: controller.signal });
    expect(r.outcome).toBe('cancelled');
    expect(r.endedAt - r.startedAt).toBeLessThan(30_000);
  });

  it('nothing to look for: cannot confirm', async () => {
    const clock = new VirtualClock();
    const w = world(clock, 0, 0);
    const r = await waitForRelease({ allocationIds: [], gatewayIds: [] }, { ec2: w.ec2, clock, timeoutMs: 60_000 });
    expect(r.outcome).toBe('not-race');
    expect(r.ec2Calls).toBe(0);
  });
});
