/**
 * Data-plane probes: from one private instance per AZ, over SSM Run Command, an HTTPS request to an IP
 * echo service. The answer must be the Elastic IP of the NAT that AZ routes through. All probes run in
 * parallel and each is bounded in time. A probe that cannot run (agent offline, command undelivered) is
 * reported as such, never as broken egress: SSM itself needs egress unless the VPC has SSM endpoints.
 */
import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  paginateDescribeInstanceInformation,
  type GetCommandInvocationCommandOutput,
  type InstanceInformation,
} from '@aws-sdk/client-ssm';
import { awsErrorCode } from '../aws/index';
import { describeError, firstLine, isAbortLike, type Clock } from '../runtime/index';
import { formatDuration, isIpv4 } from '../inputs/index';
import type { Finding, ProbeTarget, SsmEndpoints } from './types';

export type ProbeStatus = 'ok' | 'wrong-ip' | 'failed' | 'timeout' | 'unreachable' | 'not-run';

export interface ProbeResult {
  az: string;
  instanceId: string;
  status: ProbeStatus;
  expectedIp?: string;
  observedIp?: string;
  commandId?: string;
  /** One line for the report: what happened. */
  detail: string;
  elapsedMs: number;
}

export interface ProbeOptions {
  url: string;
  /** Whole probe budget per instance (delivery + run). Default 60 s. */
  timeoutMs?: number;
  /** GetCommandInvocation polling interval. Default 2 s. */
  pollMs?: number;
  /** Cancellation / deadline: a pause ends at once and an aborted call is not reported as a probe result. */
  signal?: AbortSignal;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 60_000;
export const DEFAULT_PROBE_POLL_MS = 2_000;
export const PROBE_DOCUMENT = 'AWS-RunShellScript';

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The shell script the probe runs: curl (or wget) with a hard time limit; 127 when neither exists. */
export function probeScript(url: string, requestSeconds: number): string[] {
  const n = Math.max(1, Math.floor(requestSeconds));
  return [
    `url=${shellQuote(url)}`,
    `if command -v curl >/dev/null 2>&1; then curl -sS --fail --max-time ${n} "$url"; exit $?; fi`,
    `if command -v wget >/dev/null 2>&1; then wget -q -T ${n} -O - "$url"; exit $?; fi`,
    `echo 'neither curl nor wget is installed' >&2; exit 127`,
  ];
}

const CURL_EXIT: Record<number, string> = {
  5: 'could not resolve the proxy',
  6: 'could not resolve the host (DNS)',
  7: 'could not connect',
  22: 'HTTP error from the echo service',
  28: 'timed out',
  35: 'TLS handshake failed',
  52: 'empty reply',
  56: 'connection reset',
  60: 'certificate problem',
};

/** The first non-empty line, kept short for a probe's one-line detail. */
function probeLine(text: string | undefined): string {
  return firstLine(text ?? '').slice(0, 200);
}

/** DescribeInstanceInformation for all probe instances at once (one batched, paginated call). */
async function agentInfo(ssm: SSMClient, instanceIds: string[]): Promise<Map<string, InstanceInformation> | string> {
  try {
    const map = new Map<string, InstanceInformation>();
    const pages = paginateDescribeInstanceInformation(
      { client: ssm },
      { Filters: [{ Key: 'InstanceIds', Values: instanceIds }] },
    );
    for await (const page of pages) {
      for (const info of page.InstanceInformationList ?? []) if (info.InstanceId) map.set(info.InstanceId, info);
    }
    return map;
  } catch (err) {
    if (isAbortLike(err)) throw err;
    return describeError(err);
  }
}

export async function runProbes(
  ssm: SSMClient,
  clock: Clock,
  targets: ProbeTarget[],
  options: ProbeOptions,
): Promise<ProbeResult[]> {
  if (targets.length === 0) return [];
  const info = await agentInfo(
    ssm,
    targets.map((t) => t.instanceId),
  );
  return Promise.all(targets.map((t) => probeOne(ssm, clock, t, typeof info === 'string' ? undefined : info, options)));
}

type Done = (status: ProbeStatus, detail: string, extra?: Partial<ProbeResult>) => ProbeResult;

/**
 * One probe: the agent's registration (when known), SendCommand of the probe script, then GetCommandInvocation
 * every `pollMs` until it settles or `timeoutMs` passes. Never throws for the probe's own failures (they are its
 * result); a cancel or deadline (an abort-like error) is re-thrown.
 */
async function probeOne(
  ssm: SSMClient,
  clock: Clock,
  target: ProbeTarget,
  info: Map<string, InstanceInformation> | undefined,
  options: ProbeOptions,
): Promise<ProbeResult> {
  const started = clock.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const base = {
    az: target.az,
    instanceId: target.instanceId,
    ...(target.expectedIp ? { expectedIp: target.expectedIp } : {}),
  };
  const done: Done = (status, detail, extra = {}) => ({
    ...base,
    status,
    detail,
    elapsedMs: clock.now() - started,
    ...extra,
  });
  const offline = info ? agentOffline(info, target, done) : undefined;
  if (offline) return offline;
  const sent = await sendProbe(ssm, target, options, timeoutMs, done);
  if (typeof sent !== 'string') return sent;
  return awaitInvocation(
    ssm,
    clock,
    target,
    options,
    { commandId: sent, deadline: started + timeoutMs, timeoutMs },
    done,
  );
}

/** The agent is not registered with SSM, or not online: the probe cannot run. */
function agentOffline(
  info: Map<string, InstanceInformation>,
  target: ProbeTarget,
  done: Done,
): ProbeResult | undefined {
  const agent = info.get(target.instanceId);
  if (!agent)
    return done(
      'unreachable',
      'not registered with SSM (no agent, no instance profile, or the agent never reached SSM)',
    );
  if (agent.PingStatus !== 'Online') {
    const since = agent.LastPingDateTime ? `, last ping ${agent.LastPingDateTime.toISOString()}` : '';
    return done('unreachable', `SSM agent is ${agent.PingStatus ?? 'not online'}${since}`);
  }
  return undefined;
}

/** SendCommand (AWS-RunShellScript with the probe script): the command id, or the probe's result when it failed. */
async function sendProbe(
  ssm: SSMClient,
  target: ProbeTarget,
  options: ProbeOptions,
  timeoutMs: number,
  done: Done,
): Promise<string | ProbeResult> {
  try {
    const execSeconds = Math.max(5, Math.ceil(timeoutMs / 1000));
    const out = await ssm.send(
      new SendCommandCommand({
        DocumentName: PROBE_DOCUMENT,
        InstanceIds: [target.instanceId],
        Comment: 'verify-egress probe',
        TimeoutSeconds: Math.max(30, execSeconds),
        Parameters: {
          commands: probeScript(options.url, Math.max(1, Math.floor(execSeconds / 3))),
          executionTimeout: [String(execSeconds)],
        },
      }),
    );
    const commandId = out.Command?.CommandId ?? '';
    return commandId || done('not-run', 'SendCommand returned no command id');
  } catch (err) {
    if (isAbortLike(err)) throw err;
    const code = awsErrorCode(err);
    if (code === 'InvalidInstanceId')
      return done('unreachable', 'SSM does not consider the instance online and managed (InvalidInstanceId)');
    return done('not-run', `SendCommand failed: ${describeError(err)}`);
  }
}

/** GetCommandInvocation every `pollMs` until the command settles (classify) or the probe's deadline passes. */
async function awaitInvocation(
  ssm: SSMClient,
  clock: Clock,
  target: ProbeTarget,
  options: ProbeOptions,
  command: { commandId: string; deadline: number; timeoutMs: number },
  done: Done,
): Promise<ProbeResult> {
  const { commandId, deadline, timeoutMs } = command;
  const pollMs = options.pollMs ?? DEFAULT_PROBE_POLL_MS;
  let last: GetCommandInvocationCommandOutput | undefined;
  while (clock.now() < deadline) {
    await clock.sleep(Math.min(pollMs, Math.max(0, deadline - clock.now())), options.signal);
    try {
      last = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: target.instanceId }));
    } catch (err) {
      if (isAbortLike(err)) throw err;
      if (awsErrorCode(err) === 'InvocationDoesNotExist') continue;
      return done('not-run', `GetCommandInvocation failed: ${describeError(err)}`, { commandId });
    }
    const result = classify(last, target, options.url);
    if (result)
      return done(result.status, result.detail, {
        commandId,
        ...(result.observedIp ? { observedIp: result.observedIp } : {}),
      });
  }
  const status = last?.Status;
  if (!status || status === 'Pending' || status === 'Delayed') {
    return done(
      'unreachable',
      `the command was not delivered within ${formatDuration(timeoutMs)} (status ${status ?? 'unknown'})`,
      { commandId },
    );
  }
  return done('timeout', `no answer from ${options.url} within ${formatDuration(timeoutMs)} (status ${status})`, {
    commandId,
  });
}

function classify(
  inv: GetCommandInvocationCommandOutput,
  target: ProbeTarget,
  url: string,
): { status: ProbeStatus; detail: string; observedIp?: string } | undefined {
  const details = inv.StatusDetails ?? '';
  switch (inv.Status) {
    case 'Success': {
      const answer = (inv.StandardOutputContent ?? '').trim();
      const ip = answer.split(/\s+/).find((word) => isIpv4(word));
      if (!ip)
        return {
          status: 'failed',
          detail: `${url} answered without an IPv4 address: ${JSON.stringify(probeLine(answer))}`,
        };
      if (target.expectedIp && ip !== target.expectedIp && !target.acceptedIps?.includes(ip)) {
        return {
          status: 'wrong-ip',
          observedIp: ip,
          detail: `left via ${ip}, expected ${target.expectedIp} (NAT ${target.natId ?? '?'})`,
        };
      }
      if (!target.expectedIp)
        return {
          status: 'wrong-ip',
          observedIp: ip,
          detail: `left via ${ip}, but the instance's subnet does not route through a known NAT`,
        };
      return { status: 'ok', observedIp: ip, detail: `left via ${ip}` };
    }
    case 'Failed': {
      const code = inv.ResponseCode ?? -1;
      const stderr = probeLine(inv.StandardErrorContent);
      if (code === 127)
        return { status: 'not-run', detail: `the probe instance has no curl or wget (${stderr || 'exit 127'})` };
      const reason = CURL_EXIT[code] ?? `exit ${code}`;
      return { status: 'failed', detail: `HTTPS to ${url} failed: ${reason}${stderr ? ` (${stderr})` : ''}` };
    }
    case 'TimedOut':
      if (/Delivery/i.test(details))
        return { status: 'unreachable', detail: `SSM could not deliver the command (${details})` };
      return { status: 'timeout', detail: `the request to ${url} did not finish in time (${details || 'TimedOut'})` };
    case 'Cancelled':
    case 'Cancelling':
      return { status: 'not-run', detail: `the command was cancelled (${details || inv.Status})` };
    default:
      if (/Undeliverable/i.test(details))
        return { status: 'unreachable', detail: 'SSM reports the command undeliverable' };
      if (/Terminated/i.test(details))
        return { status: 'not-run', detail: 'the instance was terminated during the probe' };
      return undefined;
  }
}

/** Text about SSM's own path to the service, for probes that could not run. */
export function ssmEndpointNote(endpoints: SsmEndpoints): string {
  const missing = (['ssm', 'ec2messages', 'ssmmessages'] as const).filter((s) => !endpoints[s]);
  if (missing.length === 0) {
    return (
      'The VPC has ssm, ec2messages and ssmmessages interface endpoints, so the agent does not depend on the NAT: ' +
      'check the agent and the instance profile.'
    );
  }
  const have = (['ssm', 'ec2messages', 'ssmmessages'] as const).filter((s) => endpoints[s]);
  const also = have.length ? ` (it has ${have.join(', ')})` : '';
  const endpoint = `interface endpoint${missing.length > 1 ? 's' : ''}${also}`;
  return (
    `The VPC has no ${missing.join('/')} ${endpoint}: the agent reaches SSM through the NAT, ` +
    'so an unreachable agent is consistent with broken egress but does not prove it.'
  );
}

export function probeFindings(results: ProbeResult[], endpoints: SsmEndpoints, natIps: string[]): Finding[] {
  const findings: Finding[] = [];
  for (const r of results) {
    const at = { check: 'probe' as const, az: r.az, resource: r.instanceId };
    const who = `Probe from ${r.az} (${r.instanceId})`;
    switch (r.status) {
      case 'ok':
        break;
      case 'wrong-ip': {
        const known = r.observedIp && natIps.includes(r.observedIp);
        findings.push({
          ...at,
          severity: 'error',
          message:
            `${who} ${r.detail}` +
            (known
              ? ': that is another NAT (cross-AZ path)'
              : ': not a NAT Elastic IP (the path bypasses the NAT, or the NAT lost its EIP)'),
        });
        break;
      }
      case 'failed':
      case 'timeout':
        findings.push({ ...at, severity: 'error', message: `${who}: ${r.detail}: no egress from ${r.az}` });
        break;
      case 'unreachable':
        findings.push({
          ...at,
          severity: 'warning',
          message: `${who} could not run: ${r.detail}. ${ssmEndpointNote(endpoints)}`,
        });
        break;
      case 'not-run':
        findings.push({ ...at, severity: 'warning', message: `${who} could not run: ${r.detail}` });
        break;
    }
  }
  return findings;
}
