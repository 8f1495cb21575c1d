/**
 * Hard deadlines and cancellation for one external call: the call gets an AbortSignal that fires when the run is
 * cancelled or the deadline passes, and the returned promise settles at that moment even if the call in flight
 * ignores its signal (an endpoint that accepts the connection and never answers). Deadlines are epoch ms on the
 * injected Clock; the timer itself is real time (a VirtualClock's time only moves when something sleeps).
 */
import type { Clock } from '../runtime/index';

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

export class CancelledError extends Error {
  override name = 'CancelledError';
}

export interface Bounds {
  clock: Clock;
  /** Epoch ms (on `clock`) by which the call must have settled; undefined = no deadline. */
  deadline?: number;
  signal?: AbortSignal;
  /** What is being waited for, for the error message. */
  what: string;
}

/** Runs `fn` within `bounds`: rejects with DeadlineError at the deadline, CancelledError on abort. */
export function within<T>(fn: (signal: AbortSignal) => Promise<T>, bounds: Bounds): Promise<T> {
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      bounds.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      inner.abort(new CancelledError(`cancelled during ${bounds.what}`));
      reject(new CancelledError(`cancelled during ${bounds.what}`));
    };
    if (bounds.signal?.aborted) return onAbort();
    bounds.signal?.addEventListener('abort', onAbort, { once: true });
    if (bounds.deadline !== undefined) {
      const remaining = bounds.deadline - bounds.clock.now();
      const expire = () => {
        done();
        const err = new DeadlineError(`${bounds.what} did not finish before the deadline`);
        inner.abort(err);
        reject(err);
      };
      if (remaining <= 0) return expire();
      timer = setTimeout(expire, remaining);
      timer.unref?.();
    }
    fn(inner.signal).then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(bounds.signal?.aborted ? new CancelledError(`cancelled during ${bounds.what}`) : e);
      },
    );
  });
}
