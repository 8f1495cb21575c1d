/**
 * verify-egress's waits on virtual time: `wait` is a hard deadline for re-checks (a re-check still in flight when it
 * ends is abandoned, the last complete check stands), `timeout` for everything, and a cancel stops at once.
 */
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { verifyEgress, type VerifyOptions } from '../src/egress/index';
import { ActionFailure, CancelledError, VirtualClock } from '../src/runtime/index';

const never = () => new Promise<never>(() => undefined);

function setup(logsHangFromCall: number) {
  const ec2 = mockClient(EC2Client);
  ec2.onAnyCommand().resolves({});
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.0.0/16' }] });
  const logs = mockClient(CloudWatchLogsClient);
  let calls = 0;
  logs
    .on(FilterLogEventsCommand)
    .callsFake(() => (++calls >= logsHangFromCall ? never() : Promise.resolve({ events: [] })));
  const clients = {
    ec2: new EC2Client({ region: 'us-east-1' }),
    ssm: new SSMClient({ region: 'us-east-1' }),
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
  };
  return { clients, restore: () => (ec2.restore(), logs.restore()) };
}

const base: VerifyOptions = {
  region: 'us-east-1',
  vpcId: 'vpc-0123456789abcdef0',
  mode: 'auto',
  natNamePattern: 'cabal-nat-*',
  expectedIps: [],
  probe: 'off',
  probeInstanceIds: [],
  probeUrl: 'https://checkip.amazonaws.com',
  logGroups: ['/ecs/cabal-imap'],
  maxLogSilenceMs: 15 * 60_000,
  expectQuiesced: false,
  waitMs: 0,
  failOn: 'warning',
  recheckMs: 1_000,
};

/** Runs `p` while moving virtual time forward in 1 s steps (bounded), so timers on the clock can fire. */
async function drive<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let settled = false;
  const out = p.finally(() => (settled = true));
  out.catch(() => undefined);
  for (let i = 0; i < 1000 && !settled; i++) {
    await new Promise((r) => setImmediate(r));
    if (!settled) clock.advance(1_000);
  }
  return out;
}

describe('verify-egress deadlines on virtual time', () => {
  it('a re-check in flight when the wait ends is abandoned; the last complete check stands', async () => {
    // Each check reads logs twice (fresh window, then the look-back); the second check hangs on its first read.
    const { clients, restore } = setup(3);
    const clock = new VirtualClock();
    const lines: string[] = [];
    try {
      const result = await drive(
        clock,
        verifyEgress(clients, clock, { ...base, waitMs: 5_000 }, (l) => lines.push(l)),
      );
      expect(result.attempts).toBe(1);
      expect(result.healthy).toBe(false);
      expect(lines).toContain(
        'check 2 abandoned: the wait (5s) ended while checking log freshness (CloudWatch Logs); check 1 stands',
      );
      expect(result.elapsedMs).toBe(5_000);
    } finally {
      restore();
    }
  });

  it('a first check that cannot finish ends at the timeout with the phase it was in', async () => {
    const { clients, restore } = setup(1);
    const clock = new VirtualClock();
    try {
      const p = drive(clock, verifyEgress(clients, clock, { ...base, waitMs: 0, timeoutMs: 30_000 }));
      await expect(p).rejects.toThrow(
        new ActionFailure(
          'timed out after 30s while checking log freshness (CloudWatch Logs) (check 1; the AWS call in flight was abandoned)',
        ),
      );
    } finally {
      restore();
    }
  });

  it('a cancel ends a check in flight at once with the signal reason', async () => {
    const { clients, restore } = setup(1);
    const clock = new VirtualClock();
    const controller = new AbortController();
    try {
      const p = verifyEgress(clients, clock, { ...base, signal: controller.signal });
      setImmediate(() => controller.abort(new CancelledError('SIGTERM')));
      await expect(p).rejects.toBeInstanceOf(CancelledError);
    } finally {
      restore();
    }
  });
});
