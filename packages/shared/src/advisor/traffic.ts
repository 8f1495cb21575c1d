/**
 * From raw CloudWatch series to what each NAT carried (pure).
 *
 * Counting (sources: NAT gateway metrics, https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html;
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

/** What each NAT carried over `window`, from `raw`. */
export function natTraffic(nats: AdvisorNat[], raw: RawMetrics, window: MetricWindow): NatTraffic[] {
  return nats.map((nat) => {
    const s = raw.series.get(nat.id) ?? new Map<string, Series>();
    const get = (name: string) => s.get(name);
    const notes: string[] = [];
    for (const p of raw.problems.filter((p) => p.natId === nat.id))
      notes.push(`${p.metric}: CloudWatch answered ${p.status}${p.message ? ` (${p.message})` : ''}`);
    let processed: number;
    let toDestination: number | null = null;
    let peak: number;
    let sample = 60;
    let load: Series;
    const gateway = nat.kind === 'gateway';
    if (gateway) {
      const out = get('BytesOutToDestination:Sum');
      const inn = get('BytesInFromDestination:Sum');
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
      toDestination = out ? sum(out) : get('BytesInFromSource:Sum') ? sum(get('BytesInFromSource:Sum')) : null;
      // Upper bound: the two directions' per-minute maxima may not coincide.
      peak = (max(get('BytesOutToDestination:Maximum')) + max(get('BytesInFromDestination:Maximum'))) / 60;
    } else {
      const inn = get('NetworkIn:Sum');
      const out = get('NetworkOut:Sum');
      processed = (sum(inn) + sum(out)) / 2;
      load = combine(inn, out, Math.max);
      sample = sampleSeconds(get('NetworkIn:SampleCount'), window.periodSeconds) ?? (nat.detailedMonitoring ? 60 : 300);
      peak = Math.max(max(get('NetworkIn:Maximum')), max(get('NetworkOut:Maximum'))) / sample;
    }
    const firstT = Math.min(
      ...[...s.entries()].filter(([name]) => /Bytes|Network/.test(name)).map(([, ser]) => ser.t[0] ?? Infinity),
    );
    const hasBytes = Number.isFinite(firstT);
    const windowSeconds = (window.endMs - window.startMs) / 1000;
    const covered = hasBytes
      ? Math.min(windowSeconds, Math.max(window.periodSeconds, (window.endMs - firstT) / 1000))
      : windowSeconds;
    let status: NatTraffic['status'] = hasBytes ? 'ok' : 'missing';
    if (!hasBytes)
      notes.push(
        `No ${gateway ? 'AWS/NATGateway' : 'AWS/EC2'} byte metrics in the window (new, stopped, quiesced, or metrics not published): counted as zero`,
      );
    else if (covered < windowSeconds * 0.9) {
      status = 'partial';
      notes.push(
        `Data covers ${(covered / 86_400).toFixed(1)} of ${window.days} days: scaled to a month from that span`,
      );
    }
    const scale = MONTH_SECONDS / covered;
    // Sums per period of the per-direction load: the instance-side view of the traffic.
    const hour = busiest(load, window.periodSeconds, 3600);
    const t: NatTraffic = {
      natId: nat.id,
      kind: nat.kind,
      az: nat.az,
      servesAzs: nat.servesAzs,
      status,
      notes,
      processedBytes: processed,
      toDestinationBytes: toDestination,
      coveredSeconds: covered,
      monthlyProcessedGB: (processed * scale) / GB,
      monthlyToDestinationGB: toDestination === null ? null : (toDestination * scale) / GB,
      peakBytesPerSecond: Math.max(peak, hour.rate),
      peakSampleSeconds: sample,
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
  });
}
