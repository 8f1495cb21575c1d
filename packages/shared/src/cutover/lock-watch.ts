/**
 * Recording the terraform commands a run starts and the state lock they take. Before a command starts, a
 * `terraform` entry goes into the journal (so a run killed at any moment left a trace of what it was running, and a
 * lock it had no time to read can still be matched by Who and time); while a command that takes the lock runs
 * (apply, import, plan, state …), the lock is read until it appears and recorded as a `lock` entry — terraform never
 * prints its lock ID. When the command has exited, a read confirms the lock is gone (`released`).
 */
import { describeError, type Clock } from '../runtime/index';
import type { CutoverJournal } from './journal-types';
import type { LockInfo, LockReader } from './lock';

/** How often the lock is read while a command starts, and for how long at most. */
export const LOCK_POLL_MS = 250;
export const LOCK_WATCH_MS = 60_000;
/** A lock created this long before the command started is not the command's. */
const CREATED_SLACK_MS = 5_000;

/** The subcommands that take the state lock (terraform's -lock default true). */
const LOCKING = new Set(['apply', 'plan', 'import', 'refresh', 'taint', 'untaint', 'state']);

export function takesLock(args: readonly string[]): boolean {
  return LOCKING.has(args[0] ?? '') && !args.includes('-lock=false') && !(args[0] === 'state' && args[1] === 'list');
}

export interface CommandRecord {
  /** Call when the command has exited. Never throws. */
  finished(exit: string): Promise<void>;
}

export interface WatchOptions {
  journal: CutoverJournal;
  lock?: LockReader;
  clock: Clock;
  warn: (line: string) => void;
  /** The run is being cancelled: the few seconds left are for the journal's end record, not for reads. */
  cancelled: () => boolean;
}

/** Records the command (write-ahead; a failed write is a warning: terraform keeps its own lock), then its lock. */
export async function recordCommand(args: readonly string[], detail: string, o: WatchOptions): Promise<CommandRecord> {
  const command = args[0] ?? '';
  let entry: string | undefined;
  try {
    entry = await o.journal.intend({ kind: 'terraform', command, detail });
  } catch (err) {
    o.warn(describeError(err));
  }
  const startedAt = o.clock.now();
  let stopped = false;
  let lockEntry: string | undefined;
  const watching =
    o.lock && takesLock(args)
      ? (async () => {
          const lock = await firstLock(o.lock as LockReader, o.clock, startedAt, () => stopped);
          if (!lock) return;
          try {
            lockEntry = await o.journal.intend({
              kind: 'lock',
              id: lock.ID,
              who: lock.Who,
              created: lock.Created,
              operation: lock.Operation,
              path: lock.Path,
            });
          } catch (err) {
            o.warn(describeError(err));
          }
        })()
      : Promise.resolve();
  return {
    async finished(exit) {
      stopped = true;
      await watching;
      if (o.cancelled()) return;
      if (lockEntry) {
        const still = await o.lock?.read().catch(() => undefined);
        if (!still) await o.journal.done(lockEntry, { released: new Date(o.clock.now()).toISOString() });
      }
      if (entry) await o.journal.done(entry, { exit });
    },
  };
}

/** Reads the lock every LOCK_POLL_MS until one created after the command started appears, or `stop()`. */
async function firstLock(
  reader: LockReader,
  clock: Clock,
  startedAt: number,
  stop: () => boolean,
): Promise<LockInfo | undefined> {
  for (let i = 0; i * LOCK_POLL_MS < LOCK_WATCH_MS && !stop(); i++) {
    const lock = await reader.read().catch(() => undefined);
    if (lock && !(Date.parse(lock.Created) < startedAt - CREATED_SLACK_MS)) return lock;
    await clock.sleep(LOCK_POLL_MS).catch(() => undefined);
  }
  return undefined;
}
