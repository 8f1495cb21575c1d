/**
 * Human output of a finished run, drawn from the action's structured outputs where it has them: plan-guard's view
 * (plan-guard-view.mjs: findings, report), verify-egress's on-call view from its `report` output (first whether
 * egress is up in each AZ, then why not, then the runbook's mitigation commands for that case). The other actions
 * print their job summary (markdown.mjs: read with a markdown parser, written as terminal text) and their outputs.
 */
import { markdownForTerminal } from './markdown.mjs';
import { renderPlanGuard } from './plan-guard-view.mjs';
import { paint } from './style.mjs';

const LONG = 200;

/** `name: value` lines; long or multi-line values (JSON reports) are summarised: --json prints them whole. */
export function renderOutputs(outputs, color) {
  const names = Object.keys(outputs);
  if (names.length === 0) return '';
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => {
    const v = outputs[n];
    const shown =
      v.length > LONG || v.includes('\n')
        ? paint(color, 'dim', `(${v.length} characters: --json prints it)`)
        : v === ''
          ? paint(color, 'dim', n === 'report-file' ? '(not kept: --report-dir DIR keeps it)' : '(empty)')
          : v;
    return `  ${n.padEnd(width)}  ${shown}`;
  });
  return [paint(color, 'bold', 'Outputs'), ...lines].join('\n');
}

/** How each AZ's egress (the report's azs[].egress, computed once by the action) reads on a terminal. */
const EGRESS_LABEL = {
  down: ['red', 'DOWN'],
  unproven: ['yellow', 'UNCONFIRMED'],
  up: ['green', 'UP'],
};

/**
 * The on-call view of verify-egress's report (the `report` output's JSON; see packages/shared/src/egress/report.ts):
 * the verdict line, egress per AZ, why not, then the runbook's mitigation as commands to paste. Every verdict shown
 * is the report's own (`healthy`, `azs[].egress`, `azs[].verdict`): nothing is worked out again here.
 * @param {any} report
 * @param {boolean} color
 * @returns {string}
 */
export function renderEgressReport(report, color) {
  const c = (s, t) => paint(color, s, t);
  return [
    verdictLine(report, c),
    '',
    c('bold', 'Egress per AZ'),
    ...azLines(report, c, color),
    ...whyLines(report, c),
    ...mitigationLines(report, c),
    ...(report.truncated ? ['', c('dim', report.truncated)] : []),
  ].join('\n');
}

function verdictLine(report, c) {
  const vpc = `${report.vpc?.id ?? '?'}${report.vpc?.name ? ` (${report.vpc.name})` : ''}`;
  const verdict = report.healthy
    ? c('green', report.expectQuiesced ? 'QUIESCED as expected' : 'EGRESS UP')
    : c('red', report.expectQuiesced ? 'NOT QUIESCED' : 'EGRESS DOWN');
  const region = report.region ? ` · ${report.region}` : '';
  return c('bold', `${verdict} · ${vpc}${region}${report.mode ? ` · mode ${report.mode}` : ''}`);
}

/** 1. Per AZ: up or down, and where it leaves from. */
function azLines(report, c, color) {
  const azs = Array.isArray(report.azs) ? report.azs : [];
  if (azs.length === 0) return ['  (no AZ rows in the report)'];
  const width = Math.max(...azs.map((r) => r.az.length));
  return azs.map((row) => {
    const [style, label] = EGRESS_LABEL[row.egress] ?? ['yellow', String(row.egress ?? '?').toUpperCase()];
    const state = c(style, row.egress === 'up' && row.verdict === 'warning' ? 'UP (warnings)' : label);
    const ip = report.egressIps?.[row.az];
    const via = row.probe
      ? `probe ${row.probe.status}${row.probe.observedIp ? ` from ${row.probe.observedIp}` : ''}`
      : ip
        ? `via ${ip}`
        : 'no egress address';
    const nat = row.nats?.length ? row.nats.map((n) => `${n.id} ${n.state}`).join(', ') : 'no NAT';
    return `  ${row.az.padEnd(width)}  ${state.padEnd(color ? 14 + 10 : 14)} ${nat} · ${via}`;
  });
}

/** 2. Why not: the failing checks (errors first), then what the NAT instances' console says. */
function whyLines(report, c) {
  const problems = (report.findings ?? []).filter((f) => f.severity === 'error' || f.severity === 'warning');
  const diagnosed = (report.diagnosis ?? []).filter((d) => d.problems?.length > 0);
  if (problems.length === 0 && diagnosed.length === 0) return [];
  const out = ['', c('bold', report.healthy ? 'Warnings' : 'Why')];
  for (const f of [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1))) {
    const mark = f.severity === 'error' ? c('red', '✗') : c('yellow', '!');
    out.push(`  ${mark} ${f.check}${f.az ? ` (${f.az})` : ''}: ${f.message}`);
  }
  for (const d of diagnosed) {
    for (const p of d.problems)
      out.push(`  ${c('red', '✗')} console of ${d.instanceId}${d.az ? ` (${d.az})` : ''}: ${p.kind}: ${p.line}`);
  }
  return out;
}

/** 3. The runbook's mitigation, as commands to paste (or where to look when none matches). */
function mitigationLines(report, c) {
  if (!report.advice) {
    if (report.healthy) return [];
    return ['', c('dim', 'No runbook mitigation matches these findings: see docs/runbook.md, "Troubleshooting".')];
  }
  const ids = report.advice.natInstances?.length ? report.advice.natInstances : ['<nat-instance-id>'];
  const region = report.region ? ` --region ${report.region}` : '';
  const out = ['', c('bold', 'Mitigation (runbook: load the nftables masquerade ruleset on each NAT instance)')];
  out.push(
    `  ${c('dim', '# confirm from the boot log (a missing nftables unit or masquerade rule = a bad AMI bake)')}`,
  );
  for (const id of ids) {
    out.push(
      `  aws ec2 get-console-output --instance-id ${id} --latest${region} --query 'Output' --output text` +
        ' | grep -iE "nftables|forward|fail|error"',
    );
  }
  out.push(`  ${c('dim', '# mitigate: on each NAT instance, over SSM Session Manager')}`);
  for (const id of ids) out.push(`  ${c('dim', `# ${id}`)}`, `  aws ssm start-session --target ${id}${region}`);
  out.push(`  ${c('dim', '# then, in each session:')}`);
  for (const l of String(report.advice.mitigation).split('\n')) out.push(`  ${l}`);
  out.push('', `${c('bold', 'Rollback lever:')} ${report.advice.rollback}`);
  return out;
}

/**
 * A cutover that ended before it produced a result (a bad input, terraform missing): failed, no step in its
 * timeline, no strategy decided. Its summary only repeats the error, which the failure line says.
 */
function stoppedBeforeResult(outputs) {
  if (outputs.result !== 'failed' || outputs.strategy) return false;
  try {
    return (JSON.parse(outputs.timeline ?? '{}').steps ?? []).length === 0;
  } catch {
    return false;
  }
}

/** The messages of verify-egress's report findings (its annotations say the same), or none. */
function egressFindingMessages(outputs) {
  try {
    return new Set((JSON.parse(outputs.report).findings ?? []).map((f) => f.message));
  } catch {
    return new Set();
  }
}

/**
 * Commands whose terminal view is drawn from their outputs, and what of their log the view already says:
 * `hidePlain` leaves the plain log lines out (plan-guard: a review, nothing to watch while it runs); `covers(a)`
 * is true for an annotation the view shows (plan-guard: every titled one, its findings and input notes, which the
 * findings and report outputs carry; verify-egress: a titled one whose message is a finding of its report). main
 * prints the others once: warnings and notes before the view, errors after it, the last error in the failure line.
 * `hold`: the annotation levels held (default all three; the others are printed as they come).
 * @type {Record<string, { hidePlain: boolean, hold?: string[],
 *   covers: (a: { level: string, message: string, title?: string }, outputs: Record<string, string>,
 *     summary?: string) => boolean }>}
 */
export const VIEWS = {
  'plan-guard': { hidePlain: true, covers: (a) => Boolean(a.title) },
  // cutover: its warnings and notes are said as they come (a run can take minutes); its errors are held, and the
  // ones its summary already says are not repeated (a run stopped by a bad input has no view: the failure line).
  cutover: {
    hidePlain: false,
    hold: ['error'],
    covers: (a, _outputs, summary = '') => summary.includes(a.message),
  },
  'verify-egress': {
    hidePlain: false,
    covers: (a, outputs) => Boolean(a.title) && egressFindingMessages(outputs).has(a.message),
  },
};

/**
 * @param {string} command
 * @param {{ code: number, outputs: Record<string, string>, summary: string }} run
 * @param {{ color: boolean, width: number, commentAsked?: boolean }} options
 * @returns {string}
 */
export function renderHuman(command, run, options) {
  const { color, width } = options;
  if (command === 'plan-guard')
    return renderPlanGuard(run.outputs, { color, width, commentAsked: Boolean(options.commentAsked) });
  const parts = [];
  if (command === 'verify-egress' && run.outputs.report) {
    let report;
    try {
      report = JSON.parse(run.outputs.report);
    } catch {
      parts.push(markdownForTerminal(run.summary, { color, width }));
    }
    // A run stopped before any check (a bad input) has no view: its failure line says why.
    if (report?.error && !Array.isArray(report.azs)) return '';
    if (report) parts.push(renderEgressReport(report, color));
  } else if (command === 'cutover' && stoppedBeforeResult(run.outputs)) {
    return '';
  } else if (run.summary.trim()) {
    parts.push(markdownForTerminal(run.summary, { color, width }));
  }
  const outputs = renderOutputs(run.outputs, color);
  if (outputs) parts.push(outputs);
  return parts.filter(Boolean).join('\n\n');
}
