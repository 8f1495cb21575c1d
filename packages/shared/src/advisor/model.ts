/**
 * Prices every NAT mode for the measured traffic, finds the break-even volumes, judges instance throughput
 * against the type's network figures, and picks one mode (pure: no AWS calls).
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

export const AVAILABILITY: Record<ModeId, string> = {
  instance:
    "One instance per AZ: a single point of failure per AZ (no failover; an instance, AMI or nftables fault stops that AZ's egress until it is replaced)",
  'instance-chosen':
    "One instance per AZ: a single point of failure per AZ (no failover; an instance, AMI or nftables fault stops that AZ's egress until it is replaced)",
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
export function perAzLoad(
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
        message: `Peak ${fmt(peakGbps)} is above ${type}'s ${fmt(net.baselineGbps)} baseline but within its ${fmt(net.burstGbps)} burst, and the busiest hour (${fmt(hourGbps)}) stays within the baseline: network burst credits cover it`,
      };
    }
    const why =
      peakGbps > net.burstGbps
        ? `peak ${fmt(peakGbps)} exceeds even its ${fmt(net.burstGbps)} burst`
        : `the busiest hour averages ${fmt(hourGbps)}, above the ${fmt(net.baselineGbps)} baseline for longer than burst credits last (typically 5–60 minutes)`;
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

/**
 * Every mode's monthly cost (USD, 730 h) at the measured volume, the break-even volumes (processed GB/month),
 * per-AZ throughput verdicts for the instance modes, notes on errors the metrics show, and one recommendation:
 * the cheapest priced mode that does not throttle and keeps AZs independent (ties: instance, then regional).
 */
export function priceModes(input: ModelInput): ModelResult {
  const { azs, traffic, prices } = input;
  const n = Math.max(1, azs.length);
  const H = HOURS_PER_MONTH;
  const volume = traffic.reduce((a, t) => a + t.monthlyProcessedGB, 0);
  const load = perAzLoad(azs, traffic);
  const busiestAzGB = Math.max(0, ...[...load.values()].map((l) => l.gb));
  const crossAzGB = Math.max(0, volume - busiestAzGB);
  const notes: string[] = [];
  const ipv4 = prices.publicIpv4Hour;
  const gwHour = prices.natGatewayHour;
  const gwGB = prices.natGatewayGB;
  const modes: ModeCost[] = [];

  const finish = (m: Omit<ModeCost, 'monthlyUsd' | 'fixedMonthlyUsd'>, fixed: number): ModeCost => ({
    ...m,
    fixedMonthlyUsd: fixed,
    monthlyUsd: fixed + m.perGBUsd * volume,
    lines: m.lines,
  });

  const instanceMode = (id: ModeId, type: string): ModeCost => {
    const price = prices.instanceHour[type];
    const verdicts = throughput(azs, traffic, type, input.network[type]);
    const lines: CostLine[] = [];
    let fixed = 0;
    if (price) {
      lines.push(
        line(
          `${n} × ${type} instance-hours`,
          n * price.usd * H,
          `${n} × ${unitPrice(price.usd)}/h × ${H} h`,
          price.source,
        ),
      );
      fixed += n * price.usd * H;
    }
    lines.push(line(`Public IPv4 (${n})`, n * ipv4.usd * H, `${n} × ${unitPrice(ipv4.usd)}/h × ${H} h`, ipv4.source));
    fixed += n * ipv4.usd * H;
    const m = finish(
      {
        id,
        label: `NAT instances (${type}), one per AZ`,
        units: n,
        instanceType: type,
        lines,
        perGBUsd: 0,
        current: input.current === id,
        availability: AVAILABILITY[id],
        throughput: verdicts,
        ...(price ? {} : { unpriced: `no price for ${type}` }),
      },
      fixed,
    );
    return m;
  };

  modes.push(instanceMode('instance', input.instanceType));
  if (input.chosenInstanceType && input.chosenInstanceType !== input.instanceType)
    modes.push(instanceMode('instance-chosen', input.chosenInstanceType));

  const processing = line(
    `Data processing (${gb(volume)})`,
    volume * gwGB.usd,
    `${gb(volume)} × ${unitPrice(gwGB.usd)}/GB`,
    gwGB.source,
  );
  modes.push(
    finish(
      {
        id: 'zonal-gateway-per-az',
        label: `Zonal NAT gateways, one per AZ (${n})`,
        units: n,
        lines: [
          line(
            `${n} × NAT gateway-hours`,
            n * gwHour.usd * H,
            `${n} × ${unitPrice(gwHour.usd)}/h × ${H} h`,
            gwHour.source,
          ),
          line(`Public IPv4 (${n})`, n * ipv4.usd * H, `${n} × ${unitPrice(ipv4.usd)}/h × ${H} h`, ipv4.source),
          processing,
        ],
        perGBUsd: gwGB.usd,
        current: input.current === 'zonal-gateway-per-az',
        availability: AVAILABILITY['zonal-gateway-per-az'],
      },
      n * (gwHour.usd + ipv4.usd) * H,
    ),
  );
  if (n > 1) {
    const share = volume > 0 ? crossAzGB / volume : (n - 1) / n;
    modes.push(
      finish(
        {
          id: 'single-zonal-gateway',
          label: 'One zonal NAT gateway for all AZs',
          units: 1,
          lines: [
            line('1 × NAT gateway-hours', gwHour.usd * H, `${unitPrice(gwHour.usd)}/h × ${H} h`, gwHour.source),
            line('Public IPv4 (1)', ipv4.usd * H, `${unitPrice(ipv4.usd)}/h × ${H} h`, ipv4.source),
            processing,
            line(
              `Cross-AZ transfer (${gb(crossAzGB)})`,
              crossAzGB * prices.crossAzGB.usd,
              `${gb(crossAzGB)} from the other AZs × ${unitPrice(prices.crossAzGB.usd)}/GB`,
              prices.crossAzGB.source,
            ),
          ],
          perGBUsd: gwGB.usd + share * prices.crossAzGB.usd,
          current: input.current === 'single-zonal-gateway',
          availability: AVAILABILITY['single-zonal-gateway'],
        },
        (gwHour.usd + ipv4.usd) * H,
      ),
    );
  }
  modes.push(
    finish(
      {
        id: 'regional-gateway',
        label: `One regional NAT gateway (billed in ${n} AZ${n > 1 ? 's' : ''})`,
        units: n,
        lines: [
          line(
            `NAT gateway-hours in ${n} AZ${n > 1 ? 's' : ''}`,
            n * gwHour.usd * H,
            `${n} × ${unitPrice(gwHour.usd)}/h × ${H} h`,
            gwHour.source,
          ),
          line(
            `Public IPv4 (${n}, one per AZ)`,
            n * ipv4.usd * H,
            `${n} × ${unitPrice(ipv4.usd)}/h × ${H} h`,
            ipv4.source,
          ),
          processing,
        ],
        perGBUsd: gwGB.usd,
        current: input.current === 'regional-gateway',
        availability: AVAILABILITY['regional-gateway'],
      },
      n * (gwHour.usd + ipv4.usd) * H,
    ),
  );

  const be = breakEvens(modes);
  const measured = traffic.some((t) => t.status !== 'missing');

  // One recommendation: the cheapest mode that keeps every AZ independent and does not throttle.
  const throttles = (m: ModeCost) => (m.throughput ?? []).some((v) => v.verdict === 'throttle');
  const candidates = modes.filter((m) => !m.unpriced && m.id !== 'single-zonal-gateway' && !throttles(m));
  const rank: Record<ModeId, number> = {
    instance: 0,
    'instance-chosen': 1,
    'regional-gateway': 2,
    'zonal-gateway-per-az': 3,
    'single-zonal-gateway': 4,
  };
  candidates.sort((a, b) => Math.round((a.monthlyUsd - b.monthlyUsd) * 100) || rank[a.id] - rank[b.id]);
  const best = candidates[0] ?? modes.find((m) => m.id === 'regional-gateway')!;
  const regional = modes.find((m) => m.id === 'regional-gateway')!;
  const reasons: string[] = [];
  reasons.push(
    `${usd(best.monthlyUsd)}/month at the measured ${gb(volume)}/month processed${measured ? '' : ' (no traffic metrics: zero volume assumed)'}`,
  );
  const cheaperThanIt = modes.filter((m) => !m.unpriced && m.monthlyUsd < best.monthlyUsd - 0.005);
  for (const m of cheaperThanIt) {
    if (m.id === 'single-zonal-gateway')
      reasons.push(
        `${m.label} would cost ${usd(best.monthlyUsd - m.monthlyUsd)} less, but: ${AVAILABILITY['single-zonal-gateway']}`,
      );
    else if (throttles(m))
      reasons.push(
        `${m.label} would cost ${usd(best.monthlyUsd - m.monthlyUsd)} less, but would throttle at your peak`,
      );
  }
  if (best.throughput) {
    const byPeak = [...best.throughput].sort((x, y) => y.peakGbps - x.peakGbps);
    const worst = byPeak.find((v) => v.verdict === 'burst') ?? byPeak.find((v) => v.verdict === 'unknown') ?? byPeak[0];
    if (worst) reasons.push(worst.message);
    if (best.id === 'instance' || best.id === 'instance-chosen') {
      reasons.push(
        `${usd(regional.monthlyUsd - best.monthlyUsd)}/month less than a regional gateway. The trade-off: ${best.availability}`,
      );
      reasons.push(
        'Gateways only get dearer than instances as volume grows (instances have no per-GB charge): what limits instance mode is throughput',
      );
    }
  } else {
    const inst = modes.find((m) => m.id === 'instance')!;
    if (throttles(inst)) reasons.push(inst.throughput!.find((v) => v.verdict === 'throttle')!.message);
    else if (!inst.unpriced && inst.monthlyUsd > best.monthlyUsd) {
      const cross = be.find((b) => b.below === best.id && b.above === 'instance');
      reasons.push(
        `Cheaper than NAT instances (${inst.instanceType}) at this volume${cross ? `; instances win above ${gb(cross.gbPerMonth)}/month` : ''}`,
      );
    }
    reasons.push(best.availability);
  }
  notes.push(
    "Not in the instance rows: each NAT instance's EBS root volume (gp3 $0.08/GB-month, about $0.64/month for 8 GiB)",
  );
  const errors = traffic.filter((t) => (t.errorPortAllocation ?? 0) > 0);
  for (const t of errors)
    notes.push(
      `${t.natId} had ${t.errorPortAllocation} port allocation errors (ErrorPortAllocation): it ran out of source ports to a destination; more addresses per NAT help in every mode`,
    );
  for (const t of traffic.filter((t) => (t.packetsDropped ?? 0) > 0))
    notes.push(`${t.natId} dropped ${t.packetsDropped} packets (PacketsDropCount)`);
  for (const t of traffic.filter((t) => t.cpuCreditBalanceMin !== undefined && t.cpuCreditBalanceMin <= 0.5)) {
    notes.push(
      `${t.natId} ran out of CPU credits (CPUCreditBalance reached ${t.cpuCreditBalanceMin!.toFixed(1)}): in standard credit mode its CPU was held at the baseline`,
    );
  }
  return {
    modes,
    breakEvens: be,
    recommendation: { mode: best.id, label: best.label, monthlyUsd: best.monthlyUsd, reasons },
    monthlyProcessedGB: volume,
    notes,
  };
}
