import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeImagesCommand, EC2Client, type Image } from '@aws-sdk/client-ec2';
import {
  describeCandidate,
  explainRejections,
  findUsableAmi,
  noUsableAmiMessage,
  searchAmis,
  toCandidate,
  verifyAmi,
  type AmiCriteria,
} from '@nat-egress/shared/ami';
import { VirtualClock } from '@nat-egress/shared/runtime';

const CRITERIA: AmiCriteria = {
  namePattern: 'cabal-nat-al2023-*',
  requiredTags: [{ key: 'Role', value: 'cabal-nat' }],
};
const ec2Mock = mockClient(EC2Client);
const ec2 = new EC2Client({ region: 'us-east-1' });

function image(id: string, date: string, tags: Record<string, string>, extra: Partial<Image> = {}): Image {
  return {
    ImageId: id,
    Name: `cabal-nat-al2023-${date}`,
    CreationDate: `${date}T10:00:00.000Z`,
    State: 'available',
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    ...extra,
  };
}

beforeEach(() => {
  ec2Mock.reset();
});

describe('findUsableAmi / searchAmis', () => {
  it('returns the newest AMI that is available and carries every required tag', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        image('ami-old', '2026-01-01', { Role: 'cabal-nat' }),
        image('ami-untagged', '2026-01-05', { Name: 'cabal-nat-al2023' }),
        image('ami-good', '2026-01-03', { Role: 'cabal-nat', Name: 'cabal-nat-al2023' }),
        image('ami-pending', '2026-01-06', { Role: 'cabal-nat' }, { State: 'pending' }),
      ],
    });
    const ami = await findUsableAmi(ec2, CRITERIA);
    expect(ami).toEqual({
      imageId: 'ami-good',
      name: 'cabal-nat-al2023-2026-01-03',
      creationDate: '2026-01-03T10:00:00.000Z',
      tags: { Role: 'cabal-nat', Name: 'cabal-nat-al2023' },
    });
    // Owned by this account, name filtered server-side.
    expect(ec2Mock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toMatchObject({
      Owners: ['self'],
      Filters: [{ Name: 'name', Values: ['cabal-nat-al2023-*'] }],
    });
  });

  it('explains why the newer candidates were rejected', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({
      Images: [
        image('ami-good', '2026-01-03', { Role: 'cabal-nat' }),
        image('ami-untagged', '2026-01-05', {}),
        image('ami-other', '2026-01-04', { Role: 'web' }),
        image(
          'ami-broken',
          '2026-01-06',
          {},
          { State: 'failed', StateReason: { Code: 'Client.Error', Message: 'snapshot failed' } },
        ),
      ],
    });
    const search = await searchAmis(ec2, CRITERIA);
    expect(search.usable?.imageId).toBe('ami-good');
    expect(explainRejections(search)).toEqual([
      'cabal-nat-al2023-2026-01-06 (ami-broken) is failed (snapshot failed) and lacks tag Role=cabal-nat',
      'cabal-nat-al2023-2026-01-05 (ami-untagged) is available but lacks tag Role=cabal-nat',
      'cabal-nat-al2023-2026-01-04 (ami-other) is available but has tag Role=web, not Role=cabal-nat',
    ]);
  });

  it('returns undefined when nothing is usable, and says why in one line', async () => {
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [image('ami-1', '2026-01-05', { Name: 'x' })] });
    expect(await findUsableAmi(ec2, CRITERIA)).toBeUndefined();
    const search = await searchAmis(ec2, CRITERIA);
    expect(noUsableAmiMessage(search, 'us-east-1')).toBe(
      'no usable AMI named cabal-nat-al2023-* with tags Role=cabal-nat in us-east-1: cabal-nat-al2023-2026-01-05 (ami-1) is available but lacks tag Role=cabal-nat',
    );
  });

  it('follows DescribeImages pagination', async () => {
    ec2Mock
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [image('ami-a', '2026-01-01', { Role: 'cabal-nat' })], NextToken: 't2' })
      .resolvesOnce({ Images: [image('ami-b', '2026-01-09', { Role: 'cabal-nat' })] });
    expect((await findUsableAmi(ec2, CRITERIA))?.imageId).toBe('ami-b');
    const calls = ec2Mock.commandCalls(DescribeImagesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.NextToken).toBe('t2');
  });

  it('limits the explanation and counts the rest', () => {
    const candidates = Array.from({ length: 8 }, (_, i) =>
      toCandidate(image(`ami-${i}`, `2026-01-0${9 - i}`, {}), CRITERIA),
    );
    const lines = explainRejections({ criteria: CRITERIA, candidates }, 5);
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('… and 3 older rejected AMI(s)');
  });

  it('checks the name against the pattern locally too', () => {
    const c = toCandidate(
      { ImageId: 'ami-x', Name: 'web-2026', State: 'available', Tags: [{ Key: 'Role', Value: 'cabal-nat' }] },
      CRITERIA,
    );
    expect(describeCandidate(c)).toBe(
      'web-2026 (ami-x) is available but has a name that does not match cabal-nat-al2023-*',
    );
  });
});

describe('verifyAmi', () => {
  it('passes when the tags appear one poll late', async () => {
    const clock = new VirtualClock();
    ec2Mock
      .on(DescribeImagesCommand)
      .resolvesOnce({ Images: [image('ami-1', '2026-01-05', {})] })
      .resolves({ Images: [image('ami-1', '2026-01-05', { Role: 'cabal-nat' })] });
    const logs: string[] = [];
    const v = await verifyAmi(ec2, 'ami-1', CRITERIA, { clock, log: (m) => logs.push(m) });
    expect(v).toMatchObject({ ok: true, checks: 2, ami: { imageId: 'ami-1' } });
    expect(clock.sleeps).toEqual([10_000]);
    expect(logs).toEqual([
      'cabal-nat-al2023-2026-01-05 (ami-1) is available but lacks tag Role=cabal-nat; checking again in 10 s',
    ]);
  });

  it('gives up after the short wait when the tag never comes', async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [image('ami-1', '2026-01-05', {})] });
    const v = await verifyAmi(ec2, 'ami-1', CRITERIA, { clock, waitMs: 30_000, intervalMs: 10_000 });
    expect(v).toMatchObject({
      ok: false,
      reason: 'cabal-nat-al2023-2026-01-05 (ami-1) is available but lacks tag Role=cabal-nat',
      checks: 4,
    });
    expect(clock.now() - t0).toBe(30_000);
  });

  it('does not wait for what time cannot fix (wrong tag value, failed state, wrong name)', async () => {
    const clock = new VirtualClock();
    ec2Mock.on(DescribeImagesCommand).resolves({ Images: [image('ami-1', '2026-01-05', { Role: 'web' })] });
    const v = await verifyAmi(ec2, 'ami-1', CRITERIA, { clock });
    expect(v).toMatchObject({ ok: false, checks: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('waits for an AMI that EC2 does not show yet, and for pending', async () => {
    const clock = new VirtualClock();
    ec2Mock
      .on(DescribeImagesCommand)
      .rejectsOnce(Object.assign(new Error("The image id '[ami-1]' does not exist"), { name: 'InvalidAMIID.NotFound' }))
      .resolvesOnce({ Images: [image('ami-1', '2026-01-05', { Role: 'cabal-nat' }, { State: 'pending' })] })
      .resolves({ Images: [image('ami-1', '2026-01-05', { Role: 'cabal-nat' })] });
    const v = await verifyAmi(ec2, 'ami-1', CRITERIA, { clock });
    expect(v).toMatchObject({ ok: true, checks: 3 });
  });

  it('rides out a throttled DescribeImages; other errors propagate', async () => {
    const clock = new VirtualClock();
    ec2Mock
      .on(DescribeImagesCommand)
      .rejectsOnce(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }))
      .resolves({ Images: [image('ami-1', '2026-01-05', { Role: 'cabal-nat' })] });
    expect(await verifyAmi(ec2, 'ami-1', CRITERIA, { clock })).toMatchObject({ ok: true, checks: 2 });

    ec2Mock.reset();
    ec2Mock
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation' }));
    await expect(verifyAmi(ec2, 'ami-1', CRITERIA, { clock })).rejects.toThrow('You are not authorized');
  });
});
