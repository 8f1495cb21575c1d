/**
 * The release wait's state machine on its own (cutover/release-machine.ts): the schedule as data, and each
 * polling state's transition — what it asks EC2, what it logs, where it goes. The whole wait (loop, back-off,
 * deadline, grace) is tested in release.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeAddressesCommand, DescribeNatGatewaysCommand, EC2Client } from '@aws-sdk/client-ec2';
import { VirtualClock } from '@nat-egress/shared/runtime';
import {
  FAST_GATEWAY_EVERY_MS,
  SCHEDULE,
  THROTTLE,
  TRANSITIONS,
  type PollState,
  type Wait,
} from '../../src/cutover/release-machine';

const ALLOC = 'eipalloc-00a1b2c3d4e5f6a7b8';
const GW = 'nat-000f1e2d3c4b5a6978';

function setup(gatewayState: string, associated: boolean, extra: { fast?: boolean } = {}) {
  const clock = new VirtualClock();
  const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(ec2);
  const world = { gatewayState, associated };
  mock.on(DescribeNatGatewaysCommand).callsFake(() => ({
    NatGateways: [{ NatGatewayId: GW, State: world.gatewayState, NatGatewayAddresses: [{ AllocationId: ALLOC }] }],
  }));
  mock.on(DescribeAddressesCommand).callsFake(() => ({
    Addresses: [{ AllocationId: ALLOC, ...(world.associated ? { AssociationId: 'eipassoc-gw' } : {}) }],
  }));
  const logs: string[] = [];
  const confirmed: number[] = [];
  const w: Wait = {
    target: { allocationIds: [ALLOC], gatewayIds: [GW] },
    options: { ec2, clock, timeoutMs: 600_000, onConfirmed: (_g, at) => confirmed.push(at) },
    wanted: new Set([ALLOC]),
    fast: extra.fast ?? false,
    log: (m) => logs.push(m),
    startedAt: clock.now(),
    deadline: clock.now() + 600_000,
    state: 'confirming',
    seen: new Map(),
    lastGatewayPoll: 0,
    lastLine: '',
    stillAssociated: [ALLOC],
    polls: 0,
    ec2Calls: 0,
    throttled: 0,
    phasePolls: 0,
    backoffMs: 0,
  };
  const step = (state: PollState) => TRANSITIONS[state](w);
  return { w, world, mock, clock, logs, confirmed, step };
}

describe('the poll schedule', () => {
  it('adaptive 2/3/4/5 s on the gateways, 3 s on a lingering address, 1 s while watching; throttle 4 s → 20 s', () => {
    expect([0, 1, 2, 3, 9].map(SCHEDULE.confirming.intervalMs)).toEqual([2000, 3000, 4000, 5000, 5000]);
    expect([0, 3].map(SCHEDULE['gateways-deleting'].intervalMs)).toEqual([2000, 5000]);
    expect([0, 5].map(SCHEDULE['address-lingering'].intervalMs)).toEqual([3000, 3000]);
    expect([0, 5].map(SCHEDULE['address-watching'].intervalMs)).toEqual([1000, 1000]);
    expect(Object.entries(SCHEDULE).map(([s, p]) => `${s}:${p.phase}`)).toEqual([
      'confirming:gateways',
      'gateways-deleting:gateways',
      'address-lingering:addresses',
      'address-watching:addresses',
    ]);
    expect(THROTTLE).toEqual({ firstMs: 4_000, factor: 2, maxMs: 20_000 });
    expect(FAST_GATEWAY_EVERY_MS).toBe(15_000);
  });
});

describe('the transitions', () => {
  it('re-apply path: confirming → gateways-deleting → address-lingering → grace, one line per change', async () => {
    const s = setup('deleting', true);
    expect(await s.step('confirming')).toEqual({ state: 'gateways-deleting' });
    expect(s.w.scope).toEqual([GW]);
    expect(s.confirmed).toEqual([s.clock.now()]);
    expect(await s.step('gateways-deleting')).toEqual({ state: 'gateways-deleting' });
    s.world.gatewayState = 'deleted';
    expect(await s.step('gateways-deleting')).toEqual({ state: 'address-lingering', now: true });
    expect(await s.step('address-lingering')).toEqual({ state: 'address-lingering' });
    expect(await s.step('address-lingering')).toEqual({ state: 'address-lingering' });
    s.world.associated = false;
    expect(await s.step('address-lingering')).toEqual({ state: 'grace' });
    expect(s.w.stillAssociated).toEqual([]);
    expect(s.logs).toEqual([
      `waiting for NAT gateway(s) to finish deleting: ${GW} deleting`,
      `NAT gateway(s) ${GW} deleted: checking the Elastic IPs`,
      `NAT gateway(s) deleted; Elastic IP(s) still associated: ${ALLOC}`,
    ]);
    expect(s.confirmed).toHaveLength(1);
    expect(s.w.ec2Calls).toBe(6);
  });

  it('fast restore: confirming → address-watching at once; the gateways again only every 15 s', async () => {
    const s = setup('deleting', true, { fast: true });
    expect(await s.step('confirming')).toEqual({ state: 'address-watching', now: true });
    expect(s.logs).toEqual([`watching ${ALLOC} every 1s until EC2 shows it free`]);
    expect(await s.step('address-watching')).toEqual({ state: 'address-watching' });
    expect(s.mock.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(1);
    s.clock.advance(FAST_GATEWAY_EVERY_MS);
    s.world.gatewayState = 'deleted';
    expect(await s.step('address-watching')).toEqual({ state: 'address-watching' });
    expect(s.mock.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(2);
    expect(s.logs.at(-1)).toBe(`NAT gateway(s) deleted; Elastic IP(s) still associated: ${ALLOC}`);
    s.world.associated = false;
    expect(await s.step('address-watching')).toEqual({ state: 'grace' });
  });

  it('not the race: no gateway at all, a gateway that is not being deleted, an address that is gone', async () => {
    const none = setup('deleting', true);
    none.mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    expect(await none.step('confirming')).toMatchObject({
      state: 'not-race',
      message: expect.stringMatching(/^no NAT/),
    });
    const available = setup('available', true);
    expect(await available.step('confirming')).toEqual({
      state: 'not-race',
      message: `NAT gateway ${GW} is available and still holds ${ALLOC}: it is not being deleted, so waiting cannot free the address`,
    });
    expect(available.confirmed).toEqual([]);
    const gone = setup('deleted', true);
    gone.mock.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    expect(await gone.step('address-lingering')).toEqual({
      state: 'not-race',
      message: `Elastic IP ${ALLOC} no longer exists: the plan's association cannot succeed; plan again`,
    });
  });
});
