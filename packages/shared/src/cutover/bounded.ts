/**
 * One external call under the run's cancellation and a hard deadline, built on runtime's startDeadline and
 * raceSignal: the call gets an AbortSignal that fires when the run is cancelled or the deadline passes, and the
 * returned promise settles at that moment even if the call in flight ignores its signal (an endpoint that accepts
 * the connection and never answers). It rejects with DeadlineExceededError at the deadline, and with the run
 * signal's reason on cancellation.
 */
import { raceSignal, startDeadline, type Clock } from '../runtime/index';

export interface Bounds {
  clock: Clock;
  /** Epoch ms (on `clock`) by which the call must have settled; undefined = no deadline. */
  deadline?: number;
  signal?: AbortSignal;
  /** What is being waited for, for the error message. */
  what: string;
}

export async function within<T>(fn: (signal: AbortSignal) => Promise<T>, bounds: Bounds): Promise<T> {
  if (bounds.deadline === undefined) {
    const signal = bounds.signal ?? new AbortController().signal;
    return raceSignal(
      signal,
      Promise.resolve().then(() => fn(signal)),
    );
  }
  const d = startDeadline(bounds.clock, Math.max(0, bounds.deadline - bounds.clock.now()), bounds.what, bounds.signal);
  try {
    return await raceSignal(
      d.signal,
      Promise.resolve().then(() => fn(d.signal)),
    );
  } finally {
    d.dispose();
  }
}
