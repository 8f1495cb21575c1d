/**
 * Ending a running action the two ways a job ends early (issue 19):
 *
 * - `cancel`: what actions/runner does when a job is cancelled or hits timeout-minutes (ProcessInvoker): SIGINT to
 *   the step's process (node), SIGTERM 7.5 s later if it is still running, and 2.5 s after that SIGKILL of its whole
 *   process tree; the job-end clean-up then kills what the job started that is still alive (here: every process
 *   that was in the tree at any of those moments).
 * - `kill`: the runner VM lost — every process of the tree SIGKILLed at once, no signal first.
 *
 * The tree is read from /proc (each process's parent), so it holds terraform and its provider plugin too.
 */
import { readdirSync, readFileSync } from 'node:fs';

export type WayToEnd = 'cancel' | 'kill';

/** SIGINT → SIGTERM and SIGTERM → SIGKILL of the runner (actions/runner ProcessInvoker). */
export const RUNNER_SIGTERM_AFTER_MS = 7_500;
export const RUNNER_SIGKILL_AFTER_MS = 2_500;

function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses: read after the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(name), ppid);
    } catch {
      // exited while reading
    }
  }
  return out;
}

/** `pid` and all its descendants alive now. */
export function processTree(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), child]);
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of byParent.get(p) ?? []) walk(c);
  };
  if (isAlive(pid)) walk(pid);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export interface Ending {
  way: WayToEnd;
  /** When the first signal was sent (ms since the epoch). */
  at: number;
  /** The signals the action's own process got, in order. */
  sent: Array<'SIGINT' | 'SIGTERM' | 'SIGKILL'>;
  /** Processes still alive when the clean-up SIGKILLed them (beyond the action's own process). */
  killedAtCleanup: number;
  /** Resolves once every signal due has been sent. */
  done: Promise<void>;
}

/**
 * Ends the action whose process is `pid` the given way (see the file comment); `exited()` says whether the action's
 * own process has ended (the runner sends nothing more to a step that has exited, but still cleans up after it).
 */
export function endJob(pid: number, way: WayToEnd, exited: () => boolean): Ending {
  const seen = new Set(processTree(pid));
  const ending: Ending = { way, at: Date.now(), sent: [], killedAtCleanup: 0, done: Promise.resolve() };
  if (way === 'kill') {
    for (const p of seen) signal(p, 'SIGKILL');
    ending.sent.push('SIGKILL');
    return ending;
  }
  signal(pid, 'SIGINT');
  ending.sent.push('SIGINT');
  const remember = () => {
    for (const p of processTree(pid)) seen.add(p);
  };
  const watch = setInterval(remember, 100);
  ending.done = new Promise<void>((res) => {
    setTimeout(() => {
      remember();
      if (!exited()) {
        signal(pid, 'SIGTERM');
        ending.sent.push('SIGTERM');
      }
      setTimeout(() => {
        clearInterval(watch);
        remember();
        if (!exited()) ending.sent.push('SIGKILL');
        for (const p of seen) {
          if (p !== pid && isAlive(p)) ending.killedAtCleanup++;
          signal(p, 'SIGKILL');
        }
        res();
      }, RUNNER_SIGKILL_AFTER_MS);
    }, RUNNER_SIGTERM_AFTER_MS);
  });
  return ending;
}
