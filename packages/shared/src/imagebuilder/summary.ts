/**
 * The job summary: pipeline, image version, AMI, duration, the states timeline, and on failure what failed.
 * Every value from AWS goes through code()/escapeText().
 */
import { formatDuration, formatElapsed } from '../inputs/index';
import { code, escapeText, table } from '../report/index';
import type { FailureDetails } from './failure';
import type { BuildReport } from './types';

const MODE_TEXT: Record<string, string> = {
  lookup: 'looked up (build: false)',
  started: 'started by this run',
  attached: 'attached to a build already in progress',
  rerun: 'followed the build this client token had already started',
};

const HEADING: Record<string, string> = {
  success: '✅ usable AMI',
  failure: '❌ failed',
  cancelled: '⏹️ cancelled',
};

/**
 * The job summary of a run as markdown: heading, the facts table, notes, failure and what to do, the failed workflow
 * steps, the AMIs not used, and the states timeline. Written through limits' writeStepSummary (GitHub's 1 MiB).
 */
export function renderSummary(report: BuildReport): string {
  const lines: string[] = [`### Build NAT AMI: ${HEADING[report.outcome ?? ''] ?? '⏳ incomplete'}`, ''];
  lines.push(table(['', ''], factRows(report)), '');
  lines.push(...outcomeLines(report));
  lines.push(...failureDetailLines(report.failureDetails));
  if (report.rejections.length > 0) {
    lines.push('**AMIs not used**', '', ...report.rejections.map((r) => `- ${code(r)}`), '');
  }
  lines.push(...timelineLines(report));
  return lines.join('\n');
}

/** The facts table: pipeline, region, build mode, image, AMI, times, GetImage calls, client token. */
function factRows(report: BuildReport): string[][] {
  const ok = report.outcome === 'success';
  const rows: string[][] = [];
  if (report.pipeline) {
    rows.push(['Pipeline', `${code(report.pipeline.name, true)} (${escapeText(report.pipeline.status)})`]);
  } else if (report.pipelineRequested) {
    rows.push(['Pipeline', code(report.pipelineRequested, true)]);
  }
  rows.push(['Region', code(report.region, true)]);
  if (report.mode) rows.push(['Build', MODE_TEXT[report.mode] ?? escapeText(report.mode)]);
  if (report.imageVersion || report.imageArn) {
    const version = report.imageVersion ? code(report.imageVersion, true) : '';
    rows.push(['Image version', `${version}${report.imageArn ? ` ${code(report.imageArn, true)}` : ''}`.trim()]);
  }
  if (report.amiId) {
    const name = report.amiName ? ` ${code(report.amiName, true)}` : '';
    rows.push(['AMI', `${code(report.amiId, true)}${name}${ok ? '' : ' (not usable)'}`]);
  }
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
  return rows;
}

/** Notes, the failure, where the run stopped, and what to do. */
function outcomeLines(report: BuildReport): string[] {
  const lines: string[] = [];
  for (const note of report.notes) lines.push(`> [!WARNING]\n> ${escapeText(note)}`, '');
  if (report.failure)
    lines.push(`**${report.outcome === 'cancelled' ? 'Cancelled' : 'Failure'}:** ${escapeText(report.failure)}`, '');
  if (report.outcome !== 'success' && report.phase) lines.push(`**Stopped while:** ${escapeText(report.phase)}`, '');
  if (report.nextSteps.length > 0)
    lines.push('**What to do**', '', ...report.nextSteps.map((step) => `- ${escapeText(step)}`), '');
  return lines;
}

/** The failed workflow steps of a failed image, its log locations and notes. */
function failureDetailLines(d: FailureDetails | undefined): string[] {
  if (!d) return [];
  const lines: string[] = [];
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
  return lines;
}

/** The states the image went through: when each was seen, how long it lasted, and why. */
function timelineLines(report: BuildReport): string[] {
  if (report.timeline.length === 0) return [];
  const ok = report.outcome === 'success';
  const end = report.finishedAt ?? report.timeline.at(-1)?.at ?? report.startedAt;
  const rows = report.timeline.map((c, i) => {
    const next = report.timeline[i + 1];
    const last = i === report.timeline.length - 1;
    const inState = next ? formatDuration(next.at - c.at) : last && ok ? '' : formatDuration(end - c.at);
    return [
      code(c.state, true),
      escapeText(`+${formatElapsed(c.elapsedMs)}`),
      escapeText(inState),
      c.reason ? code(c.reason, true) : '',
    ];
  });
  return ['**States**', '', table(['State', 'Seen at (elapsed)', 'Time in state', 'Reason'], rows), ''];
}
