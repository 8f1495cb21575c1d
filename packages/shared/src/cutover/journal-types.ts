/**
 * The cutover journal's interface: every change the cutover makes outside terraform (an association, an import, a
 * bridge route, the state lock a terraform it started took) is recorded write-ahead — durable before the change is
 * made — so that the next run of the same workflow and environment can reconcile it after a cancellation or a kill
 * (journal.ts builds it, journal-store.ts keeps it next to the state; the README says why there).
 */

/** A change the cutover makes outside terraform, recorded write-ahead (durable before the change is made). */
export type JournalIntent =
  /** An AZ's private default route pointed at another AZ's NAT (`to`, NAT id `toNat`) instead of `from`. */
  | { kind: 'bridge'; az: string; routeTableId: string; from: string; to: string; toNat: string }
  /** A bridged AZ's route put back from `from` (the bridge target) to `to` (its own NAT). */
  | { kind: 'unbridge'; az: string; routeTableId: string; from: string; to: string }
  /** ec2:AssociateAddress of the Elastic IP `allocationId` to `targetId` (instance or interface) for `address`. */
  | { kind: 'associate'; address: string; allocationId: string; targetId: string }
  /** `terraform import <address> <id>`. */
  | { kind: 'import'; address: string; id: string }
  /**
   * A terraform command this run started (before it starts): `command` is the subcommand (apply, import, plan,
   * force-unlock), `detail` what it works on (the planfile, an address). Done when it exited (facts.exit).
   */
  | { kind: 'terraform'; command: string; detail: string }
  /**
   * The state lock a terraform command of this run holds, as terraform wrote it (LockInfo: ID, Who, Created,
   * Operation, Path). Read from the lock object while the command runs: terraform never prints its lock ID.
   * Done when the command released it (facts.released).
   */
  | { kind: 'lock'; id: string; who: string; created: string; operation: string; path: string };

export type JournalKind = JournalIntent['kind'];

export interface CutoverJournal {
  /** Records `intent` durably and returns its entry id; throws (one line) when it cannot be recorded. */
  intend(intent: JournalIntent): Promise<string>;
  /** Marks the entry done, with the facts AWS returned (association id, …). */
  done(id: string, facts?: Record<string, string>): Promise<void>;
}

/** Who ran: the GitHub run (or the local process) that wrote a journal run record. */
export interface RunIdentity {
  /** owner/name (GITHUB_REPOSITORY), '' outside GitHub Actions. */
  repository: string;
  /** The workflow's name (GITHUB_WORKFLOW), '(local)' outside GitHub Actions. */
  workflow: string;
  /** The environment the run applies to (the cutover's `environment` input), '' when not given. */
  environment: string;
  /** GITHUB_RUN_ID, or `local-<pid>-<started ms>` outside GitHub Actions. */
  runId: string;
  /** GITHUB_RUN_ATTEMPT ('1' outside GitHub Actions). */
  attempt: string;
  /** GITHUB_JOB ('' outside GitHub Actions). */
  job: string;
  /** The machine (os.hostname()). */
  host: string;
  /** user@host, the way terraform writes a lock's Who. */
  who: string;
  pid: number;
  /** ISO 8601 UTC. */
  started: string;
}

/** One recorded intent and, once made, its outcome. */
export interface JournalEntry {
  /** `<run key>#<n>`: unique in the journal. */
  id: string;
  /** When it was recorded (ISO 8601 UTC). */
  at: string;
  intent: JournalIntent;
  done?: { at: string; facts: Record<string, string> };
}

/** What one run recorded. */
export interface JournalRun {
  run: RunIdentity;
  entries: JournalEntry[];
  /** Written when the run ended in time (a killed run has none). */
  ended?: { at: string; outcome: string; next?: string };
  /** A later run that reconciled this one's entries with AWS and the state (its runId/attempt and when). */
  reconciled?: { by: string; at: string };
}

/** The journal object (JSON), one per terraform state. */
export interface JournalDocument {
  format: 'nat-egress-journal/1';
  /** Where the state it belongs to lives (s3://bucket/key, or a path), for the reader. */
  state: string;
  /** Oldest first; at most JOURNAL_MAX_RUNS. */
  runs: JournalRun[];
}

/** Runs the journal keeps (the oldest reconciled or ended ones are dropped first). */
export const JOURNAL_MAX_RUNS = 20;
