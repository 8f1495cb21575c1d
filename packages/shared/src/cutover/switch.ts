/**
 * A bridged switch in progress: every AZ's private route table, the NATs that serve now (nat/serving.ts, read in
 * a few batched describes), the route changes the cutover makes with EC2 ReplaceRoute — each recorded in the
 * journal before it is made (journal-types.ts) and confirmed with EC2 after (the route `active` at the new target,
 * the target serving) — and each AZ's egress as the cutover sees it at every read (its longest outage, bounded by
 * the last read that saw it up and the read or change that saw it back).
 *
 * A bridge target is only ever a NAT that serves now and egresses from one of the plan's Elastic IPs (all NAT
 * Elastic IPs of the VPC are allow-listed together), never an AZ's own NAT being replaced unless asked (`own`).
 * Preference: NAT gateways first (they scale; a NAT instance is bounded by its type's bandwidth), then the AZs
 * after this one in key order. Source for the route call: EC2 API reference ReplaceRoute (one target per route:
 * NatGatewayId or NetworkInterfaceId; DestinationCidrBlock 0.0.0.0/0).
 */
import { ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import {
  compareAzKeys,
  isServing,
  natOfTarget,
  servingNatOfRoute,
  servingView,
  type BridgeAz,
  type BridgePlan,
  type NatNode,
  type ServingView,
} from '../nat/index';
import { readServing } from '../nat/read';
import { within } from './bounded';
import type { CutoverJournal, JournalEntry } from './journal-types';
import { Journal } from './journal';
import type { CutoverRun } from './run';
import type { AzGap, BridgeRecord } from './switch-types';

/** Bound of one EC2 read or route change (the SDK's own timeouts apply inside it). */
const CALL_MS = 30_000;
/** Confirming a route change: reads until EC2 shows it, at most this long. */
const CONFIRM_MS = 10_000;

/** One AZ of the switch while it runs. */
export interface AzState {
  az: BridgeAz;
  record: BridgeRecord;
  /** Ids of the AZ's own NATs: the plan's before side, and its new NAT once known. */
  own: Set<string>;
  /** The last read that saw its egress up; the outage open now (seen at `detectedAt`, up last at `from`). */
  lastUp?: number;
  open?: { from: number; detectedAt: number };
  longest?: { from: number; to: number; detectedAt: number; fromWhat: string; toWhat: string };
  routeChanges: number;
}

/** One route change of moveRoutes: AZ `key`'s route to `to`, journal kind `kind`. */
export interface RouteMove {
  key: string;
  to: Target;
  kind: 'bridge' | 'unbridge';
}

/** A NAT a route can be moved to, and the route target that reaches it (nat-…, or the instance's eni-…). */
export interface Target {
  nat: NatNode;
  target: string;
  /** The AZ key it belongs to, when known. */
  az?: string;
}

const isGateway = (n: NatNode) => n.kind === 'zonal-gateway' || n.kind === 'regional-gateway';

/** Is the AZ's route (as last read) at one of the NATs `ids` names (its route target or that target's NAT)? */
export function routeAt(record: BridgeRecord, ids: ReadonlySet<string>): boolean {
  return !!record.target && (ids.has(record.target) || ids.has(record.targetNat ?? ''));
}

/** The route target that reaches `nat`: a gateway's id, an instance's primary interface, an interface itself. */
export function routeTargetOf(nat: NatNode): string {
  if (nat.kind === 'instance') return nat.live?.primaryInterfaceId ?? nat.ids[1] ?? nat.ref;
  return nat.ref;
}

export class Switch {
  view: ServingView;
  readonly azs: AzState[];
  /** NAT instances the reads ask for: the plan's, and every one the apply streams report. */
  readonly instanceIds = new Set<string>();
  /** Route tables terraform is changing now: the watch leaves them alone. */
  readonly frozen = new Set<string>();
  /** NAT ids the step running now removes: no route is moved to them. */
  readonly avoid = new Set<string>();
  readonly journal: CutoverJournal;
  /** This run's journal entries (when the journal is the engine's own, journal.ts), for the result. */
  get records(): readonly JournalEntry[] | undefined {
    return this.journal instanceof Journal ? this.journal.entries : undefined;
  }
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly run: CutoverRun,
    readonly plan: BridgePlan,
    readonly vpcId: string,
    view: ServingView,
  ) {
    this.view = view;
    this.journal = run.journal;
    for (const a of plan.allAzs) for (const id of a.beforeInstanceIds) this.instanceIds.add(id);
    this.azs = plan.allAzs.map((az) => ({
      az,
      own: new Set(az.beforeIds),
      routeChanges: 0,
      record: { az: az.key, routeTableId: az.routeTableId ?? '', state: 'pending', moves: 0 },
    }));
    this.observe(view, run.clock.now());
  }

  state(key: string): AzState {
    return this.azs.find((s) => s.az.key === key) as AzState;
  }

  /** Runs `fn` after every route change queued before it (the main flow and the watch never race on a route). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** One read of what serves (bounded, cancellable); updates the view and each AZ's egress record. */
  async read(): Promise<ServingView> {
    const { run } = this;
    const d = await within(
      (signal) =>
        readServing(run.deps.ec2(), {
          vpcId: this.vpcId,
          routeTableIds: this.azs.map((s) => s.record.routeTableId),
          instanceIds: [...this.instanceIds],
          allocationIds: this.plan.eipAllocationIds,
          signal,
        }),
      {
        clock: run.clock,
        deadline: run.clock.now() + CALL_MS,
        ...(run.deps.signal ? { signal: run.deps.signal } : {}),
        what: 'EC2 reads of the switch (route tables, NAT gateways, instances, addresses)',
      },
    );
    this.view = servingView(d);
    this.observe(this.view, run.clock.now());
    return this.view;
  }

  /** The AZ key whose own NAT `nat` is, if any. */
  azOfNat(nat: NatNode): string | undefined {
    return this.azs.find((s) => nat.ids.some((id) => s.own.has(id)))?.az.key;
  }

  /** Does the NAT egress from one of the plan's Elastic IPs (the allow-listed set)? */
  allowed(nat: NatNode): boolean {
    const a = nat.live?.allocationId;
    return !!a && this.plan.eipAllocationIds.includes(a);
  }

  /**
   * Serving NATs the route of AZ `key` can move to, best first (see the file comment); `own`: the AZ's own NATs
   * too (moving back). `avoid`: NAT ids not to use (about to be removed).
   */
  candidates(key: string, opts: { own?: boolean; avoid?: Set<string> } = {}): Target[] {
    const st = this.state(key);
    const keys = this.azs.map((s) => s.az.key);
    const distance = (k?: string) => {
      if (k === undefined) return keys.length;
      const d = keys.indexOf(k) - keys.indexOf(key);
      return d > 0 ? d : d + keys.length;
    };
    return this.view.nats
      .filter((n) => isServing(n) && this.allowed(n))
      .filter((n) => opts.own || !n.ids.some((id) => st.own.has(id)))
      .filter((n) => !n.ids.some((id) => opts.avoid?.has(id)))
      .map((nat) => ({ nat, target: routeTargetOf(nat), ...(this.azOfNat(nat) ? { az: this.azOfNat(nat) } : {}) }))
      .sort(
        (a, b) =>
          Number(isGateway(b.nat)) - Number(isGateway(a.nat)) ||
          distance(a.az) - distance(b.az) ||
          compareAzKeys(a.nat.ref, b.nat.ref),
      );
  }

  /** Moves one AZ's route (moveRoutes of one move): true when confirmed. Throws as moveRoutes does. */
  async moveRoute(key: string, to: Target, kind: 'bridge' | 'unbridge'): Promise<boolean> {
    return (await this.moveRoutes([{ key, to, kind }]))[0] === true;
  }

  /**
   * Moves several AZs' routes at once (EC2 ReplaceRoute, one per AZ): each recorded in the journal with `intend`
   * and its ReplaceRoute sent right after, for every move before any confirmation, so no AZ waits for another's
   * confirmation; then the confirmations, sharing reads (confirmAll), each recorded `done` (active / unconfirmed).
   * Returns, per move in order, whether EC2 shows the route active at a serving `to` within CONFIRM_MS. Throws
   * (one line) when the journal cannot record a move (no ReplaceRoute is sent for it or after it) or EC2 refuses
   * one — after the moves already sent are confirmed and recorded.
   */
  async moveRoutes(moves: readonly RouteMove[]): Promise<boolean[]> {
    // Each call settles to its error (undefined: accepted), handled at once while later moves are recorded.
    const sent: { rt: string; target: string; id: string; call: Promise<unknown> }[] = [];
    let error: unknown;
    for (const m of moves) {
      const st = this.state(m.key);
      const rt = st.record.routeTableId;
      const from = this.view.routes.get(rt)?.target ?? '';
      const target = m.to.target;
      let id: string;
      try {
        id = await this.journal.intend(
          m.kind === 'bridge'
            ? { kind: m.kind, az: m.key, routeTableId: rt, from, to: target, toNat: m.to.nat.ref }
            : { kind: m.kind, az: m.key, routeTableId: rt, from, to: target },
        );
      } catch (err) {
        error = err;
        break;
      }
      const call = this.replaceRoute(rt, target).then(
        () => void st.routeChanges++,
        (err: unknown) => err ?? new Error(`EC2 ReplaceRoute ${rt} failed`),
      );
      sent.push({ rt, target, id, call });
    }
    const errors = await Promise.all(sent.map((s) => s.call));
    const accepted = sent.filter((_, i) => errors[i] === undefined);
    error ??= errors.find((e) => e !== undefined);
    const confirmed = await this.confirmAll(accepted);
    for (const [i, s] of accepted.entries())
      await this.journal.done(s.id, {
        routeTableId: s.rt,
        target: s.target,
        state: confirmed[i] ? 'active' : 'unconfirmed',
      });
    if (error !== undefined) throw error;
    return confirmed;
  }

  /** One EC2 ReplaceRoute of the route table's 0.0.0.0/0 route to `target` (bounded, cancellable). */
  private async replaceRoute(rt: string, target: string): Promise<void> {
    const { run } = this;
    const input = {
      RouteTableId: rt,
      DestinationCidrBlock: '0.0.0.0/0',
      ...(target.startsWith('nat-') ? { NatGatewayId: target } : { NetworkInterfaceId: target }),
    };
    await within((abortSignal) => run.deps.ec2().send(new ReplaceRouteCommand(input), { abortSignal }), {
      clock: run.clock,
      deadline: run.clock.now() + CALL_MS,
      ...(run.deps.signal ? { signal: run.deps.signal } : {}),
      what: `EC2 ReplaceRoute ${rt}`,
    });
  }

  /** Reads until the route is at `target` and serving (true), or CONFIRM_MS passed (false): confirmAll of one. */
  async confirm(rt: string, target: string): Promise<boolean> {
    return (await this.confirmAll([{ rt, target }]))[0] === true;
  }

  /**
   * Reads (one read for all, every 500 ms) until each route `rt` is at its `target` and serving (true), or
   * CONFIRM_MS passed (false). A route at its `target` and `target` not serving (a gateway `deleting` or
   * `failed`, an instance stopped: it served when it was chosen) is false at once, so the caller moves it on
   * without waiting. No read when `items` is empty.
   */
  async confirmAll(items: readonly { rt: string; target: string }[]): Promise<boolean[]> {
    const { clock } = this.run;
    const until = clock.now() + CONFIRM_MS;
    const out: (boolean | undefined)[] = items.map(() => undefined);
    while (out.includes(undefined)) {
      const view = await this.read();
      for (const [i, { rt, target }] of items.entries()) {
        if (out[i] !== undefined) continue;
        const at = view.routes.get(rt)?.target === target;
        const nat = at ? natOfTarget(view, target) : undefined;
        if (at && servingNatOfRoute(view, rt)) out[i] = true;
        else if (nat?.live && !isServing(nat)) out[i] = false;
      }
      if (!out.includes(undefined) || clock.now() >= until) break;
      await clock.sleep(500, this.run.deps.signal);
    }
    return out.map((o) => o === true);
  }

  /** Updates each AZ's record and egress bookkeeping from one read at `at`. */
  private observe(view: ServingView, at: number): void {
    for (const st of this.azs) {
      const rt = st.record.routeTableId;
      const route = view.routes.get(rt);
      const nat = servingNatOfRoute(view, rt);
      const up = !!nat && this.allowed(nat);
      st.record.serving = up;
      if (route?.target) st.record.target = route.target;
      const target = route?.target ? view.nats.find((n) => n.ids.includes(route.target)) : undefined;
      if (target) st.record.targetNat = target.ref;
      const targetAz = target ? this.azOfNat(target) : undefined;
      if (targetAz) st.record.targetAz = targetAz;
      if (up) {
        if (st.open) this.close(st, at, route?.target ?? '');
        st.lastUp = at;
      } else if (!st.open) {
        st.open = { from: st.lastUp ?? at, detectedAt: at };
      }
    }
  }

  private close(st: AzState, at: number, toWhat: string): void {
    const open = st.open as { from: number; detectedAt: number };
    const seconds = at - open.from;
    if (!st.longest || seconds > st.longest.to - st.longest.from)
      st.longest = {
        from: open.from,
        to: at,
        detectedAt: open.detectedAt,
        fromWhat: 'route target not serving',
        toWhat,
      };
    delete st.open;
  }

  /** The `egress-gaps` entries: each AZ's longest outage as seen here (0 when none). */
  gaps(): AzGap[] {
    const s1 = (ms: number) => Math.round(ms / 100) / 10;
    const iso = (ms: number) => new Date(ms).toISOString();
    return this.azs.map((st): AzGap => {
      const base = { az: st.az.key, routeTableId: st.record.routeTableId, routeChanges: st.routeChanges };
      if (st.open) return { ...base, from: iso(st.open.from), fromWhat: 'route target not serving' };
      const l = st.longest;
      if (!l) return { ...base, seconds: 0 };
      return {
        ...base,
        seconds: s1(l.to - l.from),
        atLeastSeconds: s1(l.to - l.detectedAt),
        from: iso(l.from),
        to: iso(l.to),
        fromWhat: l.fromWhat,
        toWhat: `route at ${l.toWhat}`,
      };
    });
  }
}
