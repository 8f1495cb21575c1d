/**
 * The job summary: pipeline, image version, AMI, duration, the states timeline, and on failure what failed.
 * Every value from AWS goes through code()/escapeText().
 */
import { formatDuration, formatElapsed } from '../inputs/index';
import { code, escapeText, table } from '../report/index';
import type { BuildReport } from './build';

const MODE_TEXT: Record<string, string> = {
  lookup: 'looked up (build: false)',
  started: 'started by this run',
  attached: 'attached to a build already in progress',
  rerun: 'followed the build this client token had already started',
};

export function renderSummary(report: BuildReport): string {
  const ok = report.outcome === 'success';
  const lines: string[] = [];
  const heading = ok
    ? '✅ usable AMI'
    : report.outcome === 'failure'
      ? '❌ failed'
      : report.outcome === 'cancelled'
        ? '⏹️ cancelled'
        : '⏳ incomplete';
  lines.push(`### Build NAT AMI: ${heading}`, '');

  const rows: string[][] = [];
  if (report.pipeline) {
    rows.push(['Pipeline', `${code(report.pipeline.name, true)} (${escapeText(report.pipeline.status)})`]);
  } else if (report.pipelineRequested) {
    rows.push(['Pipeline', code(report.pipelineRequested, true)]);
  }
  rows.push(['Region', code(report.region, true)]);
  if (report.mode) rows.push(['Build', MODE_TEXT[report.mode] ?? escapeText(report.mode)]);
  if (report.imageVersion || report.imageArn) {
    rows.push([
      'Image version',
      `${report.imageVersion ? code(report.imageVersion, true) : ''}${report.imageArn ? ` ${code(report.imageArn, true)}` : ''}`.trim(),
    ]);
  }
  if (report.amiId)
    rows.push([
      'AMI',
      `${code(report.amiId, true)}${report.amiName ? ` ${code(report.amiName, true)}` : ''}${ok ? '' : ' (not usable)'}`,
    ]);
  if (report.buildSeconds !== undefined && ok)
    rows.push(['Build time', escapeText(formatDuration(report.buildSeconds * 1000))]);
  if (report.finishedAt !== undefined)
    rows.push(['Duration of this step', escapeText(formatDuration(report.finishedAt - report.startedAt))]);
  if (report.stats)
    rows.push([
      'GetImage calls',
      String(report.stats.getImageCalls) +
        (report.stats.transientErrors ? ` (${report.stats.transientErrors} transient errors tolerated)` : ''),
    ]);
  if (report.clientToken) rows.push(['Client token', code(report.clientToken, true)]);
  lines.push(table(['', ''], rows), '');

  for (const note of report.notes) lines.push(`> [!WARNING]\n> ${escapeText(note)}`, '');
  if (report.failure)
    lines.push(`**${report.outcome === 'cancelled' ? 'Cancelled' : 'Failure'}:** ${escapeText(report.failure)}`, '');
  if (!ok && report.phase) lines.push(`**Stopped while:** ${escapeText(report.phase)}`, '');
  if (report.nextSteps.length > 0)
    lines.push('**What to do**', '', ...report.nextSteps.map((step) => `- ${escapeText(step)}`), '');

  const d = report.failureDetails;
  if (d) {
    if (d.failedSteps.length > 0) {
      lines.push('**Failed workflow steps**', '');
      lines.push(
        table(
          ['Workflow', 'Step', 'Action', 'Message'],
          d.failedSteps.map((s) => [
            code(s.workflowType || '?', true),
            code(s.step, true),
            s.action ? code(s.action, true) : '',
            s.message ? code(s.message, true) : '',
          ]),
        ),
        '',
      );
    }
    if (d.logs.length > 0) lines.push(`**Logs:** ${d.logs.map((l) => code(l)).join(', ')}`, '');
    for (const n of d.notes) lines.push(`_${escapeText(n)}_`, '');
  }

  if (report.rejections.length > 0) {
    lines.push('**AMIs not used**', '', ...report.rejections.map((r) => `- ${code(r)}`), '');
  }

  if (report.timeline.length > 0) {
    lines.push('**States**', '');
    const end = report.finishedAt ?? report.timeline.at(-1)?.at ?? report.startedAt;
    lines.push(
      table(
        ['State', 'Seen at (elapsed)', 'Time in state', 'Reason'],
        report.timeline.map((c, i) => {
          const next = report.timeline[i + 1];
          const last = i === report.timeline.length - 1;
          const inState = next ? formatDuration(next.at - c.at) : last && ok ? '' : formatDuration(end - c.at);
          return [
            code(c.state, true),
            escapeText(`+${formatElapsed(c.elapsedMs)}`),
            escapeText(inState),
            c.reason ? code(c.reason, true) : '',
          ];
        }),
      ),
      '',
    );
  }
  // The action writes this through limits' writeStepSummary, which keeps it within GitHub's 1 MiB.
  return lines.join('\n');
}
