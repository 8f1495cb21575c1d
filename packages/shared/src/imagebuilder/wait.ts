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
import { DeadlineExceededError, describeError, type Clock } from '../runtime/index';
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
}

/** Transient for the wait loop: what `isTransientAwsError` says, plus Image Builder's own rate-limit error. */
export function isTransientImagebuilderError(err: unknown): boolean {
  return (
    isTransientAwsError(err) ||
    /^(CallRateLimitExceededException|ServiceUnavailableException|ServiceException)$/.test(awsErrorCode(err))
  );
}

export async function waitForImage(
  ib: ImagebuilderClient,
  imageArn: string,
  options: WaitOptions,
): Promise<WaitOutcome> {
  const { clock, log, deadline } = options;
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...options.policy };
  const startedAt = options.startedAt ?? clock.now();
  const timeline = options.timeline ?? [];
  const stats: WaitStats = { getImageCalls: 0, transientErrors: 0, heartbeats: 0 };
  const elapsed = () => formatElapsed(clock.now() - startedAt);

  let lastState = timeline.at(-1)?.state ?? '';
  let lastImage: Image | undefined;
  let lastCheckAt: number;
  let lastLogAt = clock.now();
  let interval = policy.firstMs;
  const timedOut = (): WaitOutcome => {
    const out: WaitOutcome = { kind: 'timeout', lastState: lastState || 'UNKNOWN', stats };
    if (lastImage) out.image = lastImage;
    return out;
  };

  for (;;) {
    stats.getImageCalls++;
    lastCheckAt = clock.now();
    try {
      const out = await ib.send(new GetImageCommand({ imageBuildVersionArn: imageArn }));
      const image = out.image;
      if (image) {
        lastImage = image;
        options.onImage?.(image);
        const state = String(image.state?.status ?? 'UNKNOWN');
        if (state !== lastState) {
          const change: StateChange = { state, at: clock.now(), elapsedMs: clock.now() - startedAt };
          if (image.state?.reason) change.reason = image.state.reason;
          timeline.push(change);
          const note = stateKind(state) === 'unknown' ? ' (a state this action does not know: still waiting)' : '';
          log.info(`[+${elapsed()}] ${state}${image.state?.reason ? `: ${image.state.reason}` : ''}${note}`);
          lastState = state;
          lastLogAt = clock.now();
        }
        if (isTerminal(state)) return { kind: 'terminal', image, state, detectedAt: clock.now(), stats };
      }
      interval = stats.getImageCalls === 1 ? policy.firstMs : Math.min(interval * policy.growth, policy.maxMs);
    } catch (err) {
      // The hard deadline struck with GetImage in flight: the same outcome as reaching it between checks.
      if (err instanceof DeadlineExceededError) return timedOut();
      if (awsErrorCode(err) === 'ResourceNotFoundException') {
        // The image was deleted under us: report it like Image Builder's own DELETED state.
        const image: Image = {
          ...lastImage,
          arn: imageArn,
          state: { status: 'DELETED', reason: `GetImage: ${describeError(err)}` },
        };
        timeline.push({
          state: 'DELETED',
          at: clock.now(),
          elapsedMs: clock.now() - startedAt,
          reason: 'image no longer exists',
        });
        log.info(`[+${elapsed()}] DELETED (GetImage says the image no longer exists)`);
        return { kind: 'terminal', image, state: 'DELETED', detectedAt: clock.now(), stats };
      }
      if (options.signal?.aborted || !isTransientImagebuilderError(err)) throw err;
      stats.transientErrors++;
      interval = Math.min(Math.max(interval, policy.firstMs) * 2, policy.errorMaxMs);
      log.warning(
        `GetImage failed transiently (${describeError(err)}); still waiting, next check in ${formatDuration(interval)}`,
      );
      lastLogAt = clock.now();
    }

    if (clock.now() >= deadline) return timedOut();

    // Sleep until the next check (or the deadline), breaking the silence with a heartbeat at least every minute.
    const nextCheck = Math.min(clock.now() + interval, deadline);
    while (clock.now() < nextCheck) {
      const heartbeatDue = lastLogAt + policy.heartbeatMs;
      if (clock.now() >= heartbeatDue) {
        const ago = clock.now() - lastCheckAt;
        const checked = ago >= 1000 ? ` (last checked ${formatDuration(ago)} ago)` : '';
        log.info(`[+${elapsed()}] still ${lastState || 'waiting for the first state'}${checked}`);
        stats.heartbeats++;
        lastLogAt = clock.now();
        continue;
      }
      try {
        await clock.sleep(Math.min(nextCheck, heartbeatDue) - clock.now(), options.signal);
      } catch (err) {
        if (err instanceof DeadlineExceededError) return timedOut();
        throw err;
      }
    }
  }
}
