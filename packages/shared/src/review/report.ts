/**
 * The plan-guard report: one markdown document used for the sticky PR comment, the job summary and the
 * report file. Everything taken from the plan goes through code()/escapeText().
 */
import { fitItems, GITHUB_LIMITS, type GitHubLimit } from '../limits/index';
import { code, details, escapeText, table } from '../report/index';
import { appliesText } from './text';
import { severityRank, type Analysis, type Finding, type Severity } from './types';

export interface DocumentReport {
  label: string;
  analysis: Analysis;
  totalChanges: number;
  terraformVersion?: string;
  formatVersion?: string;
  warnings: string[];
}

export interface ReportInput {
  environment: string;
  risk: Severity;
  failOn: Severity;
  planSha: string;
  source: string;
  documents: DocumentReport[];
  warnings: string[];
  /** Where a shortened report goes, for its note ("a comment", "the job summary"). */
  shortenedFor?: string;
  /** What cutover will run and the outage to expect (nat/bridge-text.ts strategyLine), said first. */
  strategyLine?: string;
}

const MARKER_PREFIX = '<!-- nat-egress/plan-guard';

/** The hidden marker that identifies this action's sticky comment for one environment. */
export function commentMarker(environment: string): string {
  return `${MARKER_PREFIX} environment=${encodeURIComponent(environment || 'default')} -->`;
}

const ICON: Record<Severity, string> = { none: '✅', low: 'ℹ️', medium: '⚠️', high: '🛑', critical: '🚨' };

function listKeys(keys: string[], max: number): string {
  const head = keys.slice(0, max).map((k) => (k === '-' ? '(unindexed)' : code(k)));
  return keys.length > max ? `${head.join(', ')} and ${keys.length - max} more` : head.join(', ');
}

function keysText(keys: string[], azs: string[], inTable: boolean): string {
  const shownKeys = keys.map((k) => (k === '-' ? '(unindexed)' : code(k, inTable))).join(', ');
  return azs.length > 0 ? `${shownKeys} (${azs.map((a) => code(a, inTable)).join(', ')})` : shownKeys || '—';
}

function addressesText(addresses: string[], inTable: boolean, max = 4): string {
  if (addresses.length === 0) return '—';
  const head = addresses.slice(0, max).map((a) => code(a, inTable));
  return addresses.length > max ? `${head.join(', ')} and ${addresses.length - max} more` : head.join(', ');
}

function findingRows(findings: Array<Finding & { doc?: string }>): string[][] {
  return findings.map((f) => [
    `${ICON[f.severity]} ${f.severity.toUpperCase()}`,
    `${escapeText(f.title)}${f.doc ? ` (${escapeText(f.doc)})` : ''}`,
    keysText(f.keys, f.azs, true),
    addressesText(f.addresses, true),
  ]);
}

function findingDetail(f: Finding, n: number): string {
  return [
    `**${n}. ${f.severity.toUpperCase()} — ${escapeText(f.title)}** (${code(f.kind)})`,
    `- Why: ${escapeText(f.why)}`,
    `- Do: ${escapeText(f.action)}`,
    `- AZ / key: ${keysText(f.keys, f.azs, false)}`,
    `- Resources: ${f.addresses.map((a) => code(a)).join(', ') || '—'}`,
  ].join('\n');
}

/** What the report says about all documents together. */
interface ReportFacts {
  /** Every finding, with its document's label when there are several documents. */
  all: Array<Finding & { doc?: string }>;
  modeSwitch: string;
  applies: number;
  affected: string[];
}

function reportFacts(input: ReportInput): ReportFacts {
  const docs = input.documents;
  return {
    all: docs.flatMap((d) => d.analysis.findings.map((f) => ({ ...f, doc: docs.length > 1 ? d.label : undefined }))),
    modeSwitch: docs.map((d) => d.analysis.modeSwitch).find((m) => m !== 'none') ?? 'none',
    applies: Math.max(1, ...docs.map((d) => d.analysis.expectedApplies)),
    affected: [...new Set(docs.flatMap((d) => d.analysis.affected))],
  };
}

/** The sticky comment's marker, the machine-readable meta line and the headline. */
function headLines(input: ReportInput, facts: ReportFacts): string[] {
  const env = input.environment ? ` — ${escapeText(input.environment)}` : '';
  const meta = {
    risk: input.risk,
    modeSwitch: facts.modeSwitch,
    expectedApplies: facts.applies,
    affected: facts.affected.length,
    planSha: input.planSha,
  };
  return [
    commentMarker(input.environment),
    `<!-- nat-egress/plan-guard-meta ${JSON.stringify(meta).replace(/-->/g, '')} -->`,
    `### ${ICON[input.risk]} NAT egress risk: ${input.risk.toUpperCase()}${env}`,
    '',
  ];
}

/**
 * Mode switch · expected applies · keys losing egress (· expected failures), and the fail-on note. Bridged, the
 * applies and failures are per AZ NAT step (each step meets the race on its own), not one apply of the plan.
 */
function factLines(input: ReportInput, facts: ReportFacts): string[] {
  const { modeSwitch, applies, affected } = facts;
  const bridged = input.documents.some((d) => d.analysis.strategy === 'bridge');
  const parts = [
    `**Mode switch:** ${modeSwitch === 'none' ? 'none' : modeSwitch.replace('-to-', ' → ')}`,
    `**Expected applies:** ${appliesText(applies, bridged)}`,
    bridged
      ? `**AZs / keys switched behind a bridge:** ${affected.length > 0 ? listKeys(affected, 12) : 'none'}`
      : `**AZs / keys losing egress:** ${affected.length > 0 ? listKeys(affected, 12) : 'none'}`,
  ];
  const failures = [...new Set(input.documents.flatMap((d) => d.analysis.expectedFailures))];
  const failing = bridged
    ? "**May fail in its AZ's NAT step (restored behind its bridge):**"
    : '**Expected to fail in apply 1:**';
  if (failures.length > 0) parts.push(`${failing} ${addressesText(failures, false, 6)}`);
  const lines = [
    ...(input.strategyLine ? [`**Strategy (cutover):** ${escapeText(input.strategyLine)}`, ''] : []),
    parts.join(' · '),
  ];
  if (severityRank(input.risk) >= severityRank(input.failOn) && input.failOn !== 'none')
    lines.push('', `> This plan is at or above the \`fail-on\` threshold (${input.failOn}): the check fails.`);
  return lines;
}

/** The per-AZ-key before → after table, bounded (20 keys, 3 NATs a cell) so it never crowds the findings out. */
function azChangeLines(input: ReportInput): string[] {
  const docs = input.documents;
  const azChanges = docs.flatMap((d) =>
    d.analysis.azChanges.map((c) => ({ ...c, doc: docs.length > 1 ? d.label : undefined })),
  );
  if (azChanges.length === 0) return [];
  const max = 20;
  const cell = (nats: string[]) =>
    nats.length === 0
      ? 'none'
      : nats
          .slice(0, 3)
          .map((t) => escapeText(t))
          .join('<br>') + (nats.length > 3 ? `<br>and ${nats.length - 3} more` : '');
  const rows = azChanges
    .slice(0, max)
    .map((c) => [
      `${c.key === '-' ? '(unindexed)' : code(c.key, true)}${c.doc ? ` (${escapeText(c.doc)})` : ''}`,
      cell(c.before),
      cell(c.after),
    ]);
  const more = azChanges.length > max ? `\n\n${azChanges.length - max} more AZ key(s) not listed.` : '';
  return [
    details(
      `NAT per AZ key, before → after (${azChanges.length} changing)`,
      `${table(['AZ key', 'Before', 'After'], rows)}${more}`,
    ),
    '',
  ];
}

/** The findings: facts, table, per-AZ changes, details, and the note when some are left out. */
function findingLines(input: ReportInput, facts: ReportFacts, maxFindings: number): string[] {
  const listed = facts.all.slice(0, Math.max(0, maxFindings));
  const lines = [...factLines(input, facts), ''];
  lines.push(table(['Severity', 'Finding', 'AZ / key', 'Resources'], findingRows(listed)), '');
  lines.push(...azChangeLines(input));
  if (listed.length > 0)
    lines.push(
      details(
        `Why, and what to do (${listed.length} finding${listed.length === 1 ? '' : 's'})`,
        listed.map((f, i) => findingDetail(f, i + 1)).join('\n\n'),
      ),
    );
  if (listed.length < facts.all.length)
    lines.push(
      '',
      `> **Shortened:** ${facts.all.length - listed.length} more finding(s) are not shown here ` +
        `(GitHub's size limit for ${input.shortenedFor ?? 'this place'}). The full report is in the ` +
        '`report-file` output (a file on the runner: upload it with actions/upload-artifact to keep it).',
    );
  return lines;
}

/** Per document: its resource changes, NAT-related changes and versions; the digest and source; the notes. */
function footerLines(input: ReportInput): string[] {
  const multi = input.documents.length > 1;
  const docFacts = input.documents.map((d) => {
    const v = [
      d.terraformVersion ? `Terraform ${escapeText(d.terraformVersion)}` : '',
      d.formatVersion ? `format ${escapeText(d.formatVersion)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const label = multi ? `${escapeText(d.label)}: ` : '';
    return `${label}${d.totalChanges} resource change(s), ${d.analysis.natChanges} NAT-related${v ? ` (${v})` : ''}`;
  });
  const warnings = [
    ...input.warnings,
    ...input.documents.flatMap((d) => d.warnings.map((w) => (multi ? `${d.label}: ${w}` : w))),
  ];
  const lines = [
    '',
    `<sub>${docFacts.join(' · ')} · plan digest ${code(input.planSha.slice(0, 16))} · ${code(input.source)}</sub>`,
  ];
  if (warnings.length > 0) lines.push('', warnings.map((w) => `> Note: ${escapeText(w)}`).join('\n'));
  return lines;
}

const NOTHING_TOUCHED =
  'No change in this plan touches NAT egress (NAT instances or gateways, their Elastic IPs, private default ' +
  'routes, NAT security groups, IAM or the AMI pipeline).';

/**
 * Renders the report (markdown). `maxFindings` limits how many findings are listed (used to fit the comment
 * limit); the omitted ones are counted in a visible note.
 */
export function renderReport(input: ReportInput, maxFindings = Number.POSITIVE_INFINITY): string {
  const facts = reportFacts(input);
  const body = facts.all.length === 0 ? [NOTHING_TOUCHED] : findingLines(input, facts, maxFindings);
  return `${[...headLines(input, facts), ...body, ...footerLines(input)].join('\n')}\n`;
}

/**
 * The report shortened (fewest findings dropped) to fit `limit` (default GitHub's comment limit, counted in the
 * limit's own unit; pass `max` for a smaller budget).
 */
export function renderReportWithin(
  input: ReportInput,
  limit: GitHubLimit | number = GITHUB_LIMITS.commentBody,
  max?: number,
): { body: string; shortened: boolean } {
  const lim: GitHubLimit = typeof limit === 'number' ? { ...GITHUB_LIMITS.commentBody, max: limit } : limit;
  const total = input.documents.reduce((n, d) => n + d.analysis.findings.length, 0);
  const fitted = fitItems(
    total,
    (n) => renderReport(input, n),
    lim,
    "> **Shortened** to fit GitHub's size limit.",
    max ?? lim.max,
  );
  return { body: fitted.text, shortened: fitted.shortened };
}

/** The body that replaces a sticky comment when a later plan no longer touches NAT. */
export function resolvedComment(environment: string, planSha: string): string {
  const env = environment ? ` — ${escapeText(environment)}` : '';
  const meta = JSON.stringify({ risk: 'none', planSha });
  return (
    `${commentMarker(environment)}\n<!-- nat-egress/plan-guard-meta ${meta} -->\n### ✅ No NAT risk any more${env}\n\n` +
    `The latest plan (digest ${code(planSha.slice(0, 16))}) no longer touches NAT egress. ` +
    'Earlier findings on this pull request no longer apply.\n'
  );
}
