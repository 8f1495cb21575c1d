/**
 * The advisor's verdict (pure): every mode priced (model.ts), the break-even volumes, one recommendation — the
 * cheapest priced mode that keeps every AZ independent and does not throttle (ties: instance, then regional) —
 * with its reasons, and notes on what the metrics show (port allocation errors, drops, CPU credits).
 */
import { AVAILABILITY, breakEvens, gb, modeCosts, usd, type ModelInput, type ModelResult } from './model';
import type { BreakEven, ModeCost, ModeId, NatTraffic } from './types';

const RANK: Record<ModeId, number> = {
  instance: 0,
  'instance-chosen': 1,
  'regional-gateway': 2,
  'zonal-gateway-per-az': 3,
  'single-zonal-gateway': 4,
};

const throttles = (m: ModeCost) => (m.throughput ?? []).some((v) => v.verdict === 'throttle');

/** The cheapest priced mode that keeps AZs independent and does not throttle; the regional gateway otherwise. */
function bestMode(modes: ModeCost[]): ModeCost {
  const candidates = modes.filter((m) => !m.unpriced && m.id !== 'single-zonal-gateway' && !throttles(m));
  candidates.sort((a, b) => Math.round((a.monthlyUsd - b.monthlyUsd) * 100) || RANK[a.id] - RANK[b.id]);
  return candidates[0] ?? modes.find((m) => m.id === 'regional-gateway')!;
}

/** Why cheaper modes lost: a single gateway's shared fate, or throttling. */
function cheaperReasons(modes: ModeCost[], best: ModeCost): string[] {
  const reasons: string[] = [];
  for (const m of modes.filter((x) => !x.unpriced && x.monthlyUsd < best.monthlyUsd - 0.005)) {
    const less = `${m.label} would cost ${usd(best.monthlyUsd - m.monthlyUsd)} less, but`;
    if (m.id === 'single-zonal-gateway') reasons.push(`${less}: ${AVAILABILITY['single-zonal-gateway']}`);
    else if (throttles(m)) reasons.push(`${less} would throttle at your peak`);
  }
  return reasons;
}

/** An instance mode won: its tightest AZ, what it saves against a regional gateway, and its trade-off. */
function instanceReasons(modes: ModeCost[], best: ModeCost): string[] {
  const reasons: string[] = [];
  const byPeak = [...(best.throughput ?? [])].sort((x, y) => y.peakGbps - x.peakGbps);
  const worst = byPeak.find((v) => v.verdict === 'burst') ?? byPeak.find((v) => v.verdict === 'unknown') ?? byPeak[0];
  if (worst) reasons.push(worst.message);
  if (best.id === 'instance' || best.id === 'instance-chosen') {
    const regional = modes.find((m) => m.id === 'regional-gateway')!;
    reasons.push(
      `${usd(regional.monthlyUsd - best.monthlyUsd)}/month less than a regional gateway. ` +
        `The trade-off: ${best.availability}`,
    );
    reasons.push(
      'Gateways only get dearer than instances as volume grows (instances have no per-GB charge): ' +
        'what limits instance mode is throughput',
    );
  }
  return reasons;
}

/** A gateway mode won: why not instances (throttling, or dearer at this volume), and its availability. */
function gatewayReasons(modes: ModeCost[], best: ModeCost, be: BreakEven[]): string[] {
  const reasons: string[] = [];
  const inst = modes.find((m) => m.id === 'instance')!;
  if (throttles(inst)) reasons.push(inst.throughput!.find((v) => v.verdict === 'throttle')!.message);
  else if (!inst.unpriced && inst.monthlyUsd > best.monthlyUsd) {
    const cross = be.find((b) => b.below === best.id && b.above === 'instance');
    reasons.push(
      `Cheaper than NAT instances (${inst.instanceType}) at this volume` +
        (cross ? `; instances win above ${gb(cross.gbPerMonth)}/month` : ''),
    );
  }
  reasons.push(best.availability);
  return reasons;
}

/** The recommendation and its reasons (the first: its monthly cost at the measured volume). */
function recommend(
  modes: ModeCost[],
  be: BreakEven[],
  volume: number,
  measured: boolean,
): ModelResult['recommendation'] {
  const best = bestMode(modes);
  const reasons = [
    `${usd(best.monthlyUsd)}/month at the measured ${gb(volume)}/month processed` +
      (measured ? '' : ' (no traffic metrics: zero volume assumed)'),
    ...cheaperReasons(modes, best),
    ...(best.throughput ? instanceReasons(modes, best) : gatewayReasons(modes, best, be)),
  ];
  return { mode: best.id, label: best.label, monthlyUsd: best.monthlyUsd, reasons };
}

/** Notes every piece of advice carries, and what the metrics show about errors and CPU credits. */
function trafficNotes(traffic: NatTraffic[]): string[] {
  const notes = [
    "Not in the instance rows: each NAT instance's EBS root volume (gp3 $0.08/GB-month, about $0.64/month for 8 GiB)",
  ];
  for (const t of traffic.filter((x) => (x.errorPortAllocation ?? 0) > 0))
    notes.push(
      `${t.natId} had ${t.errorPortAllocation} port allocation errors (ErrorPortAllocation): it ran out of source ` +
        'ports to a destination; more addresses per NAT help in every mode',
    );
  for (const t of traffic.filter((x) => (x.packetsDropped ?? 0) > 0))
    notes.push(`${t.natId} dropped ${t.packetsDropped} packets (PacketsDropCount)`);
  for (const t of traffic.filter((x) => x.cpuCreditBalanceMin !== undefined && x.cpuCreditBalanceMin <= 0.5)) {
    notes.push(
      `${t.natId} ran out of CPU credits (CPUCreditBalance reached ${t.cpuCreditBalanceMin!.toFixed(1)}): ` +
        'in standard credit mode its CPU was held at the baseline',
    );
  }
  return notes;
}

/**
 * Every mode's monthly cost (USD, 730 h) at the measured volume, the break-even volumes (processed GB/month),
 * per-AZ throughput verdicts for the instance modes, notes on errors the metrics show, and one recommendation:
 * the cheapest priced mode that does not throttle and keeps AZs independent (ties: instance, then regional).
 */
export function priceModes(input: ModelInput): ModelResult {
  const { modes, volume } = modeCosts(input);
  const be = breakEvens(modes);
  return {
    modes,
    breakEvens: be,
    recommendation: recommend(
      modes,
      be,
      volume,
      input.traffic.some((t) => t.status !== 'missing'),
    ),
    monthlyProcessedGB: volume,
    notes: trafficNotes(input.traffic),
  };
}
