/**
 * The terraform state lock, read where terraform keeps it, and judged against the journal. Terraform never
 * prints its lock's ID on success, so the cutover reads the lock while the commands it starts hold it (the journal
 * records it) and, before planning and applying, inspects any lock it finds:
 *
 * - S3 `use_lockfile` (terraform ≥ 1.10): the object `<state key>.tflock`, LockInfo JSON
 *   `{"ID","Operation","Info","Who","Version","Created","Path"}`; DynamoDB: the item `LockID = "<bucket>/<state key>"`,
 *   the same JSON in its `Info` attribute (measured with terraform 1.11.4: /work/notes/research-19.md §2). Neither has
 *   an expiry. The local backend's lock is an OS lock that a killed terraform loses: nothing to inspect.
 * - A lock an earlier run of this workflow and environment recorded (by ID; or, when it was killed before it could
 *   read it, by Who = that run's user@host with Created after its terraform started) is stale: released with
 *   `terraform force-unlock -force <ID>` (which checks the ID and touches no infrastructure; it does not check that
 *   the holder is gone, so the live-holder checks come first). Any other lock is never touched.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode } from '../aws/index';
import { describeError } from '../runtime/index';
import type { Backend } from './backend';
import { describeRun, type Journal } from './journal';
import type { JournalRun } from './journal-types';

/** Terraform's LockInfo (statemgr.LockInfo), as it is stored. */
export interface LockInfo {
  ID: string;
  Operation: string;
  Info: string;
  Who: string;
  Version: string;
  /** RFC 3339 with nanoseconds, UTC. */
  Created: string;
  Path: string;
}

export interface LockReader {
  /** Where the lock lives (for log lines). */
  readonly location: string;
  /** The lock, or undefined when the state is not locked. Rejects with a one-line Error when it cannot be read. */
  read(signal?: AbortSignal): Promise<LockInfo | undefined>;
}

function lockInfo(text: string, location: string): LockInfo {
  let v: Partial<LockInfo>;
  try {
    v = JSON.parse(text) as Partial<LockInfo>;
  } catch {
    throw new Error(`the state lock ${location} is not terraform's lock info (not JSON)`);
  }
  if (typeof v.ID !== 'string' || v.ID === '') throw new Error(`the state lock ${location} has no ID`);
  return {
    ID: v.ID,
    Operation: String(v.Operation ?? ''),
    Info: String(v.Info ?? ''),
    Who: String(v.Who ?? ''),
    Version: String(v.Version ?? ''),
    Created: String(v.Created ?? ''),
    Path: String(v.Path ?? ''),
  };
}

/** The lock reader for `backend`, or undefined when its lock cannot outlive terraform (local) or there is none. */
export function lockReaderFor(
  backend: Backend,
  clients: { s3: () => S3Client; dynamodb: () => DynamoDBClient },
): LockReader | undefined {
  if (backend.type !== 's3') return undefined;
  const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
  if (backend.lock.kind === 'lockfile') {
    const key = `${backend.key}.tflock`;
    const location = `s3://${backend.bucket}/${key}`;
    return {
      location,
      async read(signal) {
        try {
          const out = await clients.s3().send(new GetObjectCommand({ Bucket: backend.bucket, Key: key }), opts(signal));
          return lockInfo((await out.Body?.transformToString('utf8')) ?? '', location);
        } catch (err) {
          if (/^(NoSuchKey|NotFound)$/.test(awsErrorCode(err))) return undefined;
          if (err instanceof Error && err.message.startsWith('the state lock ')) throw err;
          throw new Error(`could not read the state lock ${location}: ${describeError(err)}`, { cause: err });
        }
      },
    };
  }
  if (backend.lock.kind === 'dynamodb') {
    const table = backend.lock.table;
    const lockId = `${backend.bucket}/${backend.key}`;
    const location = `DynamoDB ${table} LockID ${lockId}`;
    return {
      location,
      async read(signal) {
        try {
          const out = await clients
            .dynamodb()
            .send(
              new GetItemCommand({ TableName: table, Key: { LockID: { S: lockId } }, ConsistentRead: true }),
              opts(signal),
            );
          const info = out.Item?.Info?.S;
          return info ? lockInfo(info, location) : undefined;
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('the state lock ')) throw err;
          throw new Error(`could not read the state lock ${location}: ${describeError(err)}`, { cause: err });
        }
      },
    };
  }
  return undefined;
}

export type LockVerdict =
  | { kind: 'stale'; lock: LockInfo; run: JournalRun; how: 'id' | 'who' }
  | { kind: 'foreign'; lock: LockInfo; why: string };

/** Is the run's process alive on this machine? (Only answerable on the same host; elsewhere: unknown = false.) */
export function runIsLive(run: JournalRun, host: string, alive: (pid: number) => boolean = pidAlive): boolean {
  return run.run.host === host && !run.ended && alive(run.run.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Slack when comparing a lock's Created with the moment a run's terraform started (clocks of one machine). */
const CREATED_SLACK_MS = 5_000;

/** Terraform takes its lock at the start of a command (0.5 s measured, research-19 §2, §3); at most this later. */
const TAKEN_WITHIN_MS = 60_000;

/**
 * The run whose terraform (a pending 'terraform' entry, not reconciled since) on `who`'s machine could have taken
 * this lock: the lock was created from 5 s before that command started to 60 s after.
 */
function takenByWho(runs: readonly JournalRun[], lock: LockInfo): JournalRun | undefined {
  const created = Date.parse(lock.Created);
  if (!Number.isFinite(created) || lock.Who === '') return undefined;
  const started = (at: string) => Date.parse(at);
  return runs.find(
    (r) =>
      !r.reconciled &&
      r.run.who === lock.Who &&
      r.entries.some(
        (e) =>
          e.intent.kind === 'terraform' &&
          !e.done &&
          started(e.at) - CREATED_SLACK_MS <= created &&
          created <= started(e.at) + TAKEN_WITHIN_MS,
      ),
  );
}

/**
 * Whose lock it is: `stale` when an earlier run of this workflow and environment recorded it (by ID, or by Who and
 * time for a run killed before it read it) and that run is not alive here; otherwise `foreign`, saying why.
 */
export function judgeLock(lock: LockInfo, journal: Journal, alive?: (pid: number) => boolean): LockVerdict {
  const host = journal.identity.host;
  const byId = (runs: readonly JournalRun[]) =>
    runs.find((r) => r.entries.some((e) => e.intent.kind === 'lock' && e.intent.id === lock.ID));
  const earlier = byId(journal.earlier);
  const how: 'id' | 'who' | undefined = earlier ? 'id' : takenByWho(journal.earlier, lock) ? 'who' : undefined;
  const run = earlier ?? takenByWho(journal.earlier, lock);
  if (run && how) {
    if (runIsLive(run, host, alive))
      return { kind: 'foreign', lock, why: `it belongs to ${describeRun(run.run)}, which is still running here` };
    return { kind: 'stale', lock, run, how };
  }
  const other = byId(journal.others);
  if (other)
    return {
      kind: 'foreign',
      lock,
      why:
        `the journal names ${describeRun(other.run)} of workflow ${JSON.stringify(other.run.workflow)}` +
        `${other.run.environment ? ` (environment ${other.run.environment})` : ''}, not an earlier run of this one`,
    };
  return { kind: 'foreign', lock, why: 'no earlier run of this workflow and environment recorded it' };
}

/** The lock's holder in one phrase: `root@vm since 2026-12-06 21:26:57 UTC (OperationTypeApply, lock ID …)`. */
export function describeLock(lock: LockInfo): string {
  const when = lock.Created.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
  const op = lock.Operation || 'unknown operation';
  return `${lock.Who || 'an unknown holder'} since ${when || 'an unknown time'} (${op}, lock ID ${lock.ID})`;
}
