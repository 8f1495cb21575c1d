/**
 * Cancellation and hard deadlines for action runs.
 *
 * - The runner cancels a job by sending SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that
 *   (GitHub Actions runner, `ProcessInvoker` cancellation: "SIGINT … 7.5 seconds … SIGTERM … 2.5 seconds"). The
 *   first of SIGINT/SIGTERM aborts the run's AbortSignal at once.
 * - A hard deadline aborts the same signal when the (injected) clock reaches it, whether the code is sleeping,
 *   polling, or waiting on a call in flight: SDK clients bound with aws `bindSignal` pass it as `abortSignal`
 *   and settle at the abort even if the transport ignores it.
 * - `runGuardedAction` races the action's main function against that signal, and on every exit — success,
 *   error, input error, deadline, signal — calls the action's `onExit` once so it writes its outputs
 *   (`result=failed|cancelled`, …) and the job summary with what to do, then fails the step with one line.
 */
import * as core from '@actions/core';
import { formatDuration } from '../inputs/index';
import type { Clock } from './clock';

/** The run was cancelled by a signal (the runner cancelling the job). */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(readonly signalName: string) {
    super(`cancelled by ${signalName}`);
  }
}

/** A hard deadline was reached; calls in flight were abandoned. */
export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  constructor(
    readonly what: string,
    readonly limitMs: number,
  ) {
    super(`${what}: the hard deadline of ${formatDuration(limitMs)} was reached (calls in flight were abandoned)`);
  }
}

export function isDeadlineExceeded(err: unknown): err is DeadlineExceededError {
  return err instanceof DeadlineExceededError;
}

/**
 * Calls `fn` once after `ms` on `clock` (its own timer when it has one, else a real timer); returns a cancel function.
 */
export function clockTimer(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.setTimer) return clock.setTimer(ms, fn);
  const t = setTimeout(fn, Math.max(0, ms));
  return () => clearTimeout(t);
}

export interface Deadline {
  /** Epoch ms (on the clock) when the signal aborts. */
  readonly at: number;
  /** Aborts with DeadlineExceededError at `at`, or with the parent's reason when the parent aborts first. */
  readonly signal: AbortSignal;
  remainingMs(): number;
  expired(): boolean;
  /** Stops the timer (the signal stays as it is). */
  dispose(): void;
}

/**
 * A hard deadline `ms` from now on `clock`, named `what` (e.g. "build-nat-ami timeout 30s") for the error message.
 * `parent` (e.g. the run's cancellation signal) aborts it too.
 */
export function startDeadline(clock: Clock, ms: number, what: string, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  const at = clock.now() + ms;
  const cancelTimer = clockTimer(clock, ms, () => controller.abort(new DeadlineExceededError(what, ms)));
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    at,
    signal: controller.signal,
    remainingMs: () => Math.max(0, at - clock.now()),
    expired: () => controller.signal.aborted || clock.now() >= at,
    dispose: () => {
      cancelTimer();
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/**
 * Settles with `work` or rejects with `signal.reason` as soon as `signal` aborts, whichever comes first — so
 * a call that ignores its abort signal still cannot hold the run past a deadline or a cancel.
 */
export function raceSignal<T>(signal: AbortSignal | undefined, work: Promise<T>): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The bits of `process` the guard uses (injected in tests). */
export interface ProcessLike {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export type ExitKind = 'success' | 'failed' | 'cancelled';

export interface ExitInfo {
  kind: ExitKind;
  /** Why it ended: `deadline` and `error` give kind failed, `signal` gives cancelled. */
  cause: 'none' | 'error' | 'deadline' | 'signal';
  /** One line for the log and the step's failure ('' on success). */
  message: string;
  error?: unknown;
  /** The signal that cancelled the run. */
  signalName?: string;
}

export interface RunContext {
  /** Aborts on SIGINT/SIGTERM (CancelledError) and at the hard deadline (DeadlineExceededError). */
  signal: AbortSignal;
  clock: Clock;
  /**
   * Arms the run's hard deadline `ms` from now (once inputs are known). The signal aborts then, and the run
   * ends with its outputs and summary even if a call is still in flight.
   */
  setDeadline(ms: number, what: string): void;
}

export interface GuardedActionOptions {
  main(ctx: RunContext): Promise<void>;
  /**
   * Writes the outputs and the job summary for this exit (called exactly once, on every exit). It should be quick
   * and local (files); it is given at most `exitBudgetMs`.
   */
  onExit(exit: ExitInfo): Promise<void> | void;
  clock: Clock;
  /**
   * After the signal aborts, how long main may take to wind down (record what it knows) before the run ends.
   * Default 1000 ms.
   */
  graceMs?: number;
  /**
   * Longest `onExit` may take before the run ends anyway. Default 5000 ms (inside the runner's 7.5 s SIGINT→SIGTERM
   * window).
   */
  exitBudgetMs?: number;
  /** Default `process`. */
  process?: ProcessLike;
  /** Describes an error in one line (runtime's describeError). */
  describe(err: unknown): string;
  /** Called with each signal as it arrives (log line). */
  onSignal?(signalName: NodeJS.Signals, count: number): void;
  /**
   * Let the process exit at once after a cancel or deadline (sockets in flight may hold the event loop). Default true.
   */
  exitAfterAbort?: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs an action's main function under cancellation and a hard deadline; see the module comment. Returns how it
 * ended. On a failure it calls `core.setFailed(<one line>)` (exit code 1); after a cancel or a deadline it ends the
 * process (exit code 1) once the outputs and summary are written, since abandoned calls may keep sockets open.
 */
export async function runGuardedAction(options: GuardedActionOptions): Promise<ExitInfo> {
  const proc = options.process ?? process;
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    options.onSignal?.(sig, signals);
    if (!controller.signal.aborted) controller.abort(new CancelledError(sig));
  };
  for (const s of SIGNALS) proc.on(s, onSignal);
  const run = runContext(options.clock, controller);
  let info: ExitInfo;
  try {
    info = await runMain(options, run.ctx, controller.signal);
  } finally {
    run.stopDeadline();
  }
  try {
    await writeExit(options, info);
  } finally {
    // Signals stay handled until the outputs and summary are written: the runner's SIGTERM follows its SIGINT.
    for (const s of SIGNALS) proc.off(s, onSignal);
  }
  failStep(info);
  if (info.cause === 'signal' || info.cause === 'deadline') {
    if (options.exitAfterAbort ?? true) proc.exit(1);
  }
  return info;
}

/** The RunContext main gets: the run's signal, the clock, and the deadline it may arm (stopped by `stopDeadline`). */
function runContext(clock: Clock, controller: AbortController): { ctx: RunContext; stopDeadline(): void } {
  let stopDeadline: (() => void) | undefined;
  const ctx: RunContext = {
    signal: controller.signal,
    clock,
    setDeadline(ms, what) {
      stopDeadline?.();
      stopDeadline = clockTimer(clock, ms, () => {
        if (!controller.signal.aborted) controller.abort(new DeadlineExceededError(what, ms));
      });
    },
  };
  return { ctx, stopDeadline: () => stopDeadline?.() };
}

/**
 * Races main against the run's signal. After an abort, main gets `graceMs` to wind down and record what it knows
 * (its own error, if any, says more than the abort). Then says how the run ended.
 */
async function runMain(options: GuardedActionOptions, ctx: RunContext, signal: AbortSignal): Promise<ExitInfo> {
  const running = Promise.resolve().then(() => options.main(ctx));
  let error: unknown;
  let ok = false;
  try {
    await raceSignal(signal, running);
    ok = true;
  } catch (err) {
    error = err;
    if (signal.aborted) {
      const grace = realTimer(options.graceMs ?? 1000);
      const settled = await Promise.race([
        running.then(
          () => ({ done: true as const, err: undefined as unknown }),
          (e: unknown) => ({ done: true as const, err: e }),
        ),
        grace.promise.then(() => ({ done: false as const, err: undefined as unknown })),
      ]);
      grace.cancel();
      if (settled.done && settled.err !== undefined && !isAbortLike(settled.err)) error = settled.err;
    }
  }
  return exitInfo(options, signal, ok, error);
}

/** How the run ended: success, cancelled (a signal), failed at the deadline, or failed with main's error. */
function exitInfo(options: GuardedActionOptions, signal: AbortSignal, ok: boolean, error: unknown): ExitInfo {
  const reason: unknown = signal.reason;
  if (ok && !signal.aborted) return { kind: 'success', cause: 'none', message: '' };
  if (reason instanceof CancelledError) {
    return {
      kind: 'cancelled',
      cause: 'signal',
      message: `${reason.message}: stopped at once`,
      error: error ?? reason,
      signalName: reason.signalName,
    };
  }
  if (reason instanceof DeadlineExceededError) {
    const own = error !== undefined && error !== reason && !isAbortLike(error) ? options.describe(error) : '';
    return { kind: 'failed', cause: 'deadline', message: own || reason.message, error: error ?? reason };
  }
  return { kind: 'failed', cause: 'error', message: options.describe(error), error };
}

/** The action's onExit (outputs, job summary), given at most `exitBudgetMs`; its failure is a warning only. */
async function writeExit(options: GuardedActionOptions, info: ExitInfo): Promise<void> {
  const budget = realTimer(options.exitBudgetMs ?? 5000);
  try {
    await Promise.race([Promise.resolve().then(() => options.onExit(info)), budget.promise]);
  } catch (err) {
    core.warning(`could not write the outputs or the job summary: ${options.describe(err)}`);
  } finally {
    budget.cancel();
  }
}

/** Fails the step with the one line; an unexpected error's stack goes to the debug log only. */
function failStep(info: ExitInfo): void {
  if (info.kind === 'success') return;
  core.setFailed(info.message);
  const err = info.error;
  if (
    info.cause === 'error' &&
    err instanceof Error &&
    err.stack &&
    err.name !== 'InputError' &&
    err.name !== 'ActionFailure'
  )
    core.debug(err.stack);
}

/** True for a cancel, a deadline or an AbortError: errors a catch-all must re-throw, not report as a result. */
export function isAbortLike(err: unknown): boolean {
  return (
    err instanceof CancelledError ||
    err instanceof DeadlineExceededError ||
    (err instanceof Error && err.name === 'AbortError')
  );
}

/** A real-time pause that can be cancelled (so it never holds the process open after it is no longer needed). */
function realTimer(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
