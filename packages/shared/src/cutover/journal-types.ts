/**
 * The cutover journal's interface: every change the cutover makes outside terraform is recorded write-ahead
 * (durable before the change is made), so the next run can reconcile it after a kill (the journal store is
 * journal.ts, issue 19). `memoryJournal` keeps the records in memory: what a run without a store (tests, the
 * bench) uses, and what the summary reads back.
 */

/** A change the cutover makes outside terraform, recorded write-ahead (durable before the change is made). */
export type JournalIntent =
  | { kind: 'bridge'; az: string; routeTableId: string; from: string; to: string; toNat: string }
  | { kind: 'unbridge'; az: string; routeTableId: string; from: string; to: string }
  | { kind: 'associate'; address: string; allocationId: string; targetId: string }
  | { kind: 'import'; address: string; id: string };

export interface CutoverJournal {
  /** Records `intent` durably and returns its entry id; throws (one line) when it cannot be recorded. */
  intend(intent: JournalIntent): Promise<string>;
  /** Marks the entry done, with the facts AWS returned (association id, …). */
  done(id: string, facts?: Record<string, string>): Promise<void>;
}

/** One record of the in-memory journal. */
export interface JournalRecord {
  id: string;
  intent: JournalIntent;
  /** Epoch ms when it was recorded / marked done. */
  at: number;
  doneAt?: number;
  facts?: Record<string, string>;
}

/** A journal in memory (not durable): `records` in the order they were made. */
export function memoryJournal(now: () => number = Date.now): CutoverJournal & { records: JournalRecord[] } {
  const records: JournalRecord[] = [];
  return {
    records,
    intend(intent) {
      const id = `mem-${records.length + 1}`;
      records.push({ id, intent, at: now() });
      return Promise.resolve(id);
    },
    done(id, facts) {
      const r = records.find((x) => x.id === id);
      if (r) {
        r.doneAt = now();
        if (facts) r.facts = facts;
      }
      return Promise.resolve();
    },
  };
}
