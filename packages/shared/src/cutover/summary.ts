/**
 * The cutover's job summary: outcome, the timeline (each apply, the wait, the re-plans), the egress gap, and on
 * failure the errors and what to do. Every value from terraform or AWS goes through code()/escapeText().
 */
import { formatDuration } from '../inputs/index';
import { code, escapeText, table } from '../report/index';
import type { CutoverResult } from './cutover';

const HEADLINE: Record<CutoverResult['result'], string> = {
  applied: 'applied',
  converged: 'converged',
  unchanged: 'nothing to apply',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
};

const STEP_LABEL: Record<string, string> = { check: 'preflight' };

function when(iso: string): string {
  return code(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), true);
}

export function renderSummary(r: CutoverResult, environment = ''): string {
  const lines: string[] = [];
  const env = environment ? ` (${escapeText(environment)})` : '';
  const applies = `${r.applies} ${r.applies === 1 ? 'apply' : 'applies'}`;
  lines.push(`## cutover${env}: ${HEADLINE[r.result]}${r.result === 'unchanged' ? '' : ` after ${applies}`}`);
  lines.push('');
  if (r.failure) lines.push(`> **${escapeText(r.failure)}**`, '');
  const rows: string[][] = [
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
        ? `${escapeText(formatDuration(gap.seconds * 1000))} — from ${code(gap.fromAddress, true)} to ${code(gap.toAddress ?? '', true)}`
        : `open since ${when(gap.from)} (${code(gap.fromAddress, true)}): egress not restored`,
    ]);
  }
  if (r.ami) rows.push(['NAT AMI', code(r.ami, true)]);
  lines.push(table(['', ''], rows), '');

  if (r.timeline.steps.length > 0) {
    lines.push('### Timeline', '');
    lines.push(
      table(
        ['step', 'started (UTC)', 'took', 'outcome', 'detail'],
        [...r.timeline.steps]
          .sort((a, b) => Date.parse(a.started) - Date.parse(b.started))
          .map((s) => [
            `${STEP_LABEL[s.step] ?? s.step}${s.n !== undefined ? ` ${s.n}` : ''}`,
            when(s.started),
            escapeText(formatDuration(s.seconds * 1000)),
            code(s.outcome, true),
            s.detail ? escapeText(s.detail) : '',
          ]),
      ),
      '',
    );
  }
  const waits = r.waits.length > 0 ? r.waits : r.wait ? [r.wait] : [];
  if (waits.length > 0) {
    lines.push('### Waiting for the Elastic IPs', '');
    for (const w of waits) {
      lines.push(
        `- ${escapeText(w.message)}. ${w.polls} poll(s), ${w.ec2Calls} EC2 call(s)${w.throttled ? `, ${w.throttled} throttled` : ''}, ${escapeText(formatDuration(w.endedAt - w.startedAt))}.`,
      );
    }
    lines.push('');
    const gateways = new Map(waits.flatMap((w) => w.gateways).map((g) => [g.id, g]));
    if (gateways.size > 0) {
      lines.push(
        table(
          ['NAT gateway', 'last state', 'Elastic IPs'],
          [...gateways.values()].map((g) => [
            code(g.id, true),
            code(g.state, true),
            g.allocationIds.map((a) => code(a, true)).join(' '),
          ]),
        ),
        '',
      );
    }
  }
  const timings = r.timeline.restore ?? [];
  if (timings.length > 0) {
    lines.push('### Fast restore', '');
    lines.push(
      table(
        ['association', 'Elastic IP', 'released (UTC)', 'release → AssociateAddress sent', 'release → associated'],
        timings.map((t) => [
          code(t.address, true),
          code(t.allocationId, true),
          t.released ? when(t.released) : '',
          t.releaseToSentMs !== undefined ? escapeText(`${(t.releaseToSentMs / 1000).toFixed(1)} s`) : '',
          t.releaseToAssociatedMs !== undefined
            ? escapeText(`${(t.releaseToAssociatedMs / 1000).toFixed(1)} s`)
            : 'not associated',
        ]),
      ),
      '',
    );
  }
  if (r.errors.length > 0) {
    lines.push('### Errors', '');
    for (const e of r.errors.slice(0, 20))
      lines.push(`- ${e.address ? `${code(e.address)}: ` : ''}${escapeText(e.summary.split('\n')[0] ?? '')}`);
    if (r.errors.length > 20) lines.push(`- … and ${r.errors.length - 20} more`);
    lines.push('');
  }
  if (r.unexpected.length > 0) {
    lines.push('### Changes in the re-plan that were not reviewed', '');
    for (const u of r.unexpected.slice(0, 50)) lines.push(`- ${escapeText(u)}`);
    lines.push('');
  }
  if (r.nextSteps.length > 0) {
    lines.push('### What to do', '');
    for (const s of r.nextSteps)
      lines.push(/^\d+\. /.test(s) ? `   ${escapeText(s).replace(/^(\d+)\\?\. /, '$1. ')}` : `- ${escapeText(s)}`);
    lines.push('');
  }
  for (const w of r.warnings) lines.push(`> ${escapeText(w)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}
