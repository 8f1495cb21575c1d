/**
 * The rehearsal's data-plane model: for each private subnet of a watched VPC, whether its route table's default
 * route reaches a NAT that forwards, and from which public IP — a NAT gateway `available` (not being deleted by
 * the proxy) with its address, or an interface attached to a `running` instance with source/destination check off
 * and a public address on it (EC2: a NAT instance forwards from its interface's public IP; without one nothing
 * leaves). A subnet with no default route, or a route to anything else, does not egress.
 *
 * When: EC2's state only changes when something changes it, so the model is recomputed after every mutating call
 * the proxy answers (any status < 400 call that is not Describe/Get/List), every proxy event (gateway deleted,
 * address released) and every change a model or the test reports — stamped with that change's time, so the state
 * is a step function exact to the change (resolution: the moment the call returned). A check every `pollMs`
 * (1 s) re-reads anyway and counts changes no call explained (`lazyChanges`: 0 means nothing was missed, e.g.
 * moto's lazy pending → running). Overhead (reads, their time, the lag from a change to its read) is counted.
 * Reads go to moto directly (5 describes, filtered by the VPC), with the proxy's deleting gateways applied.
 */
import type { CallRecord, ModelContext, ProxyModel } from './proxy';
import { allItems, items, tag } from './models/xml';

export interface SubnetState {
  forwards: boolean;
  /** The public IP it egresses from, when it forwards. */
  ip?: string;
  /** The route's target (nat-…, eni-…), or '' without a default route. */
  via: string;
}

interface Sample {
  t: number;
  subnets: Record<string, SubnetState>;
}

interface Watch {
  region: string;
  vpcId: string;
  azBySubnet: Map<string, string>;
  samples: Sample[];
  pendingAt?: number;
  running: boolean;
  timer?: NodeJS.Timeout;
}

/** One private AZ's egress over a window, from the model. */
export interface AzEgress {
  az: string;
  subnets: string[];
  /** Longest interval without egress, and the sum of all of them (seconds). */
  longestOutageSeconds: number;
  totalOutageSeconds: number;
  /** Bounds of the longest outage (ms since the epoch). */
  longestFrom?: number;
  longestTo?: number;
  /** Seconds of egress from an address outside `allowed`. */
  disallowedSeconds: number;
  /** The public IPs it egressed from. */
  ips: string[];
  /** State changes seen in the window. */
  changes: number;
}

const MUTATING = (action: string) => !/^(Describe|Get|List)/.test(action) && !action.startsWith('GET ');

export class DataPlane implements ProxyModel {
  private readonly watches = new Map<string, Watch>();
  /** Reads made, their total time, the largest lag from a change to its read, changes no call explained. */
  reads = 0;
  readMs = 0;
  maxLagMs = 0;
  lazyChanges = 0;

  constructor(
    private readonly ctx: ModelContext,
    private readonly pollMs = 1_000,
  ) {}

  /** Starts modelling the VPC's private subnets in `region`. */
  async watch(region: string, vpcId: string): Promise<void> {
    const w: Watch = { region, vpcId, azBySubnet: new Map(), samples: [], running: false };
    this.watches.set(region, w);
    await this.recompute(w, Date.now());
    w.timer = setInterval(() => {
      if (!w.running && w.pendingAt === undefined) void this.recompute(w, Date.now(), true);
    }, this.pollMs);
    w.timer.unref();
  }

  unwatch(region: string): void {
    const w = this.watches.get(region);
    if (w?.timer) clearInterval(w.timer);
  }

  stopAll(): void {
    for (const r of this.watches.keys()) this.unwatch(r);
  }

  observe(call: CallRecord): void {
    if (call.service === 'ec2' && call.status < 400 && MUTATING(call.action)) this.changed(call.region, call.end);
  }

  changed(region: string, t: number): void {
    const w = this.watches.get(region);
    if (!w) return;
    w.pendingAt = Math.max(w.pendingAt ?? 0, t);
    if (!w.running) void this.drain(w);
  }

  private async drain(w: Watch): Promise<void> {
    while (w.pendingAt !== undefined) {
      const t = w.pendingAt;
      delete w.pendingAt;
      await this.recompute(w, t);
    }
  }

  private async recompute(w: Watch, t: number, periodic = false): Promise<void> {
    w.running = true;
    const started = Date.now();
    try {
      const subnets = await this.read(w);
      this.reads++;
      this.readMs += Date.now() - started;
      this.maxLagMs = Math.max(this.maxLagMs, started - t);
      const last = w.samples[w.samples.length - 1];
      if (!last || JSON.stringify(last.subnets) !== JSON.stringify(subnets)) {
        if (periodic && last) this.lazyChanges++;
        w.samples.push({ t, subnets });
      }
    } catch {
      // moto busy: the next change or check reads again
    } finally {
      w.running = false;
    }
    if (w.pendingAt !== undefined && !w.running) void this.drain(w);
  }

  /** One read of every private subnet's egress (5 describes to moto). */
  private async read(w: Watch): Promise<Record<string, SubnetState>> {
    const vpc = { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': w.vpcId };
    const [subnets, tables, gateways, enis, instances] = await Promise.all(
      [
        'DescribeSubnets',
        'DescribeRouteTables',
        'DescribeNatGateways',
        'DescribeNetworkInterfaces',
        'DescribeInstances',
      ].map((a) => this.ctx.motoEc2(w.region, a, vpc)),
    );
    const deleting = this.ctx.deletingGateways(w.region);
    const gatewayIp = new Map<string, string | undefined>();
    for (const g of items(gateways as string, 'natGatewaySet')) {
      const id = tag(g, 'natGatewayId') ?? '';
      if (tag(g, 'state') === 'available' && !deleting.has(id)) gatewayIp.set(id, tag(g, 'publicIp'));
    }
    const running = new Set(
      allItems(instances as string, 'instancesSet')
        .filter((i) => /<instanceState>\s*<code>16<\/code>/.test(i))
        .map((i) => tag(i, 'instanceId')),
    );
    const eniState = new Map<string, { forwards: boolean; ip?: string }>();
    for (const n of items(enis as string, 'networkInterfaceSet')) {
      const ip = tag(n.slice(n.indexOf('<association>')), 'publicIp');
      const attached = /<attachment>[^]*<status>attached<\/status>/.test(n) && running.has(tag(n, 'instanceId'));
      const forwards = attached && tag(n, 'sourceDestCheck') === 'false' && !!ip && n.includes('<association>');
      eniState.set(tag(n, 'networkInterfaceId') ?? '', { forwards, ...(ip && forwards ? { ip } : {}) });
    }
    return this.perSubnet(w, subnets as string, tables as string, gatewayIp, eniState);
  }

  private perSubnet(
    w: Watch,
    subnets: string,
    tables: string,
    gatewayIp: Map<string, string | undefined>,
    eniState: Map<string, { forwards: boolean; ip?: string }>,
  ): Record<string, SubnetState> {
    const tableItems = items(tables, 'routeTableSet');
    const main = tableItems.find((t) => /<main>true<\/main>/.test(t));
    const out: Record<string, SubnetState> = {};
    for (const s of items(subnets, 'subnetSet')) {
      const id = tag(s, 'subnetId') ?? '';
      w.azBySubnet.set(id, tag(s, 'availabilityZone') ?? 'unknown');
      const table = tableItems.find((t) => t.includes(`<subnetId>${id}</subnetId>`)) ?? main;
      const route = table
        ? items(table, 'routeSet').find((r) => r.includes('<destinationCidrBlock>0.0.0.0/0<'))
        : undefined;
      if (route && tag(route, 'gatewayId')?.startsWith('igw-')) continue; // a public subnet
      const nat = route ? tag(route, 'natGatewayId') : undefined;
      const eni = route ? tag(route, 'networkInterfaceId') : undefined;
      if (nat) {
        const ip = gatewayIp.get(nat);
        out[id] = { forwards: gatewayIp.has(nat) && !!ip, ...(ip ? { ip } : {}), via: nat };
      } else if (eni) {
        out[id] = { ...(eniState.get(eni) ?? { forwards: false }), via: eni };
      } else out[id] = { forwards: false, via: '' };
    }
    return out;
  }

  /** Waits until every change reported so far is read. */
  async settled(region: string): Promise<void> {
    const w = this.watches.get(region);
    while (w && (w.running || w.pendingAt !== undefined)) await new Promise((r) => setTimeout(r, 20));
  }

  /** Per private AZ, its egress between `since` and `until` (ms since the epoch), against the allowed IPs. */
  egress(region: string, allowed: readonly string[], since: number, until = Date.now()): AzEgress[] {
    const w = this.watches.get(region);
    if (!w) return [];
    const subnets = [...new Set(w.samples.flatMap((s) => Object.keys(s.subnets)))];
    const azs = [...new Set(subnets.map((s) => w.azBySubnet.get(s) ?? 'unknown'))].sort();
    return azs.map((az) => {
      const mine = subnets.filter((s) => (w.azBySubnet.get(s) ?? 'unknown') === az);
      const per = mine.map((s) => subnetEgress(w.samples, s, allowed, since, until));
      const longest = per.reduce((a, b) => (b.longest.ms > a.longest.ms ? b : a), per[0] ?? emptyEgress());
      return {
        az,
        subnets: mine,
        longestOutageSeconds: round1(Math.max(0, ...per.map((p) => p.longest.ms)) / 1000),
        totalOutageSeconds: round1(Math.max(0, ...per.map((p) => p.totalMs)) / 1000),
        ...(longest.longest.ms > 0 ? { longestFrom: longest.longest.from, longestTo: longest.longest.to } : {}),
        disallowedSeconds: round1(Math.max(0, ...per.map((p) => p.disallowedMs)) / 1000),
        ips: [...new Set(per.flatMap((p) => p.ips))].sort(),
        changes: per.reduce((a, p) => a + p.changes, 0),
      };
    });
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

interface SubnetEgress {
  longest: { ms: number; from: number; to: number };
  totalMs: number;
  disallowedMs: number;
  ips: string[];
  changes: number;
}

const emptyEgress = (): SubnetEgress => ({
  longest: { ms: 0, from: 0, to: 0 },
  totalMs: 0,
  disallowedMs: 0,
  ips: [],
  changes: 0,
});

/** The step function of one subnet over [since, until]: its outages (merged) and its egress from disallowed IPs. */
function subnetEgress(samples: Sample[], subnet: string, allowed: readonly string[], since: number, until: number) {
  const out = emptyEgress();
  const ips = new Set<string>();
  const steps = samples.filter((s) => s.subnets[subnet]);
  const down: { from: number; to: number }[] = [];
  let open: number | undefined;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as Sample;
    const from = Math.max(s.t, since);
    const to = Math.min(steps[i + 1]?.t ?? until, until);
    if (to <= from) continue;
    if (s.t >= since) out.changes++;
    const st = s.subnets[subnet] as SubnetState;
    if (!st.forwards) {
      open ??= from;
      continue;
    }
    if (open !== undefined) down.push({ from: open, to: from });
    open = undefined;
    if (st.ip) ips.add(st.ip);
    if (st.ip && !allowed.includes(st.ip)) out.disallowedMs += to - from;
  }
  if (open !== undefined) down.push({ from: open, to: until });
  for (const d of down) {
    out.totalMs += d.to - d.from;
    if (d.to - d.from > out.longest.ms) out.longest = { ms: d.to - d.from, ...d };
  }
  out.ips = [...ips];
  return out;
}
