/** runtime/progress: the typed progress events, their two sinks, the fd channel a parent opens, the wait trackers. */
import { describe, expect, test } from '@jest/globals';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PROGRESS_FD_ENV,
  VirtualClock,
  actionProgress,
  createProgress,
  logProgress,
  openProgressChannel,
  releaseProgress,
  trackWait,
  type ChannelFs,
  type ProgressMessage,
} from '../../src/runtime/index';

const stage = (over: Partial<{ heartbeat: boolean; stage: string }> = {}) => ({
  type: 'stage' as const,
  wait: 'build' as const,
  stage: 'image BUILDING',
  since: 1000,
  elapsedMs: 0,
  heartbeat: false,
  ...over,
});

describe('createProgress: the log sink and the channel', () => {
  test('without a channel every line goes to the log, heartbeats too (the Actions log as today)', () => {
    const lines: string[] = [];
    const progress = logProgress((l) => lines.push(l));
    progress.emit(stage(), '[+0s] BUILDING');
    progress.emit(stage({ heartbeat: true }), '[+1m] still BUILDING');
    progress.emit({ type: 'az', wait: 'egress', az: 'us-east-1a', egress: 'up', reason: 'no failing check' });
    progress.emit({ type: 'end', wait: 'build', outcome: 'AVAILABLE', elapsedMs: 5 }, '[+2m] AVAILABLE');
    expect(lines).toEqual(['[+0s] BUILDING', '[+1m] still BUILDING', '[+2m] AVAILABLE']);
  });

  test('with a channel: one versioned JSON line per event; a heartbeat goes to the channel alone', () => {
    const lines: string[] = [];
    const sent: string[] = [];
    const progress = createProgress({ log: (l) => lines.push(l), channel: (j) => sent.push(j), now: () => 42 });
    progress.emit(stage(), '[+0s] BUILDING');
    progress.emit(stage({ heartbeat: true }), '[+1m] still BUILDING');
    progress.emit({ type: 'end', wait: 'build', outcome: 'AVAILABLE', elapsedMs: 120_000 }, '[+2m] AVAILABLE');
    expect(lines).toEqual(['[+0s] BUILDING', '[+2m] AVAILABLE']);
    const messages = sent.map((j) => JSON.parse(j) as ProgressMessage);
    expect(messages).toEqual([
      { v: 1, at: 42, ...stage() },
      { v: 1, at: 42, ...stage({ heartbeat: true }) },
      { v: 1, at: 42, type: 'end', wait: 'build', outcome: 'AVAILABLE', elapsedMs: 120_000 },
    ]);
    expect(sent.every((j) => !j.includes('\n'))).toBe(true);
  });
});

describe('openProgressChannel', () => {
  const fakeFs = (kind: 'fifo' | 'socket' | 'file' | 'closed', writes: string[], failAfter = Infinity): ChannelFs => ({
    fstatSync: () => {
      if (kind === 'closed') throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
      return { isFIFO: () => kind === 'fifo', isSocket: () => kind === 'socket' };
    },
    writeSync: (_fd, text) => {
      if (writes.length >= failAfter) throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      writes.push(text);
      return text.length;
    },
  });

  test.each([undefined, '', 'three', '2', '0', '-3', '3.5'])('%p: no channel (the runner sets nothing)', (value) => {
    const env = value === undefined ? {} : { [PROGRESS_FD_ENV]: value };
    expect(openProgressChannel(env, fakeFs('fifo', []))).toBeUndefined();
  });

  test.each(['file', 'closed'] as const)('an fd that is not a pipe or socket (%s): no channel', (kind) => {
    expect(openProgressChannel({ [PROGRESS_FD_ENV]: '3' }, fakeFs(kind, []))).toBeUndefined();
  });

  test.each(['fifo', 'socket'] as const)('a %s: JSON lines, newline-terminated', (kind) => {
    const writes: string[] = [];
    const channel = openProgressChannel({ [PROGRESS_FD_ENV]: ' 3 ' }, fakeFs(kind, writes));
    channel?.('{"v":1}');
    expect(writes).toEqual(['{"v":1}\n']);
  });

  test('the parent went away: the first failed write closes the channel, the run carries on', () => {
    const writes: string[] = [];
    const fs = fakeFs('fifo', writes, 1);
    let calls = 0;
    const counting: ChannelFs = { ...fs, writeSync: (fd, t) => (calls++, fs.writeSync(fd, t)) };
    const channel = openProgressChannel({ [PROGRESS_FD_ENV]: '3' }, counting)!;
    channel('a');
    expect(() => channel('b')).not.toThrow();
    channel('c');
    expect([writes, calls]).toEqual([['a\n'], 2]);
  });

  test('a real regular file descriptor is refused; actionProgress then logs only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'progress-'));
    const fd = openSync(join(dir, 'f'), 'w');
    try {
      const env = { [PROGRESS_FD_ENV]: String(fd) };
      expect(openProgressChannel(env)).toBeUndefined();
      const lines: string[] = [];
      actionProgress((l) => lines.push(l), env).emit(stage({ heartbeat: true }), 'still');
      expect(lines).toEqual(['still']);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trackWait and releaseProgress', () => {
  const recorder = () => {
    const events: ProgressMessage[] = [];
    const lines: string[] = [];
    const progress = createProgress({
      log: (l) => lines.push(l),
      channel: (j) => events.push(JSON.parse(j)),
      now: () => 0,
    });
    return { progress, events, lines };
  };

  test('a new stage restarts its time, a heartbeat keeps it, the end is sent once', () => {
    const clock = new VirtualClock(10_000);
    const { progress, events, lines } = recorder();
    const wait = trackWait(progress, 'build', clock);
    wait.stage('image BUILDING', '[+0s] BUILDING');
    clock.advance(60_000);
    wait.heartbeat('[+1m] still BUILDING');
    clock.advance(30_000);
    wait.stage('image TESTING', '[+1m 30s] TESTING');
    wait.end('AVAILABLE', '[+1m 30s] AVAILABLE');
    wait.end('stopped');
    expect(wait.ended).toBe(true);
    expect(events.map(({ at: _at, v: _v, ...e }) => e)).toEqual([
      { type: 'stage', wait: 'build', stage: 'image BUILDING', since: 10_000, elapsedMs: 0, heartbeat: false },
      { type: 'stage', wait: 'build', stage: 'image BUILDING', since: 10_000, elapsedMs: 60_000, heartbeat: true },
      { type: 'stage', wait: 'build', stage: 'image TESTING', since: 100_000, elapsedMs: 90_000, heartbeat: false },
      { type: 'end', wait: 'build', outcome: 'AVAILABLE', elapsedMs: 90_000 },
    ]);
    expect(lines).toEqual(['[+0s] BUILDING', '[+1m 30s] TESTING', '[+1m 30s] AVAILABLE']);
  });

  test('one stage whose text changes: pass its since; per-AZ states', () => {
    const clock = new VirtualClock(0);
    const { progress, events } = recorder();
    const wait = trackWait(progress, 'egress', clock);
    clock.advance(5_000);
    wait.az('us-east-1b', 'down', 'routes: no 0.0.0.0/0 route');
    wait.stage('waiting for egress: check 1 not healthy (1 error(s), 0 warning(s))', 'check 1: not healthy', 0);
    clock.advance(30_000);
    wait.stage('waiting for egress: check 2 not healthy (1 error(s), 0 warning(s))', 'check 2: not healthy', 0);
    expect(events.map((e) => (e.type === 'stage' ? [e.since, e.elapsedMs] : [e.type]))).toEqual([
      ['az'],
      [0, 5_000],
      [0, 35_000],
    ]);
    expect(events[0]).toMatchObject({ az: 'us-east-1b', egress: 'down', reason: 'routes: no 0.0.0.0/0 route' });
  });

  test('releaseProgress: the state lines are the stage, counted from the start of the release wait', () => {
    const clock = new VirtualClock(0);
    const { progress, events, lines } = recorder();
    const release = releaseProgress(progress, clock);
    clock.advance(1_000);
    const first =
      'module.vpc.aws_eip_association.nat[0]: waiting for NAT gateway(s) to finish deleting: nat-1 deleting';
    release.state(first);
    clock.advance(40_000);
    release.released('module.vpc.aws_eip_association.nat[0]: Elastic IP(s) released after 41s');
    release.stopped('stopped');
    expect(lines).toEqual([first, 'module.vpc.aws_eip_association.nat[0]: Elastic IP(s) released after 41s']);
    expect(events.map(({ at: _at, v: _v, ...e }) => e)).toEqual([
      { type: 'stage', wait: 'release', stage: first, since: 0, elapsedMs: 1_000, heartbeat: false },
      { type: 'end', wait: 'release', outcome: 'released', elapsedMs: 41_000 },
    ]);
  });
});
