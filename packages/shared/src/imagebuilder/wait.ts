/**
 * Waiting for an image build: GetImage polled on an adaptive schedule, each state change logged with the elapsed
 * time, a heartbeat at least every minute, transient errors tolerated.
 *
 * Schedule: the first checks come quickly (5 s, 10 s, 20 s) so a build that fails at once is reported at once,
 * then every 30 s — the ceiling that keeps terminal-state detection within 30 s. A 20-minute build costs about
 * 43 GetImage calls. After an error the interval doubles (up to 60 s) and returns to normal after a success.
 */
import { GetImageCommand, type Image, type ImagebuilderClient } from '@aws-sdk/client-imagebuilder';
import { awsErrorCode, isTransientAwsError } from '../aws/index';
import { formatDuration, formatElapsed } from '../inputs/index';
import {
  DeadlineExceededError,
  describeError,
  logProgress,
  trackWait,
  type Clock,
  type Progress,
  type WaitProgress,
} from '../runtime/index';
import { isTerminal, stateKind } from './states';

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
}

export interface PollPolicy {
  /** First interval between GetImage calls. */
  firstMs: number;
  /** Ceiling of the interval while all is well: the worst-case detection latency. */
  maxMs: number;
  /** Interval growth per poll until `maxMs`. */
  growth: number;
  /** Longest silence in the log. */
  heartbeatMs: number;
  /** Ceiling of the interval while GetImage keeps failing transiently. */
  errorMaxMs: number;
}

export const DEFAULT_POLL_POLICY: PollPolicy = {
  firstMs: 5_000,
  maxMs: 30_000,
  growth: 2,
  heartbeatMs: 60_000,
  errorMaxMs: 60_000,
};

export interface StateChange {
  state: string;
  /** Epoch ms when this run first saw the state. */
  at: number;
  /** Ms since the wait started. */
  elapsedMs: number;
  reason?: string;
}

export interface WaitStats {
  getImageCalls: number;
  transientErrors: number;
  heartbeats: number;
}

export type WaitOutcome =
  | { kind: 'terminal'; image: Image; state: string; detectedAt: number; stats: WaitStats }
  | { kind: 'timeout'; lastState: string; image?: Image; stats: WaitStats };

export interface WaitOptions {
  clock: Clock;
  log: Logger;
  /** Epoch ms after which the wait gives up (after one last check). */
  deadline: number;
  /** Epoch ms the elapsed times are measured from (default: now). */
  startedAt?: number;
  policy?: Partial<PollPolicy>;
  /** State changes are appended here as they are seen (so a caller keeps the timeline even if the wait throws). */
  timeline?: StateChange[];
  /** Called with each image the wait reads (e.g. to notice that a re-used token points at an old build). */
  onImage?: (image: Image) => void;
  /** Cancellation / hard deadline: ends a pause at once (calls in flight are bound by the client's signal). */
  signal?: AbortSignal;
  /** Where the wait's progress goes (runtime actionProgress); default: its lines to `log.info`. */
  progress?: Progress;
}

/** Transient for the wait loop: what `isTransientAwsError` says, plus Image Builder's own rate-limit error. */
export function isTransientImagebuilderError(err: unknown): boolean {
  return (
    isTransientAwsError(err) ||
    /^(CallRateLimitExceededException|ServiceUnavailableException|ServiceException)$/.test(awsErrorCode(err))
  );
}

/** What the wait loop keeps between checks. */
interface WaitLoop {
  ib: ImagebuilderClient;
  imageArn: string;
  options: WaitOptions;
  policy: PollPolicy;
  startedAt: number;
  timeline: StateChange[];
  stats: WaitStats;
  progress: WaitProgress;
  lastState: string;
  lastImage?: Image;
  lastCheckAt: number;
  lastLogAt: number;
  interval: number;
}

/**
 * Polls GetImage for `imageArn` until a terminal state (AVAILABLE or a failure state; a deleted image counts as
 * DELETED) or `options.deadline`, on the schedule described in the module comment. Each state change is logged
 * (`[+4m10s] BUILDING`) and sent as a progress stage of the `build` wait, the heartbeat (`[+5m] still BUILDING`) as
 * a heartbeat, the terminal state as the end of the wait. Transient errors are tolerated (a warning each); other
 * errors, and a cancel through `options.signal`, throw.
 */
export async function waitForImage(
  ib: ImagebuilderClient,
  imageArn: string,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const loop = startLoop(ib, imageArn, options);
  try {
    for (;;) {
      const outcome = (await checkImage(loop)) ?? (await pauseUntilNextCheck(loop));
      if (outcome) return outcome;
    }
  } finally {
    loop.progress.end('stopped');
  }
}

function startLoop(ib: ImagebuilderClient, imageArn: string, options: WaitOptions): WaitLoop {
  const { clock } = options;
  const startedAt = options.startedAt ?? clock.now();
  const timeline = options.timeline ?? [];
  const lastState = timeline.at(-1)?.state ?? '';
  const progress = trackWait(
    options.progress ?? logProgress((line) => options.log.info(line)),
    'build',
    clock,
    startedAt,
  );
  progress.stage(`image ${lastState || 'waiting for the first state'}`);
  return {
    ib,
    imageArn,
    options,
    policy: { ...DEFAULT_POLL_POLICY, ...options.policy },
    startedAt,
    timeline,
    stats: { getImageCalls: 0, transientErrors: 0, heartbeats: 0 },
    progress,
    lastState,
    lastCheckAt: clock.now(),
    lastLogAt: clock.now(),
    interval: options.policy?.firstMs ?? DEFAULT_POLL_POLICY.firstMs,
  };
}

function elapsed(loop: WaitLoop): string {
  return formatElapsed(loop.options.clock.now() - loop.startedAt);
}

function timedOut(loop: WaitLoop): WaitOutcome {
  const out: WaitOutcome = { kind: 'timeout', lastState: loop.lastState || 'UNKNOWN', stats: loop.stats };
  if (loop.lastImage) out.image = loop.lastImage;
  loop.progress.end('timeout');
  return out;
}

/** One GetImage: a terminal outcome, a timeout (the deadline struck in flight), or undefined to keep waiting. */
async function checkImage(loop: WaitLoop): Promise<WaitOutcome | undefined> {
  const { clock } = loop.options;
  loop.stats.getImageCalls++;
  loop.lastCheckAt = clock.now();
  try {
    const out = await loop.ib.send(new GetImageCommand({ imageBuildVersionArn: loop.imageArn }));
    const image = out.image;
    if (image) {
      const state = recordImage(loop, image);
      if (isTerminal(state)) {
        loop.progress.end(state);
        return { kind: 'terminal', image, state, detectedAt: clock.now(), stats: loop.stats };
      }
    }
    const { policy } = loop;
    loop.interval =
      loop.stats.getImageCalls === 1 ? policy.firstMs : Math.min(loop.interval * policy.growth, policy.maxMs);
    return undefined;
  } catch (err) {
    return checkFailed(loop, err);
  }
}

/** Notes the image read: its state, and on a change the timeline entry, the log line and the progress event. */
function recordImage(loop: WaitLoop, image: Image): string {
  const { clock } = loop.options;
  loop.lastImage = image;
  loop.options.onImage?.(image);
  const state = String(image.state?.status ?? 'UNKNOWN');
  if (state === loop.lastState) return state;
  const change: StateChange = { state, at: clock.now(), elapsedMs: clock.now() - loop.startedAt };
  if (image.state?.reason) change.reason = image.state.reason;
  loop.timeline.push(change);
  const note = stateKind(state) === 'unknown' ? ' (a state this action does not know: still waiting)' : '';
  const line = `[+${elapsed(loop)}] ${state}${image.state?.reason ? `: ${image.state.reason}` : ''}${note}`;
  if (isTerminal(state)) loop.progress.end(state, line);
  else loop.progress.stage(`image ${state}`, line);
  loop.lastState = state;
  loop.lastLogAt = clock.now();
  return state;
}

/** A failed GetImage: the deadline (timeout), a deleted image (DELETED), a transient error (keep waiting), or throw. */
function checkFailed(loop: WaitLoop, err: unknown): WaitOutcome | undefined {
  const { clock, signal } = loop.options;
  // The hard deadline struck with GetImage in flight: the same outcome as reaching it between checks.
  if (err instanceof DeadlineExceededError) return timedOut(loop);
  if (awsErrorCode(err) === 'ResourceNotFoundException') {
    // The image was deleted under us: report it like Image Builder's own DELETED state.
    const image: Image = {
      ...loop.lastImage,
      arn: loop.imageArn,
      state: { status: 'DELETED', reason: `GetImage: ${describeError(err)}` },
    };
    loop.timeline.push({
      state: 'DELETED',
      at: clock.now(),
      elapsedMs: clock.now() - loop.startedAt,
      reason: 'image no longer exists',
    });
    loop.progress.end('DELETED', `[+${elapsed(loop)}] DELETED (GetImage says the image no longer exists)`);
    return { kind: 'terminal', image, state: 'DELETED', detectedAt: clock.now(), stats: loop.stats };
  }
  if (signal?.aborted || !isTransientImagebuilderError(err)) throw err;
  loop.stats.transientErrors++;
  loop.interval = Math.min(Math.max(loop.interval, loop.policy.firstMs) * 2, loop.policy.errorMaxMs);
  const next = formatDuration(loop.interval);
  loop.options.log.warning(`GetImage failed transiently (${describeError(err)}); still waiting, next check in ${next}`);
  loop.lastLogAt = clock.now();
  return undefined;
}

/**
 * Sleeps until the next check (or the deadline), breaking the silence with a heartbeat at least every
 * `heartbeatMs`. A timeout when the deadline has passed, else undefined.
 */
async function pauseUntilNextCheck(loop: WaitLoop): Promise<WaitOutcome | undefined> {
  const { clock, deadline, signal } = loop.options;
  if (clock.now() >= deadline) return timedOut(loop);
  const nextCheck = Math.min(clock.now() + loop.interval, deadline);
  while (clock.now() < nextCheck) {
    const heartbeatDue = loop.lastLogAt + loop.policy.heartbeatMs;
    if (clock.now() >= heartbeatDue) {
      heartbeat(loop);
      continue;
    }
    try {
      await clock.sleep(Math.min(nextCheck, heartbeatDue) - clock.now(), signal);
    } catch (err) {
      if (err instanceof DeadlineExceededError) return timedOut(loop);
      throw err;
    }
  }
  return undefined;
}

function heartbeat(loop: WaitLoop): void {
  const { clock } = loop.options;
  const ago = clock.now() - loop.lastCheckAt;
  const checked = ago >= 1000 ? ` (last checked ${formatDuration(ago)} ago)` : '';
  loop.progress.heartbeat(`[+${elapsed(loop)}] still ${loop.lastState || 'waiting for the first state'}${checked}`);
  loop.stats.heartbeats++;
  loop.lastLogAt = clock.now();
}
