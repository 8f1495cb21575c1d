/**
 * Progress of the actions' long waits as typed events: build-nat-ami's image build (`build`), verify-egress's
 * re-checks until egress is healthy (`egress`), the cutover's wait for the Elastic IP release (`release`).
 *
 * One emitter, two sinks:
 * - the Actions log: an event may carry its log line, the sentence the action has always written there
 *   ("[+4m10s] BUILDING", "check 2: not healthy (…)"); the log sink writes it unchanged.
 * - the machine channel, when the parent process opened one: JSON lines on the file descriptor that the
 *   environment variable NAT_EGRESS_PROGRESS_FD names (the nat-egress CLI opens fd 3 as a pipe and sets it to 3;
 *   the runner sets nothing, so in Actions only the log sink runs). A reader never parses log sentences.
 *
 * Heartbeats: a heartbeat line ("[+5m] still BUILDING …", "re-checking in 30s …") only keeps a silent Actions log
 * alive. With a channel attached the parent draws its own status line, so a heartbeat goes to the channel alone;
 * every other line is written to the log either way.
 *
 * Wire format, version 1: one JSON object per line (UTF-8, `\n`-terminated), each with `v: 1`, `type`, `at`
 * (epoch ms on the action's clock) and `wait`:
 *   {"v":1,"type":"stage","at":…,"wait":"build","stage":"image BUILDING","since":…,"elapsedMs":0,"heartbeat":false}
 *   {"v":1,"type":"az","at":…,"wait":"egress","az":"us-east-1b","egress":"down","reason":"routes: …"}
 *   {"v":1,"type":"end","at":…,"wait":"egress","outcome":"healthy","elapsedMs":93000}
 * Within a version fields are only added, never renamed or removed; a reader skips a message whose `v` it does
 * not know and fields it does not know.
 */
import { fstatSync, writeSync } from 'node:fs';

export const PROGRESS_VERSION = 1;

/** The environment variable through which a parent names the channel's file descriptor (a number ≥ 3). */
export const PROGRESS_FD_ENV = 'NAT_EGRESS_PROGRESS_FD';

/** The long waits that report progress. */
export type WaitName = 'build' | 'egress' | 'release';

/**
 * Egress of one AZ: `up` (no failing check in the AZ), `down` (a check of the AZ failed), `unproven` (nothing of
 * its own failed, but a VPC-wide check did, e.g. every log group silent since one moment).
 */
export type EgressState = 'up' | 'down' | 'unproven';

/** A wait entered a stage (or, `heartbeat`, is still in it). */
export interface StageEvent {
  type: 'stage';
  wait: WaitName;
  /** What a status line shows, e.g. `image BUILDING`, `waiting for egress: check 2 not healthy (…)`. */
  stage: string;
  /** Epoch ms from which the stage's time counts: a new value is a new stage, the same value the same stage. */
  since: number;
  /** Ms since the wait began. */
  elapsedMs: number;
  /** True when nothing changed: the wait is still in this stage. */
  heartbeat: boolean;
}

/** One AZ's egress, as the latest check of a wait found it. */
export interface AzStateEvent {
  type: 'az';
  wait: WaitName;
  az: string;
  egress: EgressState;
  /** Why, in one line (the deciding check and its message). */
  reason: string;
}

/** A wait is over. */
export interface WaitEndEvent {
  type: 'end';
  wait: WaitName;
  /** How it ended: an image state (`AVAILABLE`, `FAILED`, …), `healthy`, `not healthy`, `released`, `stopped`, … */
  outcome: string;
  /** Ms since the wait began. */
  elapsedMs: number;
}

export type ProgressEvent = StageEvent | AzStateEvent | WaitEndEvent;

/** A ProgressEvent on the wire. */
export type ProgressMessage = ProgressEvent & { v: typeof PROGRESS_VERSION; at: number };

/** The emitter the actions call. */
export interface Progress {
  /** Reports `event`; `line` is its sentence for the Actions log (none: the event has no log line). */
  emit(event: ProgressEvent, line?: string): void;
}

export interface ProgressSinks {
  /** The Actions log (core.info). */
  log: (line: string) => void;
  /** Writes one JSON line to the parent; absent when no parent listens. */
  channel?: ((json: string) => void) | undefined;
  /** Epoch ms for `at`. Default Date.now. */
  now?: () => number;
}

/** The emitter over both sinks; see the module comment for what goes where. */
export function createProgress(sinks: ProgressSinks): Progress {
  const now = sinks.now ?? Date.now;
  return {
    emit(event, line) {
      const heartbeat = event.type === 'stage' && event.heartbeat;
      if (sinks.channel) {
        const message: ProgressMessage = { v: PROGRESS_VERSION, at: now(), ...event };
        sinks.channel(JSON.stringify(message));
      }
      if (line !== undefined && !(heartbeat && sinks.channel)) sinks.log(line);
    },
  };
}

/** An emitter with the log sink only (tests, and callers that pass no emitter). */
export function logProgress(log: (line: string) => void): Progress {
  return createProgress({ log });
}

/** The file-system calls openProgressChannel makes (injected in tests). */
export interface ChannelFs {
  fstatSync(fd: number): { isFIFO(): boolean; isSocket(): boolean };
  writeSync(fd: number, text: string): number;
}

/**
 * The channel a parent opened: a writer of JSON lines on fd N when `env[PROGRESS_FD_ENV]` is N ≥ 3 and N is an
 * open pipe or socket; undefined otherwise (unset, not a number, a closed fd, a regular file). Writes are
 * synchronous, so events keep their order and none is lost at exit; the first failed write (the parent went
 * away) closes the channel for good and the action carries on: progress never fails a run.
 */
export function openProgressChannel(
  env: NodeJS.ProcessEnv = process.env,
  fs: ChannelFs = { fstatSync, writeSync },
): ((json: string) => void) | undefined {
  const raw = env[PROGRESS_FD_ENV]?.trim() ?? '';
  if (!/^\d+$/.test(raw) || Number(raw) < 3) return undefined;
  const fd = Number(raw);
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFIFO() && !stat.isSocket()) return undefined;
  } catch {
    return undefined;
  }
  let open = true;
  return (json) => {
    if (!open) return;
    try {
      fs.writeSync(fd, `${json}\n`);
    } catch {
      open = false;
    }
  };
}

/** The emitter an action entry uses: lines to `log`, events to the parent's channel when there is one. */
export function actionProgress(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Progress {
  return createProgress({ log, channel: openProgressChannel(env) });
}

/** One wait's events, with its stage and times kept: what an emitter calls at each point of its loop. */
export interface WaitProgress {
  /** A new stage (`since` defaults to now: its time restarts) or a new text of the same stage (pass its `since`). */
  stage(stage: string, line?: string, since?: number): void;
  /** Still in the current stage: a heartbeat (its line goes to the log only without a channel). */
  heartbeat(line: string): void;
  /** One AZ's egress after a check. */
  az(az: string, egress: EgressState, reason: string): void;
  /** The wait is over: the first call sends the end event (and writes its line); later calls do nothing. */
  end(outcome: string, line?: string): void;
  readonly ended: boolean;
}

/** Tracks the wait `wait`, begun at `startedAt` (default now), on `progress`. */
export function trackWait(
  progress: Progress,
  wait: WaitName,
  clock: { now(): number },
  startedAt = clock.now(),
): WaitProgress {
  let current = '';
  let since = startedAt;
  let ended = false;
  const elapsedMs = () => clock.now() - startedAt;
  const stageEvent = (heartbeat: boolean): StageEvent => ({
    type: 'stage',
    wait,
    stage: current,
    since,
    elapsedMs: elapsedMs(),
    heartbeat,
  });
  return {
    stage(stage, line, at) {
      current = stage;
      since = at ?? clock.now();
      progress.emit(stageEvent(false), line);
    },
    heartbeat(line) {
      progress.emit(stageEvent(true), line);
    },
    az(az, egress, reason) {
      progress.emit({ type: 'az', wait, az, egress, reason });
    },
    end(outcome, line) {
      if (ended) return;
      ended = true;
      progress.emit({ type: 'end', wait, outcome, elapsedMs: elapsedMs() }, line);
    },
    get ended() {
      return ended;
    },
  };
}

/** The cutover's release wait, as it reports progress (see releaseProgress). */
export interface ReleaseProgress {
  /** A state line of the wait: the log line, and the status line's text. */
  state(line: string): void;
  /** The Elastic IPs are free: outcome `released`, with the line that says so. */
  released(line: string): void;
  /** The wait ended otherwise (`timeout`, `not-race`, `stopped`): no line. */
  stopped(outcome: string): void;
}

/**
 * The adapter for the cutover's release wait (cutover/watch.ts builds one per race task and hands it to
 * release.ts waitForRelease; the action wires the emitter with actionProgress). Events, all with wait `release`,
 * the stage's time counted from `startedAt`, the start of the release wait (one stage whose text changes, as the
 * old status line had it):
 * - stage, at each state line: "waiting for NAT gateway(s) to finish deleting: nat-… deleting",
 *   "NAT gateway(s) deleted; Elastic IP(s) still associated: …", "watching eipalloc-… every 1s until EC2 shows it
 *   free"; prefixed "<association address>: " when cutover watches during the apply (the line as logged);
 * - end `released`, with "Elastic IP(s) released after 41s" (and "; grace 10s before re-applying");
 * - end `timeout`, `not-race` or `stopped` (no line) when the wait gives up, finds it is not the race, or is
 *   cancelled or ended by an EC2 error.
 */
export function releaseProgress(
  progress: Progress,
  clock: { now(): number },
  startedAt = clock.now(),
): ReleaseProgress {
  const wait = trackWait(progress, 'release', clock, startedAt);
  return {
    state: (line) => wait.stage(line, line, startedAt),
    released: (line) => wait.end('released', line),
    stopped: (outcome) => wait.end(outcome),
  };
}
