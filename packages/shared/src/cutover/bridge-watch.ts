/**
 * The bridge watch: from the first bridge to the end of a bridged switch, every `intervalMs` (default 500 ms) one
 * read of what serves (switch.ts: route tables, NAT gateways, NAT instances, addresses), and every AZ route of the
 * switch whose target stops serving — a bridge target failing, an AZ's own NAT failing before or after its turn,
 * EC2 showing the route `blackhole` — is moved at once to another serving NAT, or back to the AZ's own when only
 * that one serves (recorded in the journal first, as every bridge route). A route terraform is changing right now
 * is left alone. The watch's reads count as the cutover's view of each AZ's egress (the `egress-gaps` output).
 */
import { describeError } from '../runtime/index';
import type { Switch, AzState } from './switch';

/** Default poll interval of the watch (a failed target is moved within about this, plus one EC2 round trip). */
export const WATCH_INTERVAL_MS = 500;

/**
 * Moves AZ `st` to the best serving NAT (its own included, last resort first by preference order); true when the
 * route is confirmed at one. Logs what it did.
 */
export async function rescue(sw: Switch, st: AzState, why: string): Promise<boolean> {
  const key = st.az.key;
  for (const to of sw.candidates(key, { own: true, avoid: sw.avoid })) {
    const own = to.nat.ids.some((id) => st.own.has(id));
    sw.run.warn(
      `AZ ${key}: ${why}: moving ${st.record.routeTableId} to ${to.nat.ref}` +
        `${own ? " (the AZ's own NAT)" : to.az ? ` (AZ ${to.az})` : ''}`,
    );
    if (await sw.moveRoute(key, to, 'bridge')) {
      st.record.moves++;
      st.record.state = !own ? 'bridged' : st.record.state === 'home' ? 'home' : 'pending';
      return true;
    }
  }
  sw.run.warn(`AZ ${key}: ${why}, and no serving NAT with one of the Elastic IPs is left to move it to`);
  return false;
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

  /** One check: read, and move every route (not frozen) whose target does not serve. */
  async check(): Promise<void> {
    const { sw } = this;
    await sw.read();
    this.polls++;
    for (const st of sw.azs) {
      if (st.record.serving || sw.frozen.has(st.record.routeTableId)) continue;
      const target = st.record.target ? ` ${st.record.target}` : '';
      if (await rescue(sw, st, `its route target${target} stopped serving`)) this.moves++;
    }
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
