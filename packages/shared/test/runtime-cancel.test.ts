/**
 * Cancellation and hard deadlines: a deadline on virtual time ends a call in flight; SIGINT/SIGTERM end a run at
 * once; every exit (success, error, deadline, signal) calls onExit exactly once and fails the step with one line.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  CancelledError,
  DeadlineExceededError,
  describeError,
  raceSignal,
  runGuardedAction,
  startDeadline,
  VirtualClock,
  type ExitInfo,
  type ProcessLike,
} from '../src/runtime/index';

afterEach(() => {
  process.exitCode = undefined;
});

class FakeProcess extends EventEmitter implements ProcessLike {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

const never = () => new Promise<never>(() => undefined);

describe('startDeadline on a VirtualClock', () => {
  it('fires when virtual time reaches it, ending a promise that never settles', async () => {
    const clock = new VirtualClock();
    const deadline = startDeadline(clock, 30_000, 'build-nat-ami timeout 30s');
    const pending = raceSignal(deadline.signal, never());
    clock.advance(29_999);
    expect(deadline.expired()).toBe(false);
    expect(deadline.remainingMs()).toBe(1);
    clock.advance(1);
    await expect(pending).rejects.toThrow(new DeadlineExceededError('build-nat-ami timeout 30s', 30_000));
    expect(deadline.expired()).toBe(true);
  });

  it('a sleep that crosses the deadline rejects with the deadline error', async () => {
    const clock = new VirtualClock();
    const deadline = startDeadline(clock, 10_000, 'wait 10s');
    await expect(clock.sleep(60_000, deadline.signal)).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(clock.now() - Date.UTC(2026, 0, 1, 12, 0, 0)).toBe(60_000);
  });

  it('follows its parent (cancellation) and stops its timer on dispose', async () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    const deadline = startDeadline(clock, 1_000, 'x', parent.signal);
    parent.abort(new CancelledError('SIGINT'));
    expect(deadline.signal.reason).toBeInstanceOf(CancelledError);
    const other = startDeadline(clock, 1_000, 'y');
    other.dispose();
    clock.advance(5_000);
    expect(other.signal.aborted).toBe(false);
  });
});

describe('runGuardedAction', () => {
  const run = (
    main: Parameters<typeof runGuardedAction>[0]['main'],
    proc = new FakeProcess(),
    clock = new VirtualClock(),
  ) => {
    const exits: ExitInfo[] = [];
    const result = runGuardedAction({
      main,
      clock,
      process: proc,
      describe: describeError,
      onExit: (e) => void exits.push(e),
      graceMs: 50,
    });
    return { result, exits, proc, clock };
  };

  it('success: onExit once with kind success, no failure', async () => {
    const { result, exits, proc } = run(async () => undefined);
    expect(await result).toEqual({ kind: 'success', cause: 'none', message: '' });
    expect(exits).toHaveLength(1);
    expect(process.exitCode).toBeUndefined();
    expect(proc.exits).toEqual([]);
    expect(proc.listenerCount('SIGTERM')).toBe(0);
  });

  it('an error: kind failed with the one-line message, exit code 1', async () => {
    const { result, exits } = run(async () => {
      throw new Error('boom\nstack-ish second line');
    });
    const info = await result;
    expect(info).toMatchObject({ kind: 'failed', cause: 'error', message: 'boom' });
    expect(exits).toEqual([info]);
    expect(process.exitCode).toBe(1);
  });

  it('SIGTERM while a call is in flight: cancelled at once, outputs written, process ended', async () => {
    const proc = new FakeProcess();
    const { result, exits } = run(async () => {
      await never();
    }, proc);
    await Promise.resolve();
    proc.emit('SIGTERM', 'SIGTERM');
    const info = await result;
    expect(info).toMatchObject({
      kind: 'cancelled',
      cause: 'signal',
      signalName: 'SIGTERM',
      message: 'cancelled by SIGTERM: stopped at once',
    });
    expect(exits).toHaveLength(1);
    expect(proc.exits).toEqual([1]);
  });

  it('SIGINT: main sees the signal and may wind down with its own message', async () => {
    const proc = new FakeProcess();
    const { result } = run(async ({ signal }) => {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, proc);
    await Promise.resolve();
    proc.emit('SIGINT', 'SIGINT');
    const info = await result;
    expect(info.kind).toBe('cancelled');
    expect(info.error).toBeInstanceOf(CancelledError);
  });

  it('the hard deadline ends a main stuck on a call that ignores its signal', async () => {
    const clock = new VirtualClock();
    const proc = new FakeProcess();
    const { result, exits } = run(
      async (ctx) => {
        ctx.setDeadline(30_000, 'build-nat-ami timeout 30s');
        await never();
      },
      proc,
      clock,
    );
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(30_000);
    const info = await result;
    expect(info).toMatchObject({
      kind: 'failed',
      cause: 'deadline',
      message: 'build-nat-ami timeout 30s: the hard deadline of 30s was reached (calls in flight were abandoned)',
    });
    expect(exits).toHaveLength(1);
    expect(proc.exits).toEqual([1]);
  });

  it('an onExit that hangs cannot hold the run past its budget', async () => {
    const proc = new FakeProcess();
    const info = await runGuardedAction({
      main: async () => {
        throw new Error('x');
      },
      clock: new VirtualClock(),
      process: proc,
      describe: describeError,
      onExit: never,
      exitBudgetMs: 50,
    });
    expect(info.kind).toBe('failed');
  });
});
