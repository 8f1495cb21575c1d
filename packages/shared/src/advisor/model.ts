/**
 * Prices every NAT mode for the measured traffic, finds the break-even volumes and judges instance throughput
 * against the type's network figures (pure: no AWS calls); recommend.ts picks one mode.
 *
 * Cost model per 730-hour month (sources in prices.ts):
 * - NAT instances, one per AZ: instance-hours + one public IPv4 per instance; no per-GB charge.
 * - zonal NAT gateways, one per AZ: gateway-hours + one public IPv4 each + processing per GB.
 * - one zonal NAT gateway for every AZ (the runbook's "1 NAT Gateway"): gateway-hours + one public IPv4 +
 *   processing + cross-AZ transfer for the traffic of the other AZs (it sits in the busiest AZ).
 * - one regional NAT gateway: gateway-hours in each AZ it is active in + one public IPv4 per AZ + processing.
 * Internet data transfer out is the same in every mode and is shown once, outside the comparison.
 */
import type { InstanceTypeNetwork } from './instance-types';
import type { PriceBook, PriceSource } from './prices';
import { HOURS_PER_MONTH } from './traffic';
import type { BreakEven, CostLine, ModeCost, ModeId, NatTraffic, ThroughputVerdict } from './types';

export interface ModelInput {
  /** AZs with private subnets (each gets a NAT in the per-AZ modes). */
  azs: string[];
  traffic: NatTraffic[];
  prices: PriceBook;
  /** The type today's NAT instances run (or the runbook's default when there are none). */
  instanceType: string;
  /** A type to compare with, when asked. */
  chosenInstanceType?: string;
  network: Record<string, InstanceTypeNetwork>;
  current: ModeId | null;
}

export interface ModelResult {
  modes: ModeCost[];
  breakEvens: BreakEven[];
  recommendation: { mode: ModeId; label: string; monthlyUsd: number; reasons: string[] };
  monthlyProcessedGB: number;
  notes: string[];
}

const GBPS = 1e9 / 8; // bytes per second in one Gbit/s

const INSTANCE_AVAILABILITY =
  'One instance per AZ: a single point of failure per AZ (no failover; an instance, AMI or nftables fault stops ' +
  "that AZ's egress until it is replaced)";

export const AVAILABILITY: Record<ModeId, string> = {
  instance: INSTANCE_AVAILABILITY,
  'instance-chosen': INSTANCE_AVAILABILITY,
  'zonal-gateway-per-az': 'Managed, redundant within each AZ; an AZ outage stops egress of that AZ only',
  'single-zonal-gateway': 'Every AZ depends on one AZ: its outage stops all egress',
  'regional-gateway':
    'Highly available by default: active in every AZ with workloads, expands to new AZs automatically',
};

export function usd(n: number): string {
  return `$${n.toFixed(2)}`;
}

/** A unit price: up to 4 decimals, no trailing zeros ($0.0104, $0.045, $0.005). */
export function unitPrice(n: number): string {
  return `$${Number(n.toFixed(4)).toString()}`;
}

export function gb(n: number): string {
  return n >= 100 ? `${Math.round(n).toLocaleString('en-US')} GB` : `${n.toFixed(n >= 10 ? 1 : 2)} GB`;
}

const line = (item: string, monthlyUsd: number, detail: string, source: PriceSource): CostLine => ({
  item,
  monthlyUsd,
  detail,
  source,
});

/** Per-AZ shares of the measured monthly volume and per-direction rates (a NAT serving several AZs is split evenly). */
function perAzLoad(
  azs: string[],
  traffic: NatTraffic[],
): Map<string, { gb: number; peak: number; hour: number; natIds: string[] }> {
  const out = new Map(azs.map((az) => [az, { gb: 0, peak: 0, hour: 0, natIds: [] as string[] }]));
  for (const t of traffic) {
    const served = (t.servesAzs.length ? t.servesAzs : [t.az]).filter((az) => out.has(az));
    const targets = served.length ? served : azs.slice(0, 1);
    for (const az of targets) {
      const slot = out.get(az);
      if (!slot) continue;
      slot.gb += t.monthlyProcessedGB / targets.length;
      slot.peak += t.peakBytesPerSecond / targets.length;
      slot.hour += t.busiestHourBytesPerSecond / targets.length;
      slot.natIds.push(t.natId);
    }
  }
  return out;
}

function throughput(
  azs: string[],
  traffic: NatTraffic[],
  type: string,
  net: InstanceTypeNetwork | undefined,
): ThroughputVerdict[] {
  const load = perAzLoad(azs, traffic);
  return azs.map((az) => {
    const l = load.get(az)!;
    const peakGbps = l.peak / GBPS;
    const hourGbps = l.hour / GBPS;
    const base = {
      az,
      natId: l.natIds.join(', '),
      instanceType: type,
      peakGbps,
      busiestHourGbps: hourGbps,
      baselineGbps: net?.baselineGbps ?? 0,
      burstGbps: net?.burstGbps ?? 0,
    };
    const fmt = (g: number) =>
      `${g < 0.1 ? (g * 1000).toFixed(g < 0.01 ? 2 : 1) + ' Mbit/s' : g.toFixed(2) + ' Gbit/s'}`;
    if (!net) return { ...base, verdict: 'unknown' as const, message: `No network figures for ${type}` };
    if (peakGbps <= net.baselineGbps) {
      return {
        ...base,
        verdict: 'fits' as const,
        message: `Peak ${fmt(peakGbps)} is within ${type}'s ${fmt(net.baselineGbps)} baseline`,
      };
    }
    if (peakGbps <= net.burstGbps && hourGbps <= net.baselineGbps) {
      return {
        ...base,
        verdict: 'burst' as const,
        message:
          `Peak ${fmt(peakGbps)} is above ${type}'s ${fmt(net.baselineGbps)} baseline but within its ` +
          `${fmt(net.burstGbps)} burst, and the busiest hour (${fmt(hourGbps)}) stays within the baseline: ` +
          'network burst credits cover it',
      };
    }
    const why =
      peakGbps > net.burstGbps
        ? `peak ${fmt(peakGbps)} exceeds even its ${fmt(net.burstGbps)} burst`
        : `the busiest hour averages ${fmt(hourGbps)}, above the ${fmt(net.baselineGbps)} baseline for longer ` +
          'than burst credits last (typically 5–60 minutes)';
    return {
      ...base,
      verdict: 'throttle' as const,
      message: `Instance mode would throttle at your peak in ${az} (${type}): ${why}`,
    };
  });
}

/** Volumes where two modes cost the same, for every pair whose lines cross at a positive volume. */
export function breakEvens(modes: ModeCost[]): BreakEven[] {
  const out: BreakEven[] = [];
  const priced = modes.filter((m) => !m.unpriced);
  for (let i = 0; i < priced.length; i++) {
    for (let j = i + 1; j < priced.length; j++) {
      const a = priced[i]!;
      const b = priced[j]!;
      if (Math.abs(a.perGBUsd - b.perGBUsd) < 1e-12) continue;
      const v = (b.fixedMonthlyUsd - a.fixedMonthlyUsd) / (a.perGBUsd - b.perGBUsd);
      if (!(v > 0) || !Number.isFinite(v)) continue;
      const [below, above] = a.fixedMonthlyUsd < b.fixedMonthlyUsd ? [a, b] : [b, a];
      out.push({ below: below.id, above: above.id, gbPerMonth: v });
    }
  }
  return out.sort((x, y) => x.gbPerMonth - y.gbPerMonth);
}

/** What every mode is priced from: the input, the AZ count, the measured monthly volume and cross-AZ share. */
interface Pricing {
  input: ModelInput;
  /** AZs priced (at least one). */
  n: number;
  /** Processed GB per month, all NATs together. */
  volume: number;
  /** GB per month the AZs other than the busiest send to one zonal gateway. */
  crossAzGB: number;
  /** The data-processing line every gateway mode has. */
  processing: CostLine;
}

const H = HOURS_PER_MONTH;

function finish(m: Omit<ModeCost, 'monthlyUsd' | 'fixedMonthlyUsd'>, fixed: number, volume: number): ModeCost {
  return { ...m, fixedMonthlyUsd: fixed, monthlyUsd: fixed + m.perGBUsd * volume, lines: m.lines };
}

function hourLine(item: string, count: number, price: { usd: number; source: PriceSource }): CostLine {
  return line(item, count * price.usd * H, `${count} × ${unitPrice(price.usd)}/h × ${H} h`, price.source);
}

/** NAT instances of `type`, one per AZ: instance-hours and one public IPv4 each, no per-GB charge. */
function instanceMode(p: Pricing, id: ModeId, type: string): ModeCost {
  const { input, n } = p;
  const price = input.prices.instanceHour[type];
  const ipv4 = input.prices.publicIpv4Hour;
  const lines: CostLine[] = [];
  let fixed = 0;
  if (price) {
    lines.push(hourLine(`${n} × ${type} instance-hours`, n, price));
    fixed += n * price.usd * H;
  }
  lines.push(hourLine(`Public IPv4 (${n})`, n, ipv4));
  fixed += n * ipv4.usd * H;
  const mode = {
    id,
    label: `NAT instances (${type}), one per AZ`,
    units: n,
    instanceType: type,
    lines,
    perGBUsd: 0,
    current: input.current === id,
    availability: AVAILABILITY[id],
    throughput: throughput(input.azs, input.traffic, type, input.network[type]),
    ...(price ? {} : { unpriced: `no price for ${type}` }),
  };
  return finish(mode, fixed, p.volume);
}

/** Zonal NAT gateways, one per AZ: gateway-hours and one public IPv4 each, plus processing. */
function zonalPerAz(p: Pricing): ModeCost {
  const { input, n } = p;
  const { natGatewayHour: gwHour, publicIpv4Hour: ipv4, natGatewayGB: gwGB } = input.prices;
  const mode = {
    id: 'zonal-gateway-per-az' as const,
    label: `Zonal NAT gateways, one per AZ (${n})`,
    units: n,
    lines: [hourLine(`${n} × NAT gateway-hours`, n, gwHour), hourLine(`Public IPv4 (${n})`, n, ipv4), p.processing],
    perGBUsd: gwGB.usd,
    current: input.current === 'zonal-gateway-per-az',
    availability: AVAILABILITY['zonal-gateway-per-az'],
  };
  return finish(mode, n * (gwHour.usd + ipv4.usd) * H, p.volume);
}

/** One zonal gateway for every AZ (in the busiest): one gateway-hour and IPv4, processing, cross-AZ transfer. */
function singleZonal(p: Pricing): ModeCost {
  const { input, n, volume, crossAzGB } = p;
  const { natGatewayHour: gwHour, publicIpv4Hour: ipv4, natGatewayGB: gwGB, crossAzGB: crossAz } = input.prices;
  const share = volume > 0 ? crossAzGB / volume : (n - 1) / n;
  const mode = {
    id: 'single-zonal-gateway' as const,
    label: 'One zonal NAT gateway for all AZs',
    units: 1,
    lines: [
      line('1 × NAT gateway-hours', gwHour.usd * H, `${unitPrice(gwHour.usd)}/h × ${H} h`, gwHour.source),
      line('Public IPv4 (1)', ipv4.usd * H, `${unitPrice(ipv4.usd)}/h × ${H} h`, ipv4.source),
      p.processing,
      line(
        `Cross-AZ transfer (${gb(crossAzGB)})`,
        crossAzGB * crossAz.usd,
        `${gb(crossAzGB)} from the other AZs × ${unitPrice(crossAz.usd)}/GB`,
        crossAz.source,
      ),
    ],
    perGBUsd: gwGB.usd + share * crossAz.usd,
    current: input.current === 'single-zonal-gateway',
    availability: AVAILABILITY['single-zonal-gateway'],
  };
  return finish(mode, (gwHour.usd + ipv4.usd) * H, volume);
}

/** One regional gateway: gateway-hours and one public IPv4 in each AZ it is active in, plus processing. */
function regional(p: Pricing): ModeCost {
  const { input, n } = p;
  const { natGatewayHour: gwHour, publicIpv4Hour: ipv4, natGatewayGB: gwGB } = input.prices;
  const azs = `${n} AZ${n > 1 ? 's' : ''}`;
  const mode = {
    id: 'regional-gateway' as const,
    label: `One regional NAT gateway (billed in ${azs})`,
    units: n,
    lines: [
      hourLine(`NAT gateway-hours in ${azs}`, n, gwHour),
      hourLine(`Public IPv4 (${n}, one per AZ)`, n, ipv4),
      p.processing,
    ],
    perGBUsd: gwGB.usd,
    current: input.current === 'regional-gateway',
    availability: AVAILABILITY['regional-gateway'],
  };
  return finish(mode, n * (gwHour.usd + ipv4.usd) * H, p.volume);
}

/** Every mode priced at the measured volume (per-AZ modes with `azs.length` units, at least one). */
export function modeCosts(input: ModelInput): { modes: ModeCost[]; volume: number } {
  const { azs, traffic, prices } = input;
  const volume = traffic.reduce((a, t) => a + t.monthlyProcessedGB, 0);
  const busiestAzGB = Math.max(0, ...[...perAzLoad(azs, traffic).values()].map((l) => l.gb));
  const gwGB = prices.natGatewayGB;
  const p: Pricing = {
    input,
    n: Math.max(1, azs.length),
    volume,
    crossAzGB: Math.max(0, volume - busiestAzGB),
    processing: line(
      `Data processing (${gb(volume)})`,
      volume * gwGB.usd,
      `${gb(volume)} × ${unitPrice(gwGB.usd)}/GB`,
      gwGB.source,
    ),
  };
  const modes: ModeCost[] = [instanceMode(p, 'instance', input.instanceType)];
  if (input.chosenInstanceType && input.chosenInstanceType !== input.instanceType)
    modes.push(instanceMode(p, 'instance-chosen', input.chosenInstanceType));
  modes.push(zonalPerAz(p));
  if (p.n > 1) modes.push(singleZonal(p));
  modes.push(regional(p));
  return { modes, volume };
}
