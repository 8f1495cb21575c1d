/**
 * Log freshness: CloudWatch Logs has no path but the NAT from the private tiers (no VPC endpoint), so a
 * tier that ships logs proves egress. The newest event of each group is found by reading events
 * (FilterLogEvents over time ranges), never from stream metadata (lastEventTimestamp lags by hours):
 * find any event in a window, then bisect the time range after it down to one second.
 * All groups silent since about the same moment is the signature of a shared NAT egress failure.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { awsErrorCode } from '../aws/index';
import { formatDuration } from '../inputs/index';
import { describeError, isAbortLike, type Clock } from '../runtime/index';
import type { Finding } from './types';

export type LogStatus = 'fresh' | 'silent' | 'empty' | 'missing' | 'error';

export interface LogGroupResult {
  group: string;
  status: LogStatus;
  /** Newest event timestamp (ms), when one was found in the lookback. */
  newest?: number;
  silentMs?: number;
  detail?: string;
  /** FilterLogEvents calls (pages) spent on this group. */
  calls: number;
}

export interface LogOptions {
  maxSilenceMs: number;
  /** How far back to look for the newest event. Default max(24 h, 4 × maxSilence). */
  lookbackMs?: number;
  /** Precision of the newest-event search. Default 1 s. */
  resolutionMs?: number;
  /** "The same moment": silent groups whose newest events lie within this span. Default 5 min. */
  commonSilenceSpanMs?: number;
  /** Page cap per range query (FilterLogEvents may return empty pages with a token). Default 50. */
  maxPagesPerQuery?: number;
}

export const DEFAULT_COMMON_SILENCE_SPAN_MS = 5 * 60_000;

class LogReader {
  calls = 0;
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly group: string,
    private readonly maxPages: number,
  ) {}

  /** The earliest event timestamp in [start, end] (inclusive), or undefined. */
  async firstIn(start: number, end: number): Promise<number | undefined> {
    if (end < start) return undefined;
    const target = this.group.startsWith('arn:') ? { logGroupIdentifier: this.group } : { logGroupName: this.group };
    let nextToken: string | undefined;
    for (let page = 0; page < this.maxPages; page++) {
      this.calls++;
      const out = await this.logs.send(
        new FilterLogEventsCommand({
          ...target,
          startTime: start,
          endTime: end,
          limit: 1,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      const ts = (out.events ?? []).map((e) => e.timestamp).filter((t): t is number => typeof t === 'number');
      if (ts.length > 0) return Math.min(...ts);
      if (!out.nextToken || out.nextToken === nextToken) return undefined;
      nextToken = out.nextToken;
    }
    throw new Error(`no answer after ${this.maxPages} pages of FilterLogEvents`);
  }

  /** The newest event timestamp in [start, end], to within `resolution`. */
  async newestIn(start: number, end: number, resolution: number): Promise<number | undefined> {
    let lo = await this.firstIn(start, end);
    if (lo === undefined) return undefined;
    let hi = end;
    while (hi - lo > resolution) {
      const mid = Math.ceil((lo + hi) / 2);
      const found = await this.firstIn(mid, hi);
      if (found === undefined) hi = mid - 1;
      else lo = found;
    }
    return lo;
  }
}

export async function checkLogGroup(
  logs: CloudWatchLogsClient,
  clock: Clock,
  group: string,
  options: LogOptions,
): Promise<LogGroupResult> {
  const now = clock.now();
  const resolution = options.resolutionMs ?? 1000;
  const lookback = options.lookbackMs ?? Math.max(24 * 3_600_000, 4 * options.maxSilenceMs);
  const reader = new LogReader(logs, group, options.maxPagesPerQuery ?? 50);
  try {
    const newest =
      (await reader.newestIn(now - options.maxSilenceMs, now, resolution)) ??
      (await reader.newestIn(now - lookback, now - options.maxSilenceMs - 1, resolution));
    if (newest === undefined) {
      return {
        group,
        status: 'empty',
        detail: `no events in the last ${formatDuration(lookback)}`,
        calls: reader.calls,
      };
    }
    const silentMs = Math.max(0, now - newest);
    return {
      group,
      status: silentMs > options.maxSilenceMs ? 'silent' : 'fresh',
      newest,
      silentMs,
      calls: reader.calls,
    };
  } catch (err) {
    if (isAbortLike(err)) throw err;
    if (awsErrorCode(err) === 'ResourceNotFoundException')
      return { group, status: 'missing', detail: 'log group not found', calls: reader.calls };
    return { group, status: 'error', detail: describeError(err), calls: reader.calls };
  }
}

export async function checkLogs(
  logs: CloudWatchLogsClient,
  clock: Clock,
  groups: string[],
  options: LogOptions,
): Promise<LogGroupResult[]> {
  return Promise.all(groups.map((g) => checkLogGroup(logs, clock, g, options)));
}

export function logFindings(results: LogGroupResult[], options: LogOptions): Finding[] {
  const findings: Finding[] = [];
  const span = options.commonSilenceSpanMs ?? DEFAULT_COMMON_SILENCE_SPAN_MS;
  const silent = results.filter((r) => r.status === 'silent');
  const newest = silent.map((r) => r.newest as number);
  const common =
    results.length >= 2 && silent.length === results.length && Math.max(...newest) - Math.min(...newest) <= span;
  if (common) {
    const since = new Date(Math.min(...newest)).toISOString().replace(/:\d\d\.\d+Z$/, 'Z');
    findings.push({
      severity: 'error',
      check: 'logs',
      message:
        `All ${results.length} log groups went silent at about the same moment (${since}, within ` +
        `${formatDuration(span)}): a shared NAT egress failure, not an application bug`,
    });
  }
  for (const r of results) {
    const at = { check: 'logs' as const, resource: r.group };
    if (r.status === 'silent') {
      findings.push({
        ...at,
        severity: common ? 'info' : 'warning',
        message:
          `Log group ${r.group} has been silent for ${formatDuration(r.silentMs ?? 0)} ` +
          `(max-log-silence ${formatDuration(options.maxSilenceMs)}; ` +
          `newest event ${new Date(r.newest as number).toISOString()})`,
      });
    } else if (r.status === 'empty' || r.status === 'missing') {
      findings.push({ ...at, severity: 'warning', message: `Log group ${r.group}: ${r.detail}` });
    } else if (r.status === 'error') {
      findings.push({ ...at, severity: 'warning', message: `Log group ${r.group} could not be read: ${r.detail}` });
    }
  }
  return findings;
}
