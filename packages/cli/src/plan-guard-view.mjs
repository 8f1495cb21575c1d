/**
 * plan-guard's terminal view, drawn from the action's structured outputs only — `risk`, `mode-switch`,
 * `expected-applies`, `affected`, `findings` (severity, kind, title, addresses, keys, azs, why, action, document),
 * `findings-omitted`, `report` (review/report-output.ts: documents, per-AZ-key changes, expected failures,
 * warnings), `plan-sha`, `report-file`, `comment-url`, `result`. Every verdict shown is the action's: nothing is
 * worked out again here. Layout: the verdict line, a compact findings table, the NAT per AZ key before → after,
 * each finding's why and what to do (wrapped), the input's notes, and the plan's facts.
 */
import { table, wrap } from './layout.mjs';
import { paint } from './style.mjs';

/** How each severity reads: its colour (on a colour terminal) and its label. */
const SEVERITY_STYLE = { critical: 'red', high: 'red', medium: 'yellow', low: 'cyan', none: 'green' };

function parseJson(text, fallback) {
  try {
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
}

const keyText = (k) => (k === '-' ? '(unindexed)' : k);

/** `0, 1 (us-east-1a, us-east-1b)`, or '—'. */
function keysCell(f) {
  const keys = (f.keys ?? []).map(keyText).join(', ');
  return f.azs?.length ? `${keys} (${f.azs.join(', ')})` : keys || '—';
}

/** The first address and how many more: one address per line, so a column never breaks an address. */
function resourcesCell(addresses) {
  if (!addresses?.length) return '—';
  return addresses.length === 1 ? addresses[0] : `${addresses[0]}\nand ${addresses.length - 1} more`;
}

function severityLabel(color, severity) {
  return paint(color, SEVERITY_STYLE[severity] ?? 'yellow', String(severity).toUpperCase());
}

function verdictLines(outputs, report, c, width) {
  const risk = outputs.risk;
  const mode = outputs['mode-switch'] && outputs['mode-switch'] !== 'none' ? outputs['mode-switch'] : 'none';
  const head = [
    `NAT egress risk: ${severityLabel(c.color, risk)}`,
    `mode switch ${mode.replace('-to-', ' → ')}`,
    `expected applies ${outputs['expected-applies'] ?? '1'}`,
  ];
  const bridged = outputs.strategy === 'bridge';
  // Bridged, each AZ's NAT step meets the address race on its own: the count is per step, not for one apply.
  if (bridged && Number(outputs['expected-applies'] ?? '1') > 1)
    head[2] = `up to ${outputs['expected-applies']} applies per AZ`;
  if (report?.environment) head.push(`environment ${report.environment}`);
  const lines = [c.bold(head.join(' · '))];
  const affected = parseJson(outputs.affected, []);
  const fact = (label, items) => {
    const text = wrap(items.join(', '), width, label.length + 1);
    lines.push(`${label} ${text[0]}`, ...text.slice(1));
  };
  if (affected.length)
    fact(bridged ? 'AZ keys switched behind a bridge:' : 'AZ keys losing egress:', affected.map(keyText));
  if (report?.strategyLine) fact('Strategy (cutover):', [report.strategyLine]);
  if (report?.expectedFailures?.length)
    fact(bridged ? "May fail in its AZ's NAT step:" : 'Expected to fail in apply 1:', report.expectedFailures);
  return lines;
}

function findingsTable(findings, report, c, width) {
  const docs = report?.documents ?? [];
  const rows = findings.map((f) => [
    severityLabel(c.color, f.severity),
    `${f.title}${docs.length > 1 && docs[f.document] ? ` (${docs[f.document].label})` : ''}`,
    keysCell(f),
    resourcesCell(f.addresses),
  ]);
  return table(['SEVERITY', 'FINDING', 'AZ / KEY', 'RESOURCES'], rows, { width, header: c.bold });
}

function azChangeLines(report, c, width) {
  const docs = report?.documents ?? [];
  const rows = docs.flatMap((d) =>
    (d.azChanges ?? []).map((a) => [
      `${keyText(a.key)}${docs.length > 1 ? ` (${d.label})` : ''}`,
      a.before.length ? a.before.join('\n') : 'none',
      a.after.length ? a.after.join('\n') : 'none',
    ]),
  );
  const omitted = docs.reduce((n, d) => n + (d.azChangesOmitted ?? 0), 0);
  if (rows.length === 0 && omitted === 0) return [];
  const lines = ['', c.bold('NAT per AZ key, before → after')];
  if (rows.length) lines.push(...table(['AZ KEY', 'BEFORE', 'AFTER'], rows, { width, header: c.dim }));
  if (omitted) lines.push(c.dim(`${omitted} more AZ key(s): see the markdown report (--report-dir keeps it)`));
  return lines;
}

/** Each finding: number, severity, title and kind, then Why / Do / AZ / key / Resources, wrapped and aligned. */
function detailLines(findings, c, width) {
  const out = [];
  const label = (name) => `   ${name.padEnd(10)} `;
  const field = (name, text) => {
    const lines = wrap(text, width, label(name).length);
    out.push(`${c.dim(label(name))}${lines[0]}`, ...lines.slice(1));
  };
  findings.forEach((f, i) => {
    out.push('', `${c.bold(`${i + 1}.`)} ${severityLabel(c.color, f.severity)}  ${c.bold(f.title)}  ${c.dim(f.kind)}`);
    field('Why', f.why);
    field('Do', f.action);
    field('AZ / key', keysCell(f));
    field('Resources', (f.addresses ?? []).join(', ') || '—');
  });
  return out;
}

function noteLines(report, outputs, c, width) {
  const notes = [...(report?.warnings ?? [])];
  const omitted = Number(outputs['findings-omitted'] ?? 0);
  if (omitted > 0)
    notes.push(
      `${omitted} more finding(s) are not in the findings output (GitHub's 1 MB of outputs per job): ` +
        'the markdown report has them all (--report-dir keeps it)',
    );
  if (!notes.length) return [];
  const lines = ['', c.bold('Notes')];
  for (const n of notes) {
    const wrapped = wrap(n, width, 4);
    lines.push(`  ${c.yellow('!')} ${wrapped[0]}`, ...wrapped.slice(1));
  }
  return lines;
}

function footerLines(outputs, report, c, options) {
  const docs = report?.documents ?? [];
  const facts = docs.map((d) => {
    const versions = [
      d.terraformVersion && `Terraform ${d.terraformVersion}`,
      d.formatVersion && `format ${d.formatVersion}`,
    ]
      .filter(Boolean)
      .join(', ');
    const label = docs.length > 1 ? `${d.label}: ` : '';
    const counts = `${d.totalChanges} resource change(s), ${d.natChanges} NAT-related`;
    return `${label}${counts}${versions ? ` (${versions})` : ''}`;
  });
  if (report?.source) facts.push(report.source);
  const lines = [''];
  if (facts.length) lines.push(...wrap(c.dim(facts.join(' · ')), options.width));
  const row = (name, text) => `${c.dim(name.padEnd(9))}${text}`;
  lines.push(row('plan-sha', outputs['plan-sha'] ?? ''));
  lines.push(row('report', outputs['report-file'] || c.dim('not kept (--report-dir DIR keeps the markdown report)')));
  lines.push(
    row(
      'comment',
      outputs['comment-url'] ||
        c.dim(options.commentAsked ? 'none posted' : 'not posted (--comment auto|always posts it)'),
    ),
  );
  return lines;
}

/**
 * @param {Record<string, string>} outputs  the action's outputs
 * @param {{ color: boolean, width: number, commentAsked: boolean }} options
 * @returns {string} the view ('' when the run stopped before its analysis: its error line says why)
 */
export function renderPlanGuard(outputs, options) {
  if (!outputs.risk) return '';
  const { color, width } = options;
  const c = {
    color,
    bold: (t) => paint(color, 'bold', t),
    dim: (t) => paint(color, 'dim', t),
    yellow: (t) => paint(color, 'yellow', t),
  };
  const report = parseJson(outputs.report, undefined);
  const findings = parseJson(outputs.findings, []);
  const lines = verdictLines(outputs, report, c, width);
  if (findings.length === 0) {
    lines.push(
      '',
      ...wrap(
        'No change in this plan touches NAT egress (NAT instances or gateways, their Elastic IPs, private default ' +
          'routes, NAT security groups, IAM or the AMI pipeline).',
        width,
      ),
    );
  } else {
    lines.push('', ...findingsTable(findings, report, c, width));
    lines.push(...azChangeLines(report, c, width));
    lines.push(...detailLines(findings, c, width));
  }
  lines.push(...noteLines(report, outputs, c, width));
  lines.push(...footerLines(outputs, report, c, options));
  return lines.join('\n');
}
