/**
 * The measured traffic of each NAT over the last `days`, read with batched CloudWatch `GetMetricData` calls.
 *
 * Call count: the period grows with the window so every series has at most MAX_POINTS_PER_SERIES points; a call
 * carries as many queries as fit in CloudWatch's limits (500 queries, 100,800 data points per call), so the
 * number of calls is ceil(queries / per-call) — constant in the number of days, linear in the number of NATs.
 * Pages are followed with the SDK paginator (CloudWatch pages when it decides to).
 *
 * Facts (source: CloudWatch GetMetricData API reference and "Metrics retention",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Metric):
 * 1-minute data is kept 15 days, 5-minute data 63 days, 1-hour data 455 days; a query whose start is older than
 * 15 / 63 days needs a period that is a multiple of 300 / 3600 s. Rolled-up data keeps Sum, Maximum and Minimum.
 * NAT gateway metrics (https://docs.aws.amazon.com/vpc/latest/userguide/metrics-dimensions-nat-gateway.html) are
 * published every minute; EC2 NetworkIn/NetworkOut every 5 minutes (1 minute with detailed monitoring): the
 * SampleCount per period tells which, so a Maximum can be turned into a rate without assuming.
 */
import { CloudWatchClient, paginateGetMetricData, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { AdvisorNat } from './types';

const MAX_QUERIES_PER_CALL = 500;
const MAX_DATAPOINTS_PER_CALL = 100_800;
/** At most this many points per series, whatever the window: what keeps the call count independent of days. */
export const MAX_POINTS_PER_SERIES = 1440;
/** CloudWatch keeps 1-hour data points for 455 days (15 months). */
export const MAX_ADVISE_DAYS = 455;

const DAY = 86_400;

export interface MetricWindow {
  days: number;
  /** Epoch ms. */
  startMs: number;
  endMs: number;
  periodSeconds: number;
}

/**
 * The window of `days` ending at `nowMs` (floored to the minute) and its period: the smallest multiple of the
 * retention granularity (60 s under 15 days, 300 s under 63 days, else 3600 s) that keeps every series within
 * MAX_POINTS_PER_SERIES points. Throws RangeError outside 1..455 days.
 */
export function metricWindow(nowMs: number, days: number): MetricWindow {
  if (!Number.isInteger(days) || days < 1 || days > MAX_ADVISE_DAYS)
    throw new RangeError(`days must be 1..${MAX_ADVISE_DAYS}, not ${days}`);
  const granularity = days < 15 ? 60 : days < 63 ? 300 : 3600;
  const periodSeconds = Math.ceil((days * DAY) / MAX_POINTS_PER_SERIES / granularity) * granularity;
  const endMs = Math.floor(nowMs / 60_000) * 60_000;
  return { days, startMs: endMs - days * DAY * 1000, endMs, periodSeconds };
}

type Stat = 'Sum' | 'Maximum' | 'Minimum' | 'SampleCount';
interface SeriesKey {
  natId: string;
  metric: string;
  stat: Stat;
}

const GATEWAY_SERIES: [string, Stat][] = [
  ['BytesOutToDestination', 'Sum'],
  ['BytesOutToDestination', 'Maximum'],
  ['BytesInFromDestination', 'Sum'],
  ['BytesInFromDestination', 'Maximum'],
  ['BytesInFromSource', 'Sum'],
  ['BytesOutToSource', 'Sum'],
  ['ActiveConnectionCount', 'Maximum'],
  ['ErrorPortAllocation', 'Sum'],
  ['PacketsDropCount', 'Sum'],
];
const INSTANCE_SERIES: [string, Stat][] = [
  ['NetworkIn', 'Sum'],
  ['NetworkIn', 'Maximum'],
  ['NetworkOut', 'Sum'],
  ['NetworkOut', 'Maximum'],
  // samples per period: tells the sample length (60 s detailed, 300 s basic monitoring) the Maximum is over
  ['NetworkIn', 'SampleCount'],
];

/** Every query the advice needs, with what each one is. */
export function metricQueries(
  nats: AdvisorNat[],
  window: MetricWindow,
): { queries: MetricDataQuery[]; keys: Map<string, SeriesKey> } {
  const queries: MetricDataQuery[] = [];
  const keys = new Map<string, SeriesKey>();
  for (const nat of nats) {
    const gateway = nat.kind === 'gateway';
    const series = gateway
      ? GATEWAY_SERIES
      : nat.burstableCpu
        ? [...INSTANCE_SERIES, ['CPUCreditBalance', 'Minimum'] as [string, Stat]]
        : INSTANCE_SERIES;
    for (const [metric, stat] of series) {
      const id = `q${queries.length}`;
      keys.set(id, { natId: nat.id, metric, stat });
      queries.push({
        Id: id,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: gateway ? 'AWS/NATGateway' : 'AWS/EC2',
            MetricName: metric,
            Dimensions: [{ Name: gateway ? 'NatGatewayId' : 'InstanceId', Value: nat.id }],
          },
          Period: window.periodSeconds,
          Stat: stat,
        },
      });
    }
  }
  return { queries, keys };
}

/**
 * Queries per GetMetricData call: every series has at most MAX_POINTS_PER_SERIES points, so 70 queries stay
 * within 100,800 data points, whatever the window (the same batch size for every number of days).
 */
export const QUERIES_PER_CALL = Math.min(
  MAX_QUERIES_PER_CALL,
  Math.floor(MAX_DATAPOINTS_PER_CALL / MAX_POINTS_PER_SERIES),
);

/** One series: timestamps (epoch ms, ascending) and values. */
export interface Series {
  t: number[];
  v: number[];
}

export interface RawMetrics {
  /** natId → "Metric:Stat" → series (absent: no data points). */
  series: Map<string, Map<string, Series>>;
  /** Per-series problems CloudWatch reported (Forbidden, InternalError). */
  problems: { natId: string; metric: string; status: string; message?: string }[];
  /** GetMetricData calls made (pages counted). */
  calls: number;
  queries: number;
}

/**
 * Reads every series of `nats` in batched, paginated GetMetricData calls (errors after the SDK's retries
 * propagate).
 */
export async function readMetrics(
  cloudwatch: CloudWatchClient,
  nats: AdvisorNat[],
  window: MetricWindow,
): Promise<RawMetrics> {
  const { queries, keys } = metricQueries(nats, window);
  const per = QUERIES_PER_CALL;
  const raw: RawMetrics = { series: new Map(), problems: [], calls: 0, queries: queries.length };
  for (let i = 0; i < queries.length; i += per) {
    const batch = queries.slice(i, i + per);
    const pages = paginateGetMetricData(
      { client: cloudwatch },
      {
        MetricDataQueries: batch,
        StartTime: new Date(window.startMs),
        EndTime: new Date(window.endMs),
        ScanBy: 'TimestampAscending',
      },
    );
    for await (const page of pages) {
      raw.calls++;
      for (const r of page.MetricDataResults ?? []) {
        const key = keys.get(r.Id ?? '');
        if (!key) continue;
        if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError') {
          raw.problems.push({
            natId: key.natId,
            metric: key.metric,
            status: r.StatusCode,
            ...(r.Messages?.[0]?.Value ? { message: r.Messages[0].Value } : {}),
          });
        }
        const values = r.Values ?? [];
        if (values.length === 0) continue;
        const byNat = raw.series.get(key.natId) ?? new Map<string, Series>();
        raw.series.set(key.natId, byNat);
        const name = `${key.metric}:${key.stat}`;
        const s = byNat.get(name) ?? { t: [], v: [] };
        byNat.set(name, s);
        (r.Timestamps ?? []).forEach((ts, j) => {
          const value = values[j];
          if (value === undefined || !Number.isFinite(value)) return;
          s.t.push(new Date(ts).getTime());
          s.v.push(value);
        });
      }
    }
  }
  for (const byNat of raw.series.values()) {
    for (const s of byNat.values()) {
      const order = s.t.map((_, j) => j).sort((a, b) => s.t[a]! - s.t[b]!);
      s.t = order.map((j) => s.t[j]!);
      s.v = order.map((j) => s.v[j]!);
    }
  }
  return raw;
}
