/**
 * build-nat-ami's image wait as progress events: each state change a stage of the `build` wait, the heartbeat a
 * heartbeat of the same stage, the terminal state (or a deleted image, or the timeout) the end — with the log
 * lines exactly as the Actions log has always had them.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { GetImageCommand, ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { waitForImage } from '@nat-egress/shared/imagebuilder';
import { VirtualClock, createProgress, type ProgressMessage } from '@nat-egress/shared/runtime';

const ib = mockClient(ImagebuilderClient);
afterEach(() => {
  ib.reset();
});

/** GetImage answers the states of `script` (seconds since the start → state), the last one from then on. */
function scripted(clock: VirtualClock, script: Array<[number, string]>): void {
  const t0 = clock.now();
  ib.on(GetImageCommand).callsFake(() => {
    const s = (clock.now() - t0) / 1000;
    const status = [...script].reverse().find(([at]) => s >= at)?.[1] ?? 'PENDING';
    return { image: { arn: 'arn:img', state: { status } } };
  });
}

async function run(clock: VirtualClock, channel: boolean, deadlineMs = 3_600_000) {
  const lines: string[] = [];
  const events: ProgressMessage[] = [];
  const progress = createProgress({
    log: (l) => lines.push(l),
    ...(channel ? { channel: (j: string) => events.push(JSON.parse(j)) } : {}),
    now: () => clock.now(),
  });
  const outcome = await waitForImage(new ImagebuilderClient({ region: 'us-east-1' }), 'arn:img', {
    clock,
    log: { info: (l) => lines.push(`info: ${l}`), warning: (l) => lines.push(`warning: ${l}`) },
    deadline: clock.now() + deadlineMs,
    progress,
  });
  return { outcome, lines, events };
}

describe('waitForImage progress', () => {
  it('stages, heartbeats of the same stage, and the end at the terminal state', async () => {
    const clock = new VirtualClock(0);
    scripted(clock, [
      [0, 'BUILDING'],
      [200, 'TESTING'],
      [300, 'AVAILABLE'],
    ]);
    const { outcome, lines, events } = await run(clock, true);
    expect(outcome.kind).toBe('terminal');
    const stages = events.filter((e) => e.type === 'stage');
    expect(stages[0]).toMatchObject({ stage: 'image waiting for the first state', since: 0, heartbeat: false });
    expect(stages[1]).toMatchObject({ stage: 'image BUILDING', since: 0, elapsedMs: 0, heartbeat: false });
    // Every heartbeat repeats the stage it is in, with that stage's `since`.
    expect(stages.filter((e) => e.heartbeat).length).toBeGreaterThan(2);
    stages.forEach((e, i) => {
      const current = stages
        .slice(0, i + 1)
        .filter((x) => !x.heartbeat)
        .at(-1)!;
      if (e.heartbeat) expect([e.stage, e.since]).toEqual([current.stage, current.since]);
    });
    const testing = stages.find((e) => e.stage === 'image TESTING')!;
    expect(testing.since).toBe(testing.elapsedMs); // a new stage: its time counts from now
    expect(testing.since).toBeGreaterThanOrEqual(200_000);
    expect(events.at(-1)).toMatchObject({ type: 'end', wait: 'build', outcome: 'AVAILABLE' });
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
    // With the channel attached the heartbeat goes to it alone; the state lines stay in the log.
    expect(lines).toEqual([
      '[+0s] BUILDING',
      expect.stringMatching(/^\[\+3m \d+s\] TESTING$/),
      expect.stringMatching(/^\[\+5m( \d+s)?\] AVAILABLE$/),
    ]);
  });

  it('without a channel the log is as it always was: heartbeats included', async () => {
    const clock = new VirtualClock(0);
    scripted(clock, [
      [0, 'BUILDING'],
      [200, 'AVAILABLE'],
    ]);
    const { lines } = await run(clock, false);
    expect(lines[0]).toBe('[+0s] BUILDING');
    expect(lines.filter((l) => / still BUILDING( \(last checked .*\))?$/.test(l)).length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^\[\+3m \d+s\] AVAILABLE$/);
  });

  it('a deleted image ends the wait as DELETED; the timeout ends it as timeout', async () => {
    const clock = new VirtualClock(0);
    ib.on(GetImageCommand).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const deleted = await run(clock, true);
    expect(deleted.events.at(-1)).toMatchObject({ type: 'end', outcome: 'DELETED' });
    expect(deleted.lines).toEqual(['[+0s] DELETED (GetImage says the image no longer exists)']);

    ib.reset();
    scripted(clock, [[0, 'BUILDING']]);
    const late = await run(clock, true, 90_000);
    expect(late.outcome.kind).toBe('timeout');
    expect(late.events.at(-1)).toMatchObject({ type: 'end', outcome: 'timeout' });
  });
});
