/**
 * The bridge watch: from the first bridge to the end of a bridged switch, every `intervalMs` (default 500 ms) one
 * read of what serves (switch.ts: route tables, NAT gateways, NAT instances, addresses), and every AZ route of the
 * switch whose target stops serving — a bridge target failing, an AZ's own NAT failing before or after its turn,
 * EC2 showing the route `blackhole` — is moved at once to another serving NAT, or back to the AZ's own when only
 * that one serves (recorded in the journal first, as every bridge route); every AZ found not serving in one read
 * gets its ReplaceRoute before any of them is confirmed. A route terraform is changing right now
 * is left alone. The watch's reads count as the cutover's view of each AZ's egress (the `egress-gaps` output).
 */
import { describeError } from '../runtime/index';
import type { Switch, AzState, Target } from './switch';

/** Default poll interval of the watch (a failed target is moved within about this, plus one EC2 round trip). */
export const WATCH_INTERVAL_MS = 500;

/**
 * Moves AZ `st` to the best serving NAT (its own included, last resort first by preference order); true when the
 * route is confirmed at one (rescueAll of one AZ). Logs what it did.
 */
export async function rescue(sw: Switch, st: AzState, why: string): Promise<boolean> {
  return (await rescueAll(sw, [st], () => why)).has(st);
}

/**
 * Moves every AZ of `sts` to its best serving NAT (Switch.candidates with its own, never a NAT in `sw.avoid`) in
 * rounds: each round sends every AZ's ReplaceRoute before any confirmation (Switch.moveRoutes), and an AZ whose
 * move EC2 did not confirm tries its next candidate (one it has not tried, from the latest read) in the next
 * round. Returns the AZs confirmed at a serving NAT; warns for each AZ left with no candidate. `why` says why an
 * AZ moves (logged). Throws as moveRoutes does (journal, EC2 refusing a change).
 */
export async function rescueAll(
  sw: Switch,
  sts: readonly AzState[],
  why: (st: AzState) => string,
): Promise<Set<AzState>> {
  const reasons = new Map(sts.map((st) => [st, why(st)]));
  const tried = new Map(sts.map((st) => [st, new Set<string>()]));
  const moved = new Set<AzState>();
  let left = [...sts];
  while (left.length > 0) {
    const round: { st: AzState; to: Target; own: boolean }[] = [];
    for (const st of left) {
      const key = st.az.key;
      const seen = tried.get(st) as Set<string>;
      const to = sw.candidates(key, { own: true, avoid: sw.avoid }).find((t) => !seen.has(t.target));
      if (!to) {
        sw.run.warn(
          `AZ ${key}: ${reasons.get(st)}, and no serving NAT with one of the Elastic IPs is left to move it to`,
        );
        continue;
      }
      seen.add(to.target);
      const own = to.nat.ids.some((id) => st.own.has(id));
      sw.run.warn(
        `AZ ${key}: ${reasons.get(st)}: moving ${st.record.routeTableId} to ${to.nat.ref}` +
          `${own ? " (the AZ's own NAT)" : to.az ? ` (AZ ${to.az})` : ''}`,
      );
      round.push({ st, to, own });
    }
    if (round.length === 0) break;
    const ok = await sw.moveRoutes(round.map((m) => ({ key: m.st.az.key, to: m.to, kind: 'bridge' as const })));
    left = [];
    for (const [i, m] of round.entries()) {
      if (!ok[i]) {
        left.push(m.st);
        continue;
      }
      moved.add(m.st);
      m.st.record.moves++;
      m.st.record.state = !m.own ? 'bridged' : m.st.record.state === 'home' ? 'home' : 'pending';
    }
  }
  return moved;
}

export class BridgeWatch {
  private stopped = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastError = '';
  /** Reads and moves made. */
  polls = 0;
  moves = 0;

  constructor(
    private readonly sw: Switch,
    private readonly intervalMs = WATCH_INTERVAL_MS,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /**
   * One check: read, and move every route (not frozen) whose target does not serve, all at once (rescueAll: every
   * ReplaceRoute before the confirmations).
   */
  async check(): Promise<void> {
    const { sw } = this;
    await sw.read();
    this.polls++;
    const due = sw.azs.filter((st) => !st.record.serving && !sw.frozen.has(st.record.routeTableId));
    if (due.length === 0) return;
    const why = (st: AzState) => `its route target${st.record.target ? ` ${st.record.target}` : ''} stopped serving`;
    this.moves += (await rescueAll(sw, due, why)).size;
  }

  private async run(): Promise<void> {
    const { sw } = this;
    while (!this.stopped && !sw.run.cancelled) {
      try {
        await sw.exclusive(() => this.check());
        this.lastError = '';
      } catch (err) {
        const line = describeError(err);
        if (line !== this.lastError && !sw.run.cancelled) sw.run.warn(`bridge watch: ${line} (retrying)`);
        this.lastError = line;
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        sw.run.clock.sleep(this.intervalMs, sw.run.deps.signal).then(resolve, resolve);
      });
    }
  }
}
