/**
 * The egress verdict as JSON (the `report` output, kept well under GitHub's 1 MB output limit) and as
 * markdown (job summary and `report-file`): a per-AZ table with failing AZs first, then the findings
 * (errors, then warnings), log freshness, console diagnosis, and the runbook's mitigation and rollback.
 */
import { formatDuration } from '../inputs/index';
import { fitText, GITHUB_LIMITS } from '../limits/index';
import { byteLength, code, escapeText, ROLLBACK_LEVER, table } from '../report/index';
import { reportNat, type ReportNat } from './report-nat';
import type { Finding, Severity } from './types';
import type { ProbeStatus } from './probe';
import { azEgress, azFindings, worstSeverity, type AzEgress, type AzVerdict } from './verdict';
import type { VerifyResult } from './verify';

export interface AzRow extends AzEgress {
  az: string;
  verdict: AzVerdict;
  nats: { id: string; kind: string; state: string; az: string; publicIp?: string }[];
  routeTables: { total: number; shown: { id: string; target: string; state: string }[] };
  eips: { ip: string; ptr?: string }[];
  probe?: { instanceId: string; status: ProbeStatus; observedIp?: string; detail: string };
}

export interface Advice {
  natInstances: string[];
  mitigation: string;
  rollback: string;
}

export interface EgressReport {
  version: 1;
  healthy: boolean;
  failOn: 'warning' | 'error';
  vpc: { id: string; name?: string };
  region: string;
  mode: string;
  modeSource: string;
  expectQuiesced: boolean;
  checkedAt: string;
  attempts: number;
  elapsedMs: number;
  counts: Record<Severity, number>;
  azs: AzRow[];
  egressIps: Record<string, string | null>;
  findings: Finding[];
  nats: ReportNat[];
  addresses: { publicIp: string; allocationId?: string; ptr?: string; natId?: string; expected: boolean }[];
  probes: VerifyResult['probes'];
  probeSkipped?: string;
  logs: VerifyResult['logs'];
  logsSkipped?: string;
  diagnosis: VerifyResult['diagnosis'];
  ssmEndpoints: VerifyResult['analysis']['ssmEndpoints'];
  ec2Calls: Record<string, number>;
  advice?: Advice;
  truncated?: string;
}

const SHOWN_ROUTE_TABLES = 5;

export const MITIGATION_COMMANDS = [
  'sudo dnf install -y nftables',
  'sudo nft -f /etc/nftables/cabal-nat.nft',
  'grep -q cabal-nat.nft /etc/sysconfig/nftables.conf || \\',
  `  echo 'include "/etc/nftables/cabal-nat.nft"' | sudo tee -a /etc/sysconfig/nftables.conf`,
  'sudo systemctl enable --now nftables && sudo nft list ruleset',
].join('\n');

/** The runbook's rollback lever (report ROLLBACK_LEVER). */
export const ROLLBACK_TEXT = ROLLBACK_LEVER;

function needsAdvice(result: VerifyResult): boolean {
  if (result.analysis.mode !== 'instance' || result.options.expectQuiesced) return false;
  const probeBroken = result.probes.some(
    (p) => p.status === 'failed' || p.status === 'timeout' || p.status === 'wrong-ip',
  );
  const logsBroken = result.findings.some((f) => f.check === 'logs' && f.severity === 'error');
  const consoleBroken = result.diagnosis.some((d) => d.problems.length > 0);
  return probeBroken || logsBroken || consoleBroken;
}

type Analysis = VerifyResult['analysis'];

/** One AZ's row: its verdict and egress (verdict.ts), its NATs, route tables, Elastic IPs and probe. */
function azRow(result: VerifyResult, az: Analysis['azs'][number], natById: Map<string, ReportNat>): AzRow {
  const { analysis } = result;
  const natIds = [...new Set([...az.egressNatIds, ...az.natIds])];
  const tables = analysis.routeTables.filter((rt) => az.routeTableIds.includes(rt.id));
  const probe = result.probes.find((p) => p.az === az.az);
  const row: AzRow = {
    az: az.az,
    verdict: worstSeverity(azFindings(result.findings, az.az)),
    ...azEgress(result.findings, az.az),
    nats: natIds
      .map((id) => natById.get(id))
      .filter((n): n is ReportNat => !!n)
      .map((n) => ({
        id: n.id,
        kind: n.kind,
        state: n.state,
        az: n.az,
        ...(n.publicIp ? { publicIp: n.publicIp } : {}),
      })),
    routeTables: {
      total: tables.length,
      shown: tables.slice(0, SHOWN_ROUTE_TABLES).map((rt) => ({
        id: rt.id,
        target: rt.defaultRoute.kind === 'none' ? 'none' : rt.defaultRoute.target,
        state: rt.defaultRoute.state || 'missing',
      })),
    },
    eips: az.egressIps.map((ip) => {
      const ptr =
        analysis.addresses.find((a) => a.publicIp === ip)?.ptr ??
        [...natById.values()].find((n) => n.publicIp === ip)?.ptr;
      return { ip, ...(ptr ? { ptr } : {}) };
    }),
  };
  if (probe) {
    row.probe = {
      instanceId: probe.instanceId,
      status: probe.status,
      detail: probe.detail,
      ...(probe.observedIp ? { observedIp: probe.observedIp } : {}),
    };
  }
  return row;
}

/** The rows, failing AZs first (error, warning, ok), then by name. */
function azRows(result: VerifyResult, nats: ReportNat[]): AzRow[] {
  const natById = new Map(nats.map((n) => [n.id, n]));
  const rank: Record<AzVerdict, number> = { error: 0, warning: 1, ok: 2 };
  return result.analysis.azs
    .map((az) => azRow(result, az, natById))
    .sort((a, b) => rank[a.verdict] - rank[b.verdict] || a.az.localeCompare(b.az));
}

/** Per AZ (by name): the address a probe saw leave, else the AZ's first egress IP, else null. */
function egressIpsOf(result: VerifyResult): Record<string, string | null> {
  const egressIps: Record<string, string | null> = {};
  for (const az of [...result.analysis.azs].sort((a, b) => a.az.localeCompare(b.az))) {
    const probe = result.probes.find((p) => p.az === az.az && p.status === 'ok');
    egressIps[az.az] = probe?.observedIp ?? az.egressIps[0] ?? null;
  }
  return egressIps;
}

function countsOf(findings: Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** The report of a verification (the `report` output and the markdown's source). */
export function buildReport(result: VerifyResult): EgressReport {
  const { analysis } = result;
  const nats = analysis.nats.map(reportNat);
  const report: EgressReport = {
    version: 1,
    healthy: result.healthy,
    failOn: result.options.failOn,
    vpc: { id: analysis.vpcId, ...(analysis.vpcName ? { name: analysis.vpcName } : {}) },
    region: analysis.region,
    mode: analysis.mode,
    modeSource: analysis.modeSource,
    expectQuiesced: result.options.expectQuiesced,
    checkedAt: new Date(result.checkedAt).toISOString(),
    attempts: result.attempts,
    elapsedMs: result.elapsedMs,
    counts: countsOf(result.findings),
    azs: azRows(result, nats),
    egressIps: egressIpsOf(result),
    findings: result.findings,
    nats,
    addresses: analysis.addresses.map((a) => ({
      publicIp: a.publicIp,
      expected: a.expected,
      ...(a.allocationId ? { allocationId: a.allocationId } : {}),
      ...(a.ptr ? { ptr: a.ptr } : {}),
      ...(a.natId ? { natId: a.natId } : {}),
    })),
    probes: result.probes,
    logs: result.logs,
    diagnosis: result.diagnosis,
    ssmEndpoints: analysis.ssmEndpoints,
    ec2Calls: result.ec2Calls,
  };
  if (result.probeSkipped) report.probeSkipped = result.probeSkipped;
  if (result.logsSkipped) report.logsSkipped = result.logsSkipped;
  if (needsAdvice(result)) {
    report.advice = {
      natInstances: nats.filter((n) => n.kind === 'instance').map((n) => n.id),
      mitigation: MITIGATION_COMMANDS,
      rollback: ROLLBACK_TEXT,
    };
  }
  return report;
}

/** JSON for the `report` output, shrunk (findings, then details) until it fits `maxBytes`. */
export function reportJson(report: EgressReport, maxBytes = 256_000): string {
  let json = JSON.stringify(report);
  if (byteLength(json) <= maxBytes) return json;
  const slim: EgressReport = { ...report, nats: [], diagnosis: report.diagnosis.map((d) => ({ ...d, excerpt: [] })) };
  for (const keep of [200, 50, 10]) {
    slim.findings = report.findings.slice(0, keep);
    slim.truncated =
      `report trimmed to fit ${maxBytes} bytes: nats and console excerpts dropped, ` +
      `${keep} of ${report.findings.length} findings kept (see the report-file)`;
    json = JSON.stringify(slim);
    if (byteLength(json) <= maxBytes) return json;
  }
  const minimal = {
    version: 1,
    healthy: report.healthy,
    vpc: report.vpc,
    mode: report.mode,
    counts: report.counts,
    egressIps: report.egressIps,
    // Each AZ's verdict stays, so a reader never has to work it out again.
    azs: report.azs.map(({ az, verdict, egress, egressReason }) => ({ az, verdict, egress, egressReason })),
    findings: report.findings.slice(0, 10),
    truncated: `report trimmed to fit ${maxBytes} bytes (see the report-file)`,
  };
  return JSON.stringify(minimal);
}

const ICON: Record<Severity | AzVerdict, string> = { error: '❌', warning: '⚠️', info: 'ℹ️', ok: '✅' };

function probeCell(row: AzRow): string {
  if (!row.probe) return '—';
  const p = row.probe;
  const label =
    p.status === 'ok'
      ? `✅ ${code(p.observedIp ?? '', true)}`
      : `${p.status === 'unreachable' || p.status === 'not-run' ? '⚠️' : '❌'} ${escapeText(p.status)}`;
  const seen = p.status !== 'ok' && p.observedIp ? ` ${code(p.observedIp, true)}` : '';
  return `${label}${seen} via ${code(p.instanceId, true)}`;
}

/**
 * The report as markdown (the report file; the job summary through limits' writeStepSummary). With `limitBytes`,
 * shortened to that many UTF-8 bytes with a note.
 */
export function renderMarkdown(report: EgressReport, limitBytes = Number.POSITIVE_INFINITY): string {
  const out: string[] = [...headingLines(report), ...azTableLines(report), ...findingLines(report)];
  out.push(...logLines(report), ...consoleLines(report), ...mitigationLines(report));
  if (report.truncated) out.push(`_${escapeText(report.truncated)}_`, '');
  const md = out.join('\n');
  if (!Number.isFinite(limitBytes)) return md;
  return fitText(
    md,
    GITHUB_LIMITS.stepSummary,
    '_… report truncated to fit the job summary limit; the full report is in the report-file output_',
    limitBytes,
  ).text;
}

/** The verdict heading and the line of facts under it (region, mode, when, how many checks, fail-on). */
function headingLines(report: EgressReport): string[] {
  const name = report.vpc.name ? ` (${code(report.vpc.name)})` : '';
  const verdict = report.healthy
    ? report.expectQuiesced
      ? 'quiesced as expected'
      : 'egress healthy'
    : `egress NOT healthy: ${report.counts.error} error(s), ${report.counts.warning} warning(s)`;
  const checks = `${report.attempts} check${report.attempts === 1 ? '' : 's'}`;
  return [
    `## ${report.healthy ? '✅' : '❌'} verify-egress: ${code(report.vpc.id)}${name} — ${verdict}`,
    '',
    [
      `Region ${code(report.region)}`,
      `mode ${code(report.mode)} (${report.modeSource === 'input' ? 'from input' : 'detected'})`,
      `checked ${code(report.checkedAt)}`,
      `${checks} over ${escapeText(formatDuration(report.elapsedMs))}`,
      `fail-on ${code(report.failOn)}`,
    ].join(' · '),
    '',
  ];
}

/** The per-AZ table: verdict, NATs, route tables, Elastic IPs, probe. */
function azTableLines(report: EgressReport): string[] {
  if (report.azs.length === 0) return [];
  const rows = report.azs.map((row) => [
    code(row.az, true),
    `${ICON[row.verdict]} ${row.verdict}`,
    natCell(row),
    routeTablesCell(row),
    row.eips.length
      ? row.eips.map((e) => `${code(e.ip, true)}${e.ptr ? ` (${code(e.ptr, true)})` : ''}`).join('<br>')
      : '—',
    probeCell(row),
  ]);
  return [table(['AZ', 'Verdict', 'NAT', 'Route tables (0.0.0.0/0)', 'EIP (reverse DNS)', 'Probe'], rows), ''];
}

function natCell(row: AzRow): string {
  if (!row.nats.length) return '—';
  return row.nats
    .map((n) => `${code(n.id, true)} ${escapeText(n.state)}${n.az !== row.az ? ` (in ${code(n.az, true)})` : ''}`)
    .join('<br>');
}

function routeTablesCell(row: AzRow): string {
  const hidden = row.routeTables.total - row.routeTables.shown.length;
  const tables = row.routeTables.shown.map((rt) => {
    const state = rt.state !== 'active' ? ` ${escapeText(rt.state)}` : '';
    return `${code(rt.id, true)} → ${code(rt.target, true)}${state}`;
  });
  return [...tables, ...(hidden > 0 ? [`… ${hidden} more`] : [])].join('<br>') || '—';
}

/** The failing checks (or that none failed), the notes, and a skipped probe. */
function findingLines(report: EgressReport): string[] {
  const problems = report.findings.filter((f) => f.severity !== 'info');
  const notes = report.findings.filter((f) => f.severity === 'info');
  const line = (f: Finding) =>
    `- ${ICON[f.severity]} **${f.check}**${f.az ? ` (${escapeText(f.az)})` : ''}: ${escapeText(f.message)}`;
  const out = [problems.length ? '### Failing checks' : '### Checks', ''];
  out.push(
    problems.length ? problems.map(line).join('\n') : '- ✅ NAT, routes, addresses, probes and logs: no problem found',
  );
  out.push('');
  if (notes.length) out.push('### Notes', '', notes.map(line).join('\n'), '');
  if (report.probeSkipped) out.push(`Data-plane probe skipped: ${escapeText(report.probeSkipped)}.`, '');
  return out;
}

/** Log freshness per group, or why it was skipped. */
function logLines(report: EgressReport): string[] {
  if (report.logs.length === 0) {
    return report.logsSkipped ? [`Log freshness skipped: ${escapeText(report.logsSkipped)}.`, ''] : [];
  }
  const rows = report.logs.map((l) => [
    code(l.group, true),
    l.newest !== undefined ? code(new Date(l.newest).toISOString(), true) : '—',
    l.silentMs !== undefined ? escapeText(formatDuration(l.silentMs)) : '—',
    `${l.status === 'fresh' ? '✅' : '⚠️'} ${escapeText(l.status)}${l.detail ? `: ${escapeText(l.detail)}` : ''}`,
  ]);
  return ['### Log freshness', '', table(['Log group', 'Newest event', 'Silent for', 'Status'], rows), ''];
}

/** The NAT instances' console excerpts (diagnosis). */
function consoleLines(report: EgressReport): string[] {
  const withExcerpt = report.diagnosis.filter((d) => d.excerpt.length > 0);
  if (withExcerpt.length === 0) return [];
  const out = ['### Console output of the NAT instances', ''];
  for (const d of withExcerpt) {
    out.push(
      `${code(d.instanceId)}${d.az ? ` in ${code(d.az)}` : ''}:`,
      '',
      '```text',
      ...d.excerpt.map((l) => l.replace(/```/g, "'''")),
      '```',
      '',
    );
  }
  return out;
}

/** The runbook's mitigation and rollback lever, when the findings call for them. */
function mitigationLines(report: EgressReport): string[] {
  if (!report.advice) return [];
  const instances = report.advice.natInstances.map((id) => code(id)).join(', ') || 'none found';
  return [
    '### Mitigation (from the runbook)',
    '',
    `On each NAT instance (${instances}), over SSM Session Manager (\`aws ssm start-session --target <id>\`), ` +
      'load the nftables masquerade ruleset:',
    '',
    '```sh',
    report.advice.mitigation,
    '```',
    '',
    `**Rollback lever:** ${escapeText(report.advice.rollback)}`,
    '',
  ];
}
