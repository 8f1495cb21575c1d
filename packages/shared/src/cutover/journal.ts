/**
 * The cutover journal (journal-types.ts): this run's record of every change it makes outside terraform, written
 * write-ahead to the store beside the state (journal-store.ts), and the records of earlier runs of the same workflow
 * and environment that the reconcile step reads before anything is planned or applied.
 *
 * Writes are serialised (each writes the whole document as it is when the write starts, so a write that starts after
 * an intent was added carries it) and bounded in time: `intend` resolves only once a write carrying the intent has
 * succeeded, and throws one line when it cannot, so the caller does not make the change; `done` never throws (the
 * change is made; a failed write is retried with the next one, and the next run asks AWS anyway).
 */
import { hostname, userInfo } from 'node:os';
import { describeError, type Clock } from '../runtime/index';
import { ActionFailure } from '../runtime/index';
import { within } from './bounded';
import type { JournalStore } from './journal-store';
import {
  JOURNAL_MAX_RUNS,
  type CutoverJournal,
  type JournalDocument,
  type JournalEntry,
  type JournalIntent,
  type JournalRun,
  type RunIdentity,
} from './journal-types';

/** Longest a journal write may take during the run, and at the end of a cancelled run (inside the 7 s). */
export const JOURNAL_WRITE_MS = 15_000;
export const JOURNAL_FINAL_WRITE_MS = 1_500;

const iso = (ms: number) => new Date(ms).toISOString();

/** Who is running, from the runner's environment (GitHub Actions' default variables) and the process. */
export function runIdentity(env: NodeJS.ProcessEnv, environment: string, startedMs: number): RunIdentity {
  const host = hostname();
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): terraform writes the same fallback-free Who from os/user; keep "unknown"
  }
  const onGitHub = !!env.GITHUB_RUN_ID;
  return {
    repository: env.GITHUB_REPOSITORY ?? '',
    workflow: onGitHub ? (env.GITHUB_WORKFLOW ?? '') : '(local)',
    environment,
    runId: env.GITHUB_RUN_ID || `local-${process.pid}-${startedMs}`,
    attempt: env.GITHUB_RUN_ATTEMPT || '1',
    job: env.GITHUB_JOB ?? '',
    host,
    who: `${user}@${host}`,
    pid: process.pid,
    started: iso(startedMs),
  };
}

const runKey = (r: RunIdentity) => [r.repository, r.workflow, r.runId, r.attempt, r.job, r.host, r.pid].join('|');

/** The run's name in log lines: `run 1234 attempt 2 (job apply)` or `local run on host (pid 42)`. */
/** Runs that ended finished (applied, converged, unchanged, recovered) left nothing for a later run to clear. */
const FINISHED = new Set(['applied', 'converged', 'unchanged', 'recovered']);

/** Still to clear by a later run: not reconciled since, and not ended finished. */
export function unsettled(r: JournalRun): boolean {
  return !r.reconciled && !FINISHED.has(r.ended?.outcome ?? '');
}

export function describeRun(r: RunIdentity): string {
  if (r.runId.startsWith('local-')) return `local run on ${r.host} (pid ${r.pid}, started ${r.started})`;
  return `run ${r.runId} attempt ${r.attempt}${r.job ? ` (job ${r.job})` : ''}`;
}

export interface JournalOptions {
  clock: Clock;
  /** The run's cancellation signal (a write in flight is not cut by it: the write is what a cancel needs). */
  warn?: (line: string) => void;
  /** Bound of each write (default JOURNAL_WRITE_MS). */
  writeMs?: number;
}

/** A store that only keeps the document in memory (tests; CutoverDeps without a journal). */
export function memoryStore(): JournalStore & { doc?: JournalDocument; writes: number } {
  const s: JournalStore & { doc?: JournalDocument; writes: number } = {
    location: '(memory)',
    durable: false,
    writes: 0,
    read: async () => (s.doc ? (JSON.parse(JSON.stringify(s.doc)) as JournalDocument) : undefined),
    write: async (doc) => {
      s.writes++;
      s.doc = JSON.parse(JSON.stringify(doc)) as JournalDocument;
    },
  };
  return s;
}

export class Journal implements CutoverJournal {
  private chain: Promise<void> = Promise.resolve();
  private n = 0;
  private dirty = false;
  readonly mine: JournalRun;
  /** The store could not be read when the run started: earlier runs are unknown. */
  historyUnknown = false;

  private constructor(
    readonly store: JournalStore,
    private readonly doc: JournalDocument,
    identity: RunIdentity,
    private readonly options: JournalOptions,
  ) {
    this.mine = { run: identity, entries: [] };
    doc.runs.push(this.mine);
    prune(doc);
  }

  /** Reads the store (an unreadable journal rejects with one line) and adds this run's record (written lazily). */
  static async open(store: JournalStore, identity: RunIdentity, options: JournalOptions): Promise<Journal> {
    const doc = (await within((signal) => store.read(signal), {
      clock: options.clock,
      deadline: options.clock.now() + (options.writeMs ?? JOURNAL_WRITE_MS),
      what: `reading the journal ${store.location}`,
    })) ?? {
      format: 'nat-egress-journal/1',
      state: store.location.replace(/\.nat-egress-journal\.json$/, ''),
      runs: [],
    };
    return new Journal(store, doc, identity, options);
  }

  /** An in-memory journal (tests, and runs given no journal). */
  static memory(identity: RunIdentity, clock: Clock): Journal {
    return new Journal(memoryStore(), { format: 'nat-egress-journal/1', state: '(memory)', runs: [] }, identity, {
      clock,
    });
  }

  get identity(): RunIdentity {
    return this.mine.run;
  }

  /** Every run record but this one (oldest first). */
  get others(): readonly JournalRun[] {
    const me = runKey(this.mine.run);
    return this.doc.runs.filter((r) => r !== this.mine && runKey(r.run) !== me);
  }

  /** Earlier runs of the same repository, workflow and environment (the ones whose leftovers this run may clear). */
  get earlier(): readonly JournalRun[] {
    const me = this.mine.run;
    return this.others.filter(
      (r) =>
        r.run.repository === me.repository && r.run.workflow === me.workflow && r.run.environment === me.environment,
    );
  }

  async intend(intent: JournalIntent): Promise<string> {
    const entry: JournalEntry = {
      id: `${this.mine.run.runId}.${this.mine.run.attempt}#${++this.n}`,
      at: this.now(),
      intent,
    };
    this.mine.entries.push(entry);
    try {
      await this.write();
    } catch (err) {
      this.mine.entries.splice(this.mine.entries.indexOf(entry), 1);
      throw new ActionFailure(`journal: could not record the ${intent.kind} before making it: ${describeError(err)}`, {
        cause: err,
      });
    }
    return entry.id;
  }

  async done(id: string, facts: Record<string, string> = {}): Promise<void> {
    const entry = this.mine.entries.find((e) => e.id === id);
    if (!entry) return;
    entry.done = { at: this.now(), facts };
    try {
      await this.write();
    } catch (err) {
      this.options.warn?.(`journal: ${describeError(err)} (the next write carries it)`);
    }
  }

  /** Writes this run's record now (it starts); throws one line when the journal cannot be written. */
  async begin(): Promise<void> {
    try {
      await this.write();
    } catch (err) {
      throw new ActionFailure(`journal: ${describeError(err)}`, { cause: err });
    }
  }

  /** Marks earlier runs reconciled by this one (written; a failed write is a warning). */
  async reconciled(runs: readonly JournalRun[]): Promise<void> {
    if (runs.length === 0) return;
    const by = `${this.mine.run.runId}.${this.mine.run.attempt}`;
    for (const r of runs) r.reconciled = { by, at: this.now() };
    await this.tryWrite();
  }

  /** Records how the run ended; bounded by `ms` (the end of a cancelled run has little time). Never throws. */
  async end(outcome: string, next: string | undefined, ms = JOURNAL_FINAL_WRITE_MS): Promise<void> {
    this.mine.ended = { at: this.now(), outcome, ...(next ? { next } : {}) };
    if (this.mine.entries.length === 0 && !this.dirty) return; // nothing recorded: nothing to say
    await this.tryWrite(ms);
  }

  /** The entries of this run (for the summary). */
  get entries(): readonly JournalEntry[] {
    return this.mine.entries;
  }

  private now(): string {
    return iso(this.options.clock.now());
  }

  private async tryWrite(ms?: number): Promise<void> {
    try {
      await this.write(ms);
    } catch (err) {
      this.options.warn?.(`journal: ${describeError(err)}`);
    }
  }

  /** One write after every write already queued; carries everything recorded by the time it starts. */
  private write(ms = this.options.writeMs ?? JOURNAL_WRITE_MS): Promise<void> {
    this.dirty = true;
    const next = this.chain.then(() =>
      within((signal) => this.store.write(this.doc, signal), {
        clock: this.options.clock,
        deadline: this.options.clock.now() + ms,
        what: `writing the journal ${this.store.location}`,
      }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Keeps at most JOURNAL_MAX_RUNS records, dropping the oldest reconciled or ended ones first, then the oldest. */
function prune(doc: JournalDocument): void {
  while (doc.runs.length > JOURNAL_MAX_RUNS) {
    const i = doc.runs.findIndex((r) => r.reconciled || r.ended);
    doc.runs.splice(i >= 0 ? i : 0, 1);
  }
}
