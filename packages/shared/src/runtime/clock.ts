/**
 * The clock every wait and deadline runs on, injected so tests and benchmarks run on virtual time: the system
 * clock, the virtual clock, and the error an aborted wait rejects with.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Waits `ms`; rejects with an AbortError-like error when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fn` once `ms` from now on this clock; returns a function that cancels it. Hard deadlines use it, so
   * on a VirtualClock they fire when virtual time passes them (deterministic tests). Optional: without it a real
   * timer is used.
   */
  setTimer?(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** The error a wait or call aborted by `signal` rejects with: its reason when that is an Error, else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(typeof reason === 'string' ? reason : 'aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * Virtual time for tests and benchmarks: `sleep` advances the clock at once instead of waiting, so a
 * 30-minute wait runs in microseconds and every timestamp is deterministic. `onSleep` lets a test react
 * to time passing (e.g. flip a mocked resource's state after N polls).
 */
export class VirtualClock implements Clock {
  private current: number;
  readonly sleeps: number[] = [];
  onSleep?: (now: number, ms: number) => void;

  constructor(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  private timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  private seq = 0;

  /** Moves time forward by `ms`, firing the timers that fall due (in time order). */
  advance(ms: number): void {
    const target = this.current + Math.max(0, ms);
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = target;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    const step = Math.max(0, ms);
    this.sleeps.push(step);
    this.advance(step);
    this.onSleep?.(this.current, step);
    await Promise.resolve();
    if (signal?.aborted) throw abortError(signal);
  }
}
