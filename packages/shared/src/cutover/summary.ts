/**
 * The cutover's job summary: outcome, the timeline (each apply, the wait, the re-plans), the egress gap, and on
 * failure the errors and what to do. Every value from terraform or AWS goes through code()/escapeText().
 */
import { formatDuration } from '../inputs/index';
import { code, escapeText, table } from '../report/index';
import { bridgesSection } from './bridge-report';
import type { CutoverResult } from './run';

const HEADLINE: Record<CutoverResult['result'], string> = {
  applied: 'applied',
  converged: 'converged',
  unchanged: 'nothing to apply',
  recovered: 'recovered what an earlier run left',
  stale: 'STALE PLAN (plan and review again)',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

const STEP_LABEL: Record<string, string> = { check: 'preflight' };

function when(iso: string): string {
  return code(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), true);
}

/** The outcome table: result, applies, plan-sha, mode switch, how egress came back, the gap, the AMI. */
function overview(r: CutoverResult): string[] {
  const rows: string[][] = [
    ...(r.strategy
      ? [
          ['strategy', `${code(r.strategy, true)} — ${escapeText(r.strategyReason ?? '')}`],
          ['expected outage', escapeText(r.expectedOutage ?? '')],
        ]
      : []),
    ['result', code(r.result, true)],
    ['applies', String(r.applies)],
    ['plan-sha', code(r.planSha, true)],
    ['mode switch', code(r.modeSwitch, true)],
    ['applies expected', String(r.expectedApplies)],
  ];
  if (r.restore) {
    const how =
      r.restore.path === 'associate'
        ? 'cutover associated the Elastic IPs (AssociateAddress), then imported them'
        : r.restore.path === 'reapply'
          ? 'terraform re-applied'
          : 'not restored';
    rows.push(['restore', `${code(r.restore.mode, true)} — ${escapeText(how)}`]);
    if (r.restore.notApplicable) rows.push(['fast restore', escapeText(`did not apply: ${r.restore.notApplicable}`)]);
  }
  if (r.retriedBecause) rows.push(['retried because', escapeText(r.retriedBecause)]);
  const gap = r.timeline.egressGap;
  if (gap) {
    rows.push([
      'egress gap',
      gap.seconds !== undefined
        ? `${escapeText(formatDuration(gap.seconds * 1000))} — from ${code(gap.fromAddress, true)} ` +
          `to ${code(gap.toAddress ?? '', true)}`
        : `open since ${when(gap.from)} (${code(gap.fromAddress, true)}): egress not restored`,
    ]);
  }
  for (const g of r.egressGaps)
    rows.push([
      `egress gap, AZ ${code(g.az, true)}`,
      g.seconds === undefined
        ? `open since ${g.from ? when(g.from) : '?'}: egress not restored`
        : g.seconds === 0
          ? escapeText(`none seen (${g.routeChanges ?? 0} route change(s))`)
          : escapeText(formatDuration(g.seconds * 1000)) +
            (g.from && g.to ? ` — ${when(g.from)} to ${when(g.to)}` : ''),
    ]);
  if (r.ami) rows.push(['NAT AMI', code(r.ami, true)]);
  return [table(['', ''], rows), ''];
}

function timelineSection(r: CutoverResult): string[] {
  if (r.timeline.steps.length === 0) return [];
  const steps = [...r.timeline.steps].sort((a, b) => Date.parse(a.started) - Date.parse(b.started));
  const rows = steps.map((s) => [
    `${STEP_LABEL[s.step] ?? s.step}${s.n !== undefined ? ` ${s.n}` : ''}`,
    when(s.started),
    escapeText(formatDuration(s.seconds * 1000)),
    code(s.outcome, true),
    s.detail ? escapeText(s.detail) : '',
  ]);
  return ['### Timeline', '', table(['step', 'started (UTC)', 'took', 'outcome', 'detail'], rows), ''];
}

function waitsSection(r: CutoverResult): string[] {
  const waits = r.waits.length > 0 ? r.waits : r.wait ? [r.wait] : [];
  if (waits.length === 0) return [];
  const lines = ['### Waiting for the Elastic IPs', ''];
  for (const w of waits) {
    const throttled = w.throttled ? `, ${w.throttled} throttled` : '';
    lines.push(
      `- ${escapeText(w.message)}. ${w.polls} poll(s), ${w.ec2Calls} EC2 call(s)${throttled}, ` +
        `${escapeText(formatDuration(w.endedAt - w.startedAt))}.`,
    );
  }
  lines.push('');
  const gateways = new Map(waits.flatMap((w) => w.gateways).map((g) => [g.id, g]));
  if (gateways.size > 0) {
    const rows = [...gateways.values()].map((g) => [
      code(g.id, true),
      code(g.state, true),
      g.allocationIds.map((a) => code(a, true)).join(' '),
    ]);
    lines.push(table(['NAT gateway', 'last state', 'Elastic IPs'], rows), '');
  }
  return lines;
}

const seconds = (ms: number) => escapeText(`${(ms / 1000).toFixed(1)} s`);

function fastRestoreSection(r: CutoverResult): string[] {
  const timings = r.timeline.restore ?? [];
  if (timings.length === 0) return [];
  const rows = timings.map((t) => [
    code(t.address, true),
    code(t.allocationId, true),
    t.released ? when(t.released) : '',
    t.releaseToSentMs !== undefined ? seconds(t.releaseToSentMs) : '',
    t.releaseToAssociatedMs !== undefined ? seconds(t.releaseToAssociatedMs) : 'not associated',
  ]);
  const head = [
    'association',
    'Elastic IP',
    'released (UTC)',
    'release → AssociateAddress sent',
    'release → associated',
  ];
  return ['### Fast restore', '', table(head, rows), ''];
}

/** What earlier runs left (journal, AWS, lock) and what this run did about it. */
function recoverySection(r: CutoverResult): string[] {
  const rec = r.recovery;
  if (!rec || (rec.found.length + rec.done.length + rec.imported.length === 0 && !rec.lock)) return [];
  const lines = ['### Left by earlier runs', ''];
  for (const d of rec.done) lines.push(`- done: ${escapeText(d)}`);
  for (const i of rec.imported) lines.push(`- imported (left outside the state by an interrupted apply): ${code(i)}`);
  if (rec.lock && !rec.lock.released)
    lines.push(
      `- state lock ${code(rec.lock.id)} held by ${code(rec.lock.who)} since ${code(rec.lock.created)}: not released`,
    );
  for (const f of rec.found) lines.push(`- found: ${escapeText(f)}`);
  lines.push(
    '',
    `Journal: ${code(rec.journal)}${rec.durable ? '' : ' (not beside the state: lost with the runner)'}`,
    '',
  );
  return lines;
}

function errorsSection(r: CutoverResult): string[] {
  if (r.errors.length === 0) return [];
  const lines = ['### Errors', ''];
  for (const e of r.errors.slice(0, 20))
    lines.push(`- ${e.address ? `${code(e.address)}: ` : ''}${escapeText(e.summary.split('\n')[0] ?? '')}`);
  if (r.errors.length > 20) lines.push(`- … and ${r.errors.length - 20} more`);
  return [...lines, ''];
}

function unexpectedSection(r: CutoverResult): string[] {
  if (r.unexpected.length === 0) return [];
  const items = r.unexpected.slice(0, 50).map((u) => `- ${escapeText(u)}`);
  return ['### Changes in the re-plan that were not reviewed', '', ...items, ''];
}

function nextStepsSection(r: CutoverResult): string[] {
  if (r.nextSteps.length === 0) return [];
  // A numbered step stays numbered (indented under the item before it); the rest are bullets.
  const items = r.nextSteps.map((s) =>
    /^\d+\. /.test(s) ? `   ${escapeText(s).replace(/^(\d+)\\?\. /, '$1. ')}` : `- ${escapeText(s)}`,
  );
  return ['### What to do', '', ...items, ''];
}

/** The summary's sections after the headline, in order; a section with nothing to say is left out. */
const SECTIONS: ReadonlyArray<(r: CutoverResult) => string[]> = [
  overview,
  bridgesSection,
  timelineSection,
  waitsSection,
  fastRestoreSection,
  recoverySection,
  errorsSection,
  unexpectedSection,
  nextStepsSection,
  (r) => r.warnings.map((w) => `> ${escapeText(w)}`),
];

/** The job summary (GitHub-flavoured Markdown), headline first, ending in one newline. */
export function renderSummary(r: CutoverResult, environment = ''): string {
  const env = environment ? ` (${escapeText(environment)})` : '';
  const applies = `${r.applies} ${r.applies === 1 ? 'apply' : 'applies'}`;
  const lines = [`## cutover${env}: ${HEADLINE[r.result]}${r.result === 'unchanged' ? '' : ` after ${applies}`}`, ''];
  if (r.failure) lines.push(`> **${escapeText(r.failure)}**`, '');
  for (const section of SECTIONS) lines.push(...section(r));
  return `${lines.join('\n').trimEnd()}\n`;
}
