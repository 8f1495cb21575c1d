/**
 * One egress verification: topology (EC2) → checks → probes (SSM) → log freshness (CloudWatch Logs), and the
 * wait loop that re-checks until healthy or out of time. Console diagnosis runs once, on the final result,
 * when instance-mode egress looks broken.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { withSignal } from '../aws/index';
import type { Tag } from '../inputs/index';
import { formatDuration } from '../inputs/index';
import { ActionFailure, DeadlineExceededError, startDeadline, type Clock } from '../runtime/index';
import { readTopology } from '../nat/read';
import { analyzeTopology, consoleTargets } from './topology';
import type { AnalyzeOptions, Finding, Severity, TopologyAnalysis } from './types';
import { consoleFindings, diagnoseConsole, type ConsoleDiagnosis } from './console';
import { checkLogs, logFindings, type LogGroupResult } from './logs';
import { probeFindings, runProbes, type ProbeResult } from './probe';

export interface EgressClients {
  ec2: EC2Client;
  ssm: SSMClient;
  logs: CloudWatchLogsClient;
}

export interface VerifyOptions {
  region: string;
  vpcId?: string;
  vpcName?: string;
  mode: AnalyzeOptions['mode'];
  natNamePattern: string;
  expectedIps: string[];
  probe: 'auto' | 'ssm' | 'off';
  probeInstanceIds: string[];
  probeTag?: Tag;
  probeUrl: string;
  logGroups: string[];
  maxLogSilenceMs: number;
  expectQuiesced: boolean;
  waitMs: number;
  failOn: 'warning' | 'error';
  /** Pause between checks while waiting. Default 30 s. */
  recheckMs?: number;
  probeTimeoutMs?: number;
  probePollMs?: number;
  /**
   * Hard limit in ms for the whole verification, calls in flight included (the first check always runs under it).
   * Default `waitMs + DEFAULT_CHECK_BUDGET_MS`.
   */
  timeoutMs?: number;
  /** The run's cancellation signal (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Updated with what the verification is doing (where a timeout or cancel stopped it). */
  progress?: { phase: string };
}

/** Least room left in the wait for a re-check to start (it must be able to finish inside the wait). */
const MIN_CHECK_ROOM_MS = 1_000;

/** Time one check (topology, probes, logs, diagnosis) may take when no `timeout` is given: 5 minutes. */
export const DEFAULT_CHECK_BUDGET_MS = 5 * 60_000;

/** The clients with every call bound to `signal` (aws withSignal). */
function bindClients(clients: EgressClients, signal: AbortSignal): EgressClients {
  return {
    ec2: withSignal(clients.ec2, signal),
    ssm: withSignal(clients.ssm, signal),
    logs: withSignal(clients.logs, signal),
  };
}

export interface CheckResult {
  analysis: TopologyAnalysis;
  probes: ProbeResult[];
  /** Why probes did not run, when they did not. */
  probeSkipped?: string;
  logs: LogGroupResult[];
  logsSkipped?: string;
  diagnosis: ConsoleDiagnosis[];
  findings: Finding[];
  healthy: boolean;
  ec2Calls: Record<string, number>;
}

export interface VerifyResult extends CheckResult {
  attempts: number;
  elapsedMs: number;
  checkedAt: number;
  options: VerifyOptions;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

export function isHealthy(findings: Finding[], failOn: 'warning' | 'error'): boolean {
  return !findings.some((f) => f.severity === 'error' || (failOn === 'warning' && f.severity === 'warning'));
}

/** One pass over every check (no diagnosis). */
export async function checkOnce(clients: EgressClients, clock: Clock, options: VerifyOptions): Promise<CheckResult> {
  const progress = options.progress ?? { phase: '' };
  progress.phase = 'reading the VPC, subnets, routes, NATs and Elastic IPs (EC2)';
  const snapshot = await readTopology(clients.ec2, {
    region: options.region,
    natNamePattern: options.natNamePattern,
    expectedIps: options.expectedIps,
    ...(options.vpcId ? { vpcId: options.vpcId } : { vpcName: options.vpcName ?? '' }),
    ...(options.probe !== 'off' && options.probeInstanceIds.length
      ? { probeInstanceIds: options.probeInstanceIds }
      : {}),
    ...(options.probe !== 'off' && options.probeTag ? { probeTag: options.probeTag } : {}),
  });
  const analysis = analyzeTopology(snapshot, {
    mode: options.mode,
    natNamePattern: options.natNamePattern,
    expectedIps: options.expectedIps,
    expectQuiesced: options.expectQuiesced,
  });
  const findings = [...analysis.findings];
  const result: CheckResult = {
    analysis,
    probes: [],
    logs: [],
    diagnosis: [],
    findings,
    healthy: false,
    ec2Calls: snapshot.calls,
  };

  const probeSources = options.probeInstanceIds.length > 0 || !!options.probeTag;
  if (options.expectQuiesced) {
    result.probeSkipped = 'quiesced: there is no egress to probe';
  } else if (options.probe === 'off') {
    result.probeSkipped = 'probe: off';
  } else if (!probeSources) {
    result.probeSkipped = 'no probe-instances or probe-tag given';
  } else if (analysis.probeTargets.length === 0) {
    result.probeSkipped = 'no running probe instance in a private subnet was found';
    findings.push({
      severity: options.probe === 'ssm' ? 'error' : 'info',
      check: 'probe',
      message: `No running probe instance in a private subnet matches ${options.probeTag ? `${options.probeTag.key}=${options.probeTag.value}` : options.probeInstanceIds.join(', ')}: the data plane was not probed`,
    });
  } else {
    const probed = new Set(analysis.probeTargets.map((t) => t.az));
    for (const az of analysis.azs) {
      if (!probed.has(az.az)) {
        findings.push({
          severity: options.probe === 'ssm' ? 'warning' : 'info',
          check: 'probe',
          az: az.az,
          message: `No probe instance in ${az.az}: its data plane was not probed`,
        });
      }
    }
    progress.phase = 'probing egress from the private subnets (SSM)';
    result.probes = await runProbes(clients.ssm, clock, analysis.probeTargets, {
      ...(options.signal ? { signal: options.signal } : {}),
      url: options.probeUrl,
      ...(options.probeTimeoutMs !== undefined ? { timeoutMs: options.probeTimeoutMs } : {}),
      ...(options.probePollMs !== undefined ? { pollMs: options.probePollMs } : {}),
    });
    findings.push(...probeFindings(result.probes, analysis.ssmEndpoints, analysis.natPublicIps));
  }

  if (options.expectQuiesced) {
    result.logsSkipped = 'quiesced: log checks do not apply';
  } else if (options.logGroups.length === 0) {
    result.logsSkipped = 'no log-groups given';
  } else {
    progress.phase = 'checking log freshness (CloudWatch Logs)';
    const logOptions = { maxSilenceMs: options.maxLogSilenceMs };
    result.logs = await checkLogs(clients.logs, clock, options.logGroups, logOptions);
    findings.push(...logFindings(result.logs, logOptions));
  }

  result.findings = sortFindings(findings);
  result.healthy = isHealthy(result.findings, options.failOn);
  return result;
}

/** Whether the data plane or the logs say egress is broken (what triggers the console diagnosis). */
function egressSymptoms(result: CheckResult): boolean {
  return (
    result.probes.some((p) => p.status === 'failed' || p.status === 'timeout' || p.status === 'wrong-ip') ||
    result.findings.some((f) => f.check === 'logs' && f.severity !== 'info')
  );
}

/**
 * Checks, and while not healthy re-checks every `recheckMs` until `waitMs` has passed (on the injected clock).
 * Hard deadlines, calls in flight included: `timeoutMs` for everything (the first check runs under it alone), and
 * `waitMs` for re-checks — a re-check still running when the wait ends is abandoned and the last complete check
 * stands. Re-checks are timed so the last one can finish inside the wait (it starts at least twice the previous
 * check's duration, and 1 s, before the wait ends). A first check cut by the timeout throws an ActionFailure naming what it was doing; a cancel throws the
 * signal's reason. `log` receives one line per attempt.
 */
export async function verifyEgress(
  clients: EgressClients,
  clock: Clock,
  options: VerifyOptions,
  log: (line: string) => void = () => {},
): Promise<VerifyResult> {
  const started = clock.now();
  const recheckMs = Math.max(1000, options.recheckMs ?? 30_000);
  const timeoutMs = options.timeoutMs ?? options.waitMs + DEFAULT_CHECK_BUDGET_MS;
  const progress = options.progress ?? { phase: '' };
  const hard = startDeadline(clock, timeoutMs, `timeout ${formatDuration(timeoutMs)}`, options.signal);
  const wait = startDeadline(clock, options.waitMs, `wait ${formatDuration(options.waitMs)}`, hard.signal);
  const run = (signal: AbortSignal) => checkOnce(bindClients(clients, signal), clock, { ...options, signal, progress });
  let attempts = 0;
  let result: CheckResult | undefined;
  try {
    for (;;) {
      attempts++;
      const checkStarted = clock.now();
      try {
        result = await run(attempts === 1 ? hard.signal : wait.signal);
      } catch (err) {
        if (result && err instanceof DeadlineExceededError && wait.signal.reason === err && !hard.signal.aborted) {
          log(
            `check ${attempts} abandoned: the wait (${formatDuration(options.waitMs)}) ended while ${progress.phase}; check ${attempts - 1} stands`,
          );
          attempts--;
          break;
        }
        throw err;
      }
      const errors = result.findings.filter((f) => f.severity === 'error').length;
      const warnings = result.findings.filter((f) => f.severity === 'warning').length;
      log(
        `check ${attempts}: ${result.healthy ? 'healthy' : 'not healthy'} (${errors} error(s), ${warnings} warning(s))`,
      );
      const lastCheckMs = clock.now() - checkStarted;
      const elapsed = clock.now() - started;
      if (result.healthy || elapsed >= options.waitMs) break;
      // The last re-check is timed to finish inside the wait: it starts at least twice the last check's duration
      // (and at least 1 s) before the wait ends; when there is no such room left, the last check stands.
      const room = options.waitMs - elapsed - Math.max(MIN_CHECK_ROOM_MS, 2 * lastCheckMs);
      if (room <= 0) break;
      const pause = Math.min(recheckMs, room);
      log(
        `re-checking in ${formatDuration(pause)} (wait ${formatDuration(options.waitMs)}, ${formatDuration(elapsed)} elapsed)`,
      );
      await clock.sleep(pause, hard.signal);
    }

    if (result.analysis.mode === 'instance' && !options.expectQuiesced && egressSymptoms(result)) {
      progress.phase = "reading the NAT instances' consoles (EC2 GetConsoleOutput)";
      // For an ENI-based NAT, the console output is the instance's currently behind the interface.
      const nats = consoleTargets(result.analysis);
      result.diagnosis = await diagnoseConsole(withSignal(clients.ec2, hard.signal), nats);
      if (nats.length > 0) result.ec2Calls = { ...result.ec2Calls, GetConsoleOutput: nats.length };
      result.findings = sortFindings([...result.findings, ...consoleFindings(result.diagnosis)]);
      result.healthy = isHealthy(result.findings, options.failOn);
    }
  } catch (err) {
    const reason: unknown = hard.signal.reason;
    if (reason instanceof DeadlineExceededError && err === reason) {
      throw new ActionFailure(
        `timed out after ${formatDuration(timeoutMs)} while ${progress.phase || 'starting'} (check ${attempts}; the AWS call in flight was abandoned)`,
      );
    }
    throw err;
  } finally {
    hard.dispose();
    wait.dispose();
  }
  return { ...result, attempts, elapsedMs: clock.now() - started, checkedAt: clock.now(), options };
}
