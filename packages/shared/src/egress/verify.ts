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
import {
  ActionFailure,
  DeadlineExceededError,
  logProgress,
  startDeadline,
  trackWait,
  type Clock,
  type Deadline,
  type Progress,
  type WaitProgress,
} from '../runtime/index';
import { readTopology } from '../nat/read';
import { analyzeTopology, consoleTargets } from './topology';
import type { AnalyzeOptions, Finding, Severity, TopologyAnalysis } from './types';
import { consoleFindings, diagnoseConsole, type ConsoleDiagnosis } from './console';
import { checkLogs, logFindings, type LogGroupResult } from './logs';
import { probeFindings, runProbes, type ProbeResult } from './probe';
import { azEgress } from './verdict';

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
  const { analysis, calls } = await readAndAnalyze(clients.ec2, options, progress);
  const findings = [...analysis.findings];
  const result: CheckResult = {
    analysis,
    probes: [],
    logs: [],
    diagnosis: [],
    findings,
    healthy: false,
    ec2Calls: calls,
  };
  await probeStep(clients.ssm, clock, options, progress, result);
  await logStep(clients.logs, clock, options, progress, result);
  result.findings = sortFindings(result.findings);
  result.healthy = isHealthy(result.findings, options.failOn);
  return result;
}

/** The topology (EC2) and its analysis: NATs, routes, addresses, mode, the probe targets, their findings. */
async function readAndAnalyze(
  ec2: EC2Client,
  options: VerifyOptions,
  progress: { phase: string },
): Promise<{ analysis: TopologyAnalysis; calls: Record<string, number> }> {
  progress.phase = 'reading the VPC, subnets, routes, NATs and Elastic IPs (EC2)';
  const probing = options.probe !== 'off';
  const snapshot = await readTopology(ec2, {
    region: options.region,
    natNamePattern: options.natNamePattern,
    expectedIps: options.expectedIps,
    ...(options.vpcId ? { vpcId: options.vpcId } : { vpcName: options.vpcName ?? '' }),
    ...(probing && options.probeInstanceIds.length ? { probeInstanceIds: options.probeInstanceIds } : {}),
    ...(probing && options.probeTag ? { probeTag: options.probeTag } : {}),
  });
  const analysis = analyzeTopology(snapshot, {
    mode: options.mode,
    natNamePattern: options.natNamePattern,
    expectedIps: options.expectedIps,
    expectQuiesced: options.expectQuiesced,
  });
  return { analysis, calls: snapshot.calls };
}

/** The data-plane probes (SSM) from the probe targets, or why they were skipped; their findings into `result`. */
async function probeStep(
  ssm: SSMClient,
  clock: Clock,
  options: VerifyOptions,
  progress: { phase: string },
  result: CheckResult,
): Promise<void> {
  const { analysis, findings } = result;
  const probeSources = options.probeInstanceIds.length > 0 || !!options.probeTag;
  if (options.expectQuiesced) {
    result.probeSkipped = 'quiesced: there is no egress to probe';
  } else if (options.probe === 'off') {
    result.probeSkipped = 'probe: off';
  } else if (!probeSources) {
    result.probeSkipped = 'no probe-instances or probe-tag given';
  } else if (analysis.probeTargets.length === 0) {
    result.probeSkipped = 'no running probe instance in a private subnet was found';
    const sources = options.probeTag
      ? `${options.probeTag.key}=${options.probeTag.value}`
      : options.probeInstanceIds.join(', ');
    findings.push({
      severity: options.probe === 'ssm' ? 'error' : 'info',
      check: 'probe',
      message: `No running probe instance in a private subnet matches ${sources}: the data plane was not probed`,
    });
  } else {
    const probed = new Set(analysis.probeTargets.map((t) => t.az));
    for (const az of analysis.azs) {
      if (probed.has(az.az)) continue;
      findings.push({
        severity: options.probe === 'ssm' ? 'warning' : 'info',
        check: 'probe',
        az: az.az,
        message: `No probe instance in ${az.az}: its data plane was not probed`,
      });
    }
    progress.phase = 'probing egress from the private subnets (SSM)';
    result.probes = await runProbes(ssm, clock, analysis.probeTargets, {
      ...(options.signal ? { signal: options.signal } : {}),
      url: options.probeUrl,
      ...(options.probeTimeoutMs !== undefined ? { timeoutMs: options.probeTimeoutMs } : {}),
      ...(options.probePollMs !== undefined ? { pollMs: options.probePollMs } : {}),
    });
    findings.push(...probeFindings(result.probes, analysis.ssmEndpoints, analysis.natPublicIps));
  }
}

/** Log freshness (CloudWatch Logs), or why it was skipped; its findings into `result`. */
async function logStep(
  logs: CloudWatchLogsClient,
  clock: Clock,
  options: VerifyOptions,
  progress: { phase: string },
  result: CheckResult,
): Promise<void> {
  if (options.expectQuiesced) {
    result.logsSkipped = 'quiesced: log checks do not apply';
  } else if (options.logGroups.length === 0) {
    result.logsSkipped = 'no log-groups given';
  } else {
    progress.phase = 'checking log freshness (CloudWatch Logs)';
    const logOptions = { maxSilenceMs: options.maxLogSilenceMs };
    result.logs = await checkLogs(logs, clock, options.logGroups, logOptions);
    result.findings.push(...logFindings(result.logs, logOptions));
  }
}

/** Whether the data plane or the logs say egress is broken (what triggers the console diagnosis). */
function egressSymptoms(result: CheckResult): boolean {
  return (
    result.probes.some((p) => p.status === 'failed' || p.status === 'timeout' || p.status === 'wrong-ip') ||
    result.findings.some((f) => f.check === 'logs' && f.severity !== 'info')
  );
}

/** One verification's wait: the deadlines, the attempt count, and its progress. */
interface WaitRun {
  clients: EgressClients;
  clock: Clock;
  options: VerifyOptions;
  started: number;
  recheckMs: number;
  timeoutMs: number;
  progress: { phase: string };
  hard: Deadline;
  wait: Deadline;
  events: WaitProgress;
  log: (line: string) => void;
  attempts: number;
}

/**
 * Checks, and while not healthy re-checks every `recheckMs` until `waitMs` has passed (on the injected clock).
 * Hard deadlines, calls in flight included: `timeoutMs` for everything (the first check runs under it alone), and
 * `waitMs` for re-checks — a re-check still running when the wait ends is abandoned and the last complete check
 * stands. Re-checks are timed so the last one can finish inside the wait (it starts at least twice the previous
 * check's duration, and 1 s, before the wait ends). A first check cut by the timeout throws an ActionFailure naming
 * what it was doing; a cancel throws the signal's reason. `log` receives one line per attempt.
 *
 * Progress (`events`, default: its lines to `log`) of the `egress` wait: after each check the state of every AZ
 * (verdict.ts azEgress), then a stage ("waiting for egress: check N not healthy (…)") when a re-check follows, with
 * the "re-checking in …" line as its heartbeat, or the end (`healthy`, `not healthy`, `abandoned`; `stopped` on a
 * timeout or cancel).
 */
export async function verifyEgress(
  clients: EgressClients,
  clock: Clock,
  options: VerifyOptions,
  log: (line: string) => void = () => {},
  events: Progress = logProgress(log),
): Promise<VerifyResult> {
  const started = clock.now();
  const timeoutMs = options.timeoutMs ?? options.waitMs + DEFAULT_CHECK_BUDGET_MS;
  const hard = startDeadline(clock, timeoutMs, `timeout ${formatDuration(timeoutMs)}`, options.signal);
  const run: WaitRun = {
    clients,
    clock,
    options,
    started,
    recheckMs: Math.max(1000, options.recheckMs ?? 30_000),
    timeoutMs,
    progress: options.progress ?? { phase: '' },
    hard,
    wait: startDeadline(clock, options.waitMs, `wait ${formatDuration(options.waitMs)}`, hard.signal),
    events: trackWait(events, 'egress', clock, started),
    log,
    attempts: 0,
  };
  try {
    const result = await checkUntilHealthy(run);
    await diagnoseIfBroken(run, result);
    return { ...result, attempts: run.attempts, elapsedMs: clock.now() - started, checkedAt: clock.now(), options };
  } catch (err) {
    const reason: unknown = hard.signal.reason;
    if (reason instanceof DeadlineExceededError && err === reason) {
      throw new ActionFailure(
        `timed out after ${formatDuration(timeoutMs)} while ${run.progress.phase || 'starting'} ` +
          `(check ${run.attempts}; the AWS call in flight was abandoned)`,
      );
    }
    throw err;
  } finally {
    run.events.end('stopped');
    hard.dispose();
    run.wait.dispose();
  }
}

/** The check loop: the last complete check once healthy, out of wait, or a re-check was abandoned. */
async function checkUntilHealthy(run: WaitRun): Promise<CheckResult> {
  const { clock, options } = run;
  let result: CheckResult | undefined;
  for (;;) {
    run.attempts++;
    const checkStarted = clock.now();
    const signal = run.attempts === 1 ? run.hard.signal : run.wait.signal;
    try {
      result = await checkOnce(bindClients(run.clients, signal), clock, { ...options, signal, progress: run.progress });
    } catch (err) {
      if (
        result &&
        err instanceof DeadlineExceededError &&
        run.wait.signal.reason === err &&
        !run.hard.signal.aborted
      ) {
        run.events.end(
          'abandoned',
          `check ${run.attempts} abandoned: the wait (${formatDuration(options.waitMs)}) ended while ` +
            `${run.progress.phase}; check ${run.attempts - 1} stands`,
        );
        run.attempts--;
        return result;
      }
      throw err;
    }
    const pause = nextPause(run, result, clock.now() - checkStarted);
    reportCheck(run, result, pause);
    if (pause === undefined) return result;
    await clock.sleep(pause, run.hard.signal);
  }
}

/**
 * The pause before the next check, or undefined when this check stands: healthy, or out of wait. The last
 * re-check is timed to finish inside the wait: it starts at least twice the last check's duration (and at least
 * 1 s) before the wait ends; when there is no such room left, the last check stands.
 */
function nextPause(run: WaitRun, result: CheckResult, lastCheckMs: number): number | undefined {
  const elapsed = run.clock.now() - run.started;
  if (result.healthy || elapsed >= run.options.waitMs) return undefined;
  const room = run.options.waitMs - elapsed - Math.max(MIN_CHECK_ROOM_MS, 2 * lastCheckMs);
  if (room <= 0) return undefined;
  return Math.min(run.recheckMs, room);
}

/** A check's line, each AZ's state, and the stage (a re-check follows in `pause` ms) or the end of the wait. */
function reportCheck(run: WaitRun, result: CheckResult, pause: number | undefined): void {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warning').length;
  const counts = `(${errors} error(s), ${warnings} warning(s))`;
  for (const az of result.analysis.azs) {
    const { egress, egressReason } = azEgress(result.findings, az.az);
    run.events.az(az.az, egress, egressReason);
  }
  const line = `check ${run.attempts}: ${result.healthy ? 'healthy' : 'not healthy'} ${counts}`;
  if (pause === undefined) {
    run.events.end(result.healthy ? 'healthy' : 'not healthy', line);
    return;
  }
  run.events.stage(`waiting for egress: check ${run.attempts} not healthy ${counts}`, line, run.started);
  const { waitMs } = run.options;
  const elapsed = formatDuration(run.clock.now() - run.started);
  run.events.heartbeat(`re-checking in ${formatDuration(pause)} (wait ${formatDuration(waitMs)}, ${elapsed} elapsed)`);
}

/** Instance mode with egress symptoms: read the NAT instances' consoles once, and add what they say. */
async function diagnoseIfBroken(run: WaitRun, result: CheckResult): Promise<void> {
  const { options } = run;
  if (result.analysis.mode !== 'instance' || options.expectQuiesced || !egressSymptoms(result)) return;
  run.progress.phase = "reading the NAT instances' consoles (EC2 GetConsoleOutput)";
  // For an ENI-based NAT, the console output is the instance's currently behind the interface.
  const nats = consoleTargets(result.analysis);
  result.diagnosis = await diagnoseConsole(withSignal(run.clients.ec2, run.hard.signal), nats);
  if (nats.length > 0) result.ec2Calls = { ...result.ec2Calls, GetConsoleOutput: nats.length };
  result.findings = sortFindings([...result.findings, ...consoleFindings(result.diagnosis)]);
  result.healthy = isHealthy(result.findings, options.failOn);
}
