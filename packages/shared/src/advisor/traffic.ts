/**
 * From raw CloudWatch series to what each NAT carried (pure).
 *
 * Counting (sources: NAT gateway metrics,
 * https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html;
 * EC2 instance metrics, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html):
 * - gateway: processed = BytesOutToDestination + BytesInFromDestination (falling back to the Source pair); its
 *   per-direction load as an instance would see it is (OutToDestination + InFromDestination) per sample.
 * - instance: every forwarded byte enters and leaves, so processed = (NetworkIn + NetworkOut) / 2 and the
 *   per-direction load is max(NetworkIn, NetworkOut). What went to the internet cannot be separated.
 */
import type { AdvisorNat, NatTraffic } from './types';
import type { MetricWindow, RawMetrics, Series } from './metrics';

/** Hours AWS bills a month as. */
export const HOURS_PER_MONTH = 730;
const MONTH_SECONDS = HOURS_PER_MONTH * 3600;
const GB = 1e9;

const sum = (s: Series | undefined) => (s ? s.v.reduce((a, b) => a + b, 0) : 0);
const max = (s: Series | undefined) => (s && s.v.length ? Math.max(...s.v) : 0);
const min = (s: Series | undefined) => (s && s.v.length ? Math.min(...s.v) : undefined);

/** Adds series pointwise by timestamp (missing points count 0) or takes the pointwise maximum. */
function combine(a: Series | undefined, b: Series | undefined, op: (x: number, y: number) => number): Series {
  const m = new Map<number, [number, number]>();
  a?.t.forEach((t, i) => m.set(t, [a.v[i]!, 0]));
  b?.t.forEach((t, i) => m.set(t, [m.get(t)?.[0] ?? 0, b.v[i]!]));
  const t = [...m.keys()].sort((x, y) => x - y);
  return { t, v: t.map((k) => op(...(m.get(k) as [number, number]))) };
}

/** Highest average rate (bytes/s) over any `windowSeconds` of consecutive period sums. */
function busiest(periodSums: Series, periodSeconds: number, windowSeconds: number): { rate: number; exact: boolean } {
  if (periodSums.v.length === 0) return { rate: 0, exact: true };
  if (periodSeconds >= windowSeconds)
    return { rate: max(periodSums) / periodSeconds, exact: periodSeconds === windowSeconds };
  const span = windowSeconds * 1000;
  let best = 0;
  let lo = 0;
  let acc = 0;
  for (let hi = 0; hi < periodSums.t.length; hi++) {
    acc += periodSums.v[hi]!;
    while (periodSums.t[hi]! - periodSums.t[lo]! >= span) acc -= periodSums.v[lo++]!;
    best = Math.max(best, acc);
  }
  return { rate: best / windowSeconds, exact: true };
}

/** Seconds one raw sample covers: period ÷ the median SampleCount per period (60 or 300 for EC2), or undefined. */
function sampleSeconds(counts: Series | undefined, periodSeconds: number): number | undefined {
  if (!counts || counts.v.length === 0) return undefined;
  const sorted = [...counts.v].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  if (!(median > 0)) return undefined;
  return Math.min(300, Math.max(60, Math.round(periodSeconds / median / 60) * 60));
}

type Get = (name: string) => Series | undefined;

/** Volume, per-direction load and peak of one NAT over the window (bytes; peak in bytes/s). */
interface Counted {
  processed: number;
  toDestination: number | null;
  peak: number;
  /** Seconds one raw sample of the peak's metric covers. */
  sample: number;
  load: Series;
}

/** A gateway: the Destination byte pair (else the Source pair), per-minute maxima for the peak. */
function countGateway(get: Get, notes: string[]): Counted {
  const out = get('BytesOutToDestination:Sum');
  const inn = get('BytesInFromDestination:Sum');
  let processed: number;
  let load: Series;
  if (out || inn) {
    processed = sum(out) + sum(inn);
    load = combine(out, inn, (x, y) => x + y);
  } else {
    const src = get('BytesInFromSource:Sum');
    const back = get('BytesOutToSource:Sum');
    processed = sum(src) + sum(back);
    load = combine(src, back, (x, y) => x + y);
    if (src || back) notes.push('Destination byte metrics missing: volume from the Source pair');
  }
  const toDestination = out ? sum(out) : get('BytesInFromSource:Sum') ? sum(get('BytesInFromSource:Sum')) : null;
  // Upper bound: the two directions' per-minute maxima may not coincide.
  const peak = (max(get('BytesOutToDestination:Maximum')) + max(get('BytesInFromDestination:Maximum'))) / 60;
  return { processed, toDestination, peak, sample: 60, load };
}

/** An instance: half of NetworkIn + NetworkOut, the larger direction as load, maxima over its sample period. */
function countInstance(get: Get, nat: AdvisorNat, window: MetricWindow): Counted {
  const inn = get('NetworkIn:Sum');
  const out = get('NetworkOut:Sum');
  const sample =
    sampleSeconds(get('NetworkIn:SampleCount'), window.periodSeconds) ?? (nat.detailedMonitoring ? 60 : 300);
  return {
    processed: (sum(inn) + sum(out)) / 2,
    toDestination: null,
    peak: Math.max(max(get('NetworkIn:Maximum')), max(get('NetworkOut:Maximum'))) / sample,
    sample,
    load: combine(inn, out, Math.max),
  };
}

/** Seconds of the window the byte metrics cover, and whether they are missing or partial (with a note). */
function coverage(
  s: Map<string, Series>,
  window: MetricWindow,
  gateway: boolean,
  notes: string[],
): { covered: number; status: NatTraffic['status'] } {
  const firstT = Math.min(
    ...[...s.entries()].filter(([name]) => /Bytes|Network/.test(name)).map(([, ser]) => ser.t[0] ?? Infinity),
  );
  const hasBytes = Number.isFinite(firstT);
  const windowSeconds = (window.endMs - window.startMs) / 1000;
  const covered = hasBytes
    ? Math.min(windowSeconds, Math.max(window.periodSeconds, (window.endMs - firstT) / 1000))
    : windowSeconds;
  if (!hasBytes) {
    notes.push(
      `No ${gateway ? 'AWS/NATGateway' : 'AWS/EC2'} byte metrics in the window ` +
        '(new, stopped, quiesced, or metrics not published): counted as zero',
    );
    return { covered, status: 'missing' };
  }
  if (covered < windowSeconds * 0.9) {
    notes.push(`Data covers ${(covered / 86_400).toFixed(1)} of ${window.days} days: scaled to a month from that span`);
    return { covered, status: 'partial' };
  }
  return { covered, status: 'ok' };
}

/** What one NAT carried over `window`. */
function trafficOf(nat: AdvisorNat, raw: RawMetrics, window: MetricWindow): NatTraffic {
  const s = raw.series.get(nat.id) ?? new Map<string, Series>();
  const get: Get = (name) => s.get(name);
  const notes: string[] = [];
  for (const p of raw.problems.filter((x) => x.natId === nat.id))
    notes.push(`${p.metric}: CloudWatch answered ${p.status}${p.message ? ` (${p.message})` : ''}`);
  const gateway = nat.kind === 'gateway';
  const c = gateway ? countGateway(get, notes) : countInstance(get, nat, window);
  const { covered, status } = coverage(s, window, gateway, notes);
  const scale = MONTH_SECONDS / covered;
  // Sums per period of the per-direction load: the instance-side view of the traffic.
  const hour = busiest(c.load, window.periodSeconds, 3600);
  const t: NatTraffic = {
    natId: nat.id,
    kind: nat.kind,
    az: nat.az,
    servesAzs: nat.servesAzs,
    status,
    notes,
    processedBytes: c.processed,
    toDestinationBytes: c.toDestination,
    coveredSeconds: covered,
    monthlyProcessedGB: (c.processed * scale) / GB,
    monthlyToDestinationGB: c.toDestination === null ? null : (c.toDestination * scale) / GB,
    peakBytesPerSecond: Math.max(c.peak, hour.rate),
    peakSampleSeconds: c.sample,
    busiestHourBytesPerSecond: hour.rate,
    busiestHourExact: hour.exact,
  };
  if (gateway) {
    if (get('ActiveConnectionCount:Maximum')) t.activeConnectionsMax = max(get('ActiveConnectionCount:Maximum'));
    if (get('ErrorPortAllocation:Sum')) t.errorPortAllocation = sum(get('ErrorPortAllocation:Sum'));
    if (get('PacketsDropCount:Sum')) t.packetsDropped = sum(get('PacketsDropCount:Sum'));
  } else {
    const credits = min(get('CPUCreditBalance:Minimum'));
    if (credits !== undefined) t.cpuCreditBalanceMin = credits;
  }
  return t;
}

/** What each NAT carried over `window`, from `raw`. */
export function natTraffic(nats: AdvisorNat[], raw: RawMetrics, window: MetricWindow): NatTraffic[] {
  return nats.map((nat) => trafficOf(nat, raw, window));
}
