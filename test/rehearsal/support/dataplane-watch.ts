/**
 * Watches one VPC's private egress (dataplane.ts) while a scenario runs, from the proxy's point of view.
 *
 * When it reads: after every mutating EC2 call a client makes through the proxy (anything not Describe/Get/List)
 * and every proxy event (a gateway `deleting` → `deleted`, an address released, a gateway `failed`), because in
 * the stand-in nothing else changes what forwards: moto's instances run and its gateways are available at once,
 * and the proxy's timed changes are its events. A periodic read every `tickMs` (default 2 s) checks that claim: a
 * change first seen by a periodic read is counted in `missed` (0 expected). A read is five describes (route tables,
 * NAT gateways, interfaces, instances, security groups of the VPC) in parallel, through the proxy as an observer
 * (never faulted or logged), so it sees what EC2 clients see (gateways `deleting`, failed gateways); the subnets
 * (their AZs and CIDRs, which no switch changes) are read once, by the first read.
 *
 * No state is missed, however short: the proxy holds the answer to a mutating call (ProxyListener.hold) until a
 * read that started after moto applied it is in, so a client's next call (terraform's next step, the cutover's
 * route change) comes after the data plane saw the state the previous one made. Calls made in parallel are still
 * processed by moto as they arrive (the races stay races); only their answers wait, a read or two (`holdMs`).
 * A read started while a mutating call was in flight, or overlapped by a call or event, may mix before and after:
 * it is read again (`torn`). A change is dated at the end of the call (or the event) that made it, the moment moto
 * had applied it; `lagMs` is the longest a read started after that date.
 */
import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { egressOf, egressReport, sameEgress, type AzEgress, type EgressSample, type EgressSnapshot } from './dataplane';
import { OBSERVER_HEADER, type FaultProxy, type LogRecord } from './proxy';

export interface EgressWatchOptions {
  region: string;
  vpcId: string;
  /** The private route tables (terraform output private_route_table_ids). */
  routeTableIds: string[];
  /** The NAT Elastic IPs, allow-listed together (terraform output relay_ips). */
  allowedIps: string[];
  /** Periodic read interval, ms (0: none). Default 2000. */
  tickMs?: number;
}

export interface EgressWatchReport {
  region: string;
  from: number;
  to: number;
  azs: AzEgress[];
  /** The worst AZ's longest outage and total, seconds; egress from IPs outside the allow-list, seconds (all AZs). */
  longestSeconds: number;
  totalSeconds: number;
  foreignSeconds: number;
  samples: EgressSample[];
  /** Reads made, reads discarded as torn, changes first seen by a periodic read. */
  reads: number;
  torn: number;
  missed: number;
  /** Read duration (median, max) and the latest a change was read after it happened, ms. */
  readMs: { median: number; max: number };
  lagMs: number;
  /** How long the proxy held mutating calls' answers (median, max, count), ms; holds that gave up after 5 s. */
  holdMs: { median: number; max: number; count: number };
  unsettled: number;
}

const MUTATING = (action: string) => !/^(Describe|Get|List)/.test(action);
const MAX_TORN_IN_A_ROW = 20;

export class EgressWatch {
  private readonly ec2: EC2Client;
  private readonly samples: EgressSample[] = [];
  private readonly readDurations: number[] = [];
  private readonly inFlight = new Map<string, number>();
  private stopListening: () => void = () => undefined;
  private timer?: NodeJS.Timeout;
  private generation = 0;
  private lastChange = 0;
  private lastRead = 0;
  private dirty: 'call' | 'tick' | undefined;
  private running?: Promise<void>;
  private stopped = false;
  private reads = 0;
  private torn = 0;
  private missed = 0;
  private lag = 0;
  private failure?: Error;
  private readonly from = Date.now();
  /** Held calls: each answer waits until a clean read started at or after `after`. */
  private waiters: Array<{ after: number; release: () => void }> = [];
  private readonly holds: number[] = [];
  private unsettled = 0;
  private readonly observers = new Set<(sample: EgressSample) => void>();
  private subnets?: EgressSnapshot['subnets'];

  private constructor(
    private readonly proxy: FaultProxy,
    private readonly options: EgressWatchOptions,
  ) {
    this.ec2 = new EC2Client({
      endpoint: proxy.url,
      region: options.region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 3,
    });
    this.ec2.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[OBSERVER_HEADER] = '1';
        return next(args);
      },
      { step: 'build', name: 'rehearsalObserver' },
    );
  }

  /** Starts watching (after a first read). */
  static async start(proxy: FaultProxy, options: EgressWatchOptions): Promise<EgressWatch> {
    const w = new EgressWatch(proxy, options);
    w.stopListening = proxy.listen({
      started: (c) => {
        if (c.region !== options.region || c.service !== 'ec2' || !MUTATING(c.action)) return;
        w.inFlight.set(`${c.action}@${c.start}`, (w.inFlight.get(`${c.action}@${c.start}`) ?? 0) + 1);
        w.generation++;
      },
      recorded: (r) => w.onRecord(r),
      hold: (c) =>
        c.region === options.region && c.service === 'ec2' && MUTATING(c.action) ? w.hold(c.end) : undefined,
    });
    w.mark('call');
    await w.settle();
    const tick = options.tickMs ?? 2_000;
    if (tick > 0) w.timer = setInterval(() => w.mark('tick'), tick);
    return w;
  }

  private onRecord(r: LogRecord): void {
    if (r.region !== this.options.region) return;
    if (r.kind === 'call') {
      if (r.service !== 'ec2' || !MUTATING(r.action)) return;
      const key = `${r.action}@${r.start}`;
      const n = (this.inFlight.get(key) ?? 1) - 1;
      if (n > 0) this.inFlight.set(key, n);
      else this.inFlight.delete(key);
      this.lastChange = Math.max(this.lastChange, r.end);
    } else this.lastChange = Math.max(this.lastChange, r.t);
    this.generation++;
    this.mark('call');
  }

  /** Resolves once a clean read started at or after `after` (at most 5 s: then `unsettled`). */
  private hold(after: number): Promise<void> {
    if (this.stopped || this.failure) return Promise.resolve();
    const since = Date.now();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.unsettled++;
        done();
      }, 5_000);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w.release !== done);
        this.holds.push(Date.now() - since);
        resolve();
      };
      this.waiters.push({ after, release: done });
      this.mark('call');
    });
  }

  private release(readStart: number): void {
    for (const w of this.waiters.filter((x) => x.after <= readStart)) w.release();
  }

  private mark(reason: 'call' | 'tick'): void {
    if (this.stopped) return;
    this.dirty = this.dirty === 'call' || reason === 'call' ? 'call' : 'tick';
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  private async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async read(): Promise<EgressSnapshot> {
    const vpc = [{ Name: 'vpc-id', Values: [this.options.vpcId] }];
    const [subnets, routeTables, natGateways, interfaces, reservations, securityGroups] = await Promise.all([
      this.subnets ?? this.ec2.send(new DescribeSubnetsCommand({ Filters: vpc })).then((o) => o.Subnets ?? []),
      this.ec2.send(new DescribeRouteTablesCommand({ Filters: vpc })).then((o) => o.RouteTables ?? []),
      this.ec2.send(new DescribeNatGatewaysCommand({ Filter: vpc })).then((o) => o.NatGateways ?? []),
      this.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: vpc })).then((o) => o.NetworkInterfaces ?? []),
      this.ec2.send(new DescribeInstancesCommand({ Filters: vpc })).then((o) => o.Reservations ?? []),
      this.ec2.send(new DescribeSecurityGroupsCommand({ Filters: vpc })).then((o) => o.SecurityGroups ?? []),
    ]);
    const instances = reservations.flatMap((r) => r.Instances ?? []);
    this.subnets = subnets;
    return { subnets, routeTables, natGateways, interfaces, instances, securityGroups };
  }

  private async loop(): Promise<void> {
    let tornInARow = 0;
    while (this.dirty && !this.failure) {
      const reason = this.dirty;
      this.dirty = undefined;
      const generation = this.generation;
      // A call the proxy failed to log (it answered HTTP 500) would stay in flight for ever.
      for (const key of this.inFlight.keys())
        if (Number(key.split('@')[1]) < Date.now() - 30_000) this.inFlight.delete(key);
      const busy = this.inFlight.size > 0;
      const t0 = Date.now();
      let snapshot: EgressSnapshot;
      try {
        snapshot = await this.read();
      } catch (err) {
        this.failure = err instanceof Error ? err : new Error(String(err));
        for (const w of [...this.waiters]) w.release();
        return;
      }
      this.reads++;
      this.readDurations.push(Date.now() - t0);
      if ((busy || generation !== this.generation) && tornInARow < MAX_TORN_IN_A_ROW && !this.stopped) {
        this.torn++;
        tornInARow++;
        this.dirty = 'call';
        if (busy) await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      tornInARow = 0;
      this.record(egressOf(snapshot, this.options.routeTableIds), reason, t0);
      this.release(t0);
    }
  }

  private record(subnets: EgressSample['subnets'], reason: 'call' | 'tick', t0: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && sameEgress(last.subnets, subnets)) {
      this.lastRead = t0;
      return;
    }
    let t = t0;
    if (last) {
      if (reason === 'call' && this.lastChange > this.lastRead) t = Math.min(t0, this.lastChange);
      else this.missed++;
    }
    this.lag = Math.max(this.lag, t0 - t);
    this.lastRead = t0;
    const sample = { t, subnets };
    this.samples.push(sample);
    for (const fn of this.observers) fn(sample);
  }

  /** Calls `fn` with every new sample (a change of some subnet's egress) until the watch stops. */
  onSample(fn: (sample: EgressSample) => void): void {
    this.observers.add(fn);
  }

  /** Every sample so far (a change of some subnet's egress, in order). */
  history(): readonly EgressSample[] {
    return this.samples;
  }

  /** The latest read's egress per subnet. */
  current(): EgressSample['subnets'] {
    return this.samples[this.samples.length - 1]?.subnets ?? [];
  }

  /** Stops (after a last read) and reports; throws when a read failed. */
  async stop(): Promise<EgressWatchReport> {
    if (this.timer) clearInterval(this.timer);
    this.mark('call');
    await this.settle();
    this.stopped = true;
    this.stopListening();
    this.ec2.destroy();
    if (this.failure) throw new Error(`the egress watch of ${this.options.region} failed: ${this.failure.message}`);
    const to = Date.now();
    const azs = egressReport(this.samples, this.options.allowedIps, to);
    const sorted = [...this.readDurations].sort((a, b) => a - b);
    const holds = [...this.holds].sort((a, b) => a - b);
    return {
      region: this.options.region,
      from: this.from,
      to,
      azs,
      longestSeconds: Math.max(0, ...azs.map((a) => a.longestSeconds)),
      totalSeconds: Math.max(0, ...azs.map((a) => a.totalSeconds)),
      foreignSeconds: azs.reduce((a, z) => a + z.foreignSeconds, 0),
      samples: this.samples,
      reads: this.reads,
      torn: this.torn,
      missed: this.missed,
      readMs: { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
      lagMs: this.lag,
      holdMs: {
        median: holds[Math.floor(holds.length / 2)] ?? 0,
        max: holds[holds.length - 1] ?? 0,
        count: holds.length,
      },
      unsettled: this.unsettled,
    };
  }
}
