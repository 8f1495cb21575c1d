/**
 * What plan-guard publishes from its result, as data and text for the action entry to write: the step outputs
 * and annotations (through limits/, so nothing exceeds a GitHub limit), the report file's name, the log and
 * failure lines, whether and what to comment, and the summary of a run that ended early. No @actions/core here.
 */
import type { PullRequestContext, StickyResult } from '../github/index';
import {
  GITHUB_LIMITS,
  fitJsonArray,
  fullReportHint,
  utf16Bytes,
  type StepAnnotations,
  type StepOutputs,
} from '../limits/index';
import { code, escapeText } from '../report/index';
import type { ExitInfo } from '../runtime/index';
import type { GuardResult } from './guard';
import { commentMarker, renderReportWithin, resolvedComment } from './report';
import { REPORT_OUTPUT_MAX_BYTES, reportOutput } from './report-output';
import { appliesText } from './text';
import { severityRank, type Severity } from './types';

/** The report file's name for an environment: `nat-plan-guard-<environment, file-name-safe, ≤ 60 chars>.md`. */
export function reportFileName(environment: string): string {
  const safe = (environment || 'default').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return `nat-plan-guard-${safe}.md`;
}

/**
 * Sets the action's outputs (risk, mode-switch, expected-applies, plan-sha, report-file, result, affected, then
 * findings and findings-omitted: the largest, cut to what fits the outputs budget beside the bounded `report`
 * (review/report-output.ts), set last) and warns when findings were left out.
 */
export function setGuardOutputs(
  out: StepOutputs,
  annotations: StepAnnotations,
  result: GuardResult,
  reportFile: string,
): void {
  out.set('risk', result.risk);
  out.set('mode-switch', result.modeSwitch);
  out.set('expected-applies', String(result.expectedApplies));
  out.set('strategy', result.strategy);
  out.set('plan-sha', result.planSha);
  out.set('report-file', reportFile);
  out.set('result', result.failed ? 'failed' : 'success');
  out.set('affected', JSON.stringify(result.affected), (max) => fitJsonArray(result.affected, max).json);
  const room = out.budget - out.used - 200;
  // The report's facts take at most a quarter of what is left (64 KiB of the 1 MB): the findings come first.
  const report = reportOutput(result, Math.min(REPORT_OUTPUT_MAX_BYTES, Math.floor(room / 4)));
  const budget = room - utf16Bytes(report) - utf16Bytes('report');
  const findings = fitJsonArray(result.findings, budget);
  out.set('findings', findings.json);
  out.set('findings-omitted', String(findings.omitted));
  out.set('report', report);
  if (findings.omitted > 0)
    annotations.warning(
      `findings output: ${findings.omitted} of ${result.findings.length} findings left out to stay within ` +
        `GitHub's 1 MB of outputs per job; ${fullReportHint(reportFile)}`,
    );
}

/**
 * One annotation per finding (error at or above fail-on, warning from medium, else notice), then one warning
 * per input warning of the plan.
 */
export function annotateFindings(annotations: StepAnnotations, result: GuardResult, failOn: Severity): void {
  for (const f of result.findings) {
    const message = `${f.why} What to do: ${f.action} (${f.addresses.join(', ')})`;
    const props = { title: `NAT ${f.severity}: ${f.title}` };
    if (failOn !== 'none' && severityRank(f.severity) >= severityRank(failOn)) annotations.error(message, props);
    else if (severityRank(f.severity) >= severityRank('medium')) annotations.warning(message, props);
    else annotations.notice(message, props);
  }
  for (const w of [...result.report.warnings, ...result.report.documents.flatMap((d) => d.warnings)])
    annotations.warning(w, { title: 'plan-guard input' });
}

/** The job summary: the report shortened to what is left of the 1 MiB (`used` bytes are taken already). */
export function summaryBody(result: GuardResult, used: number, reserve: number): string {
  return renderReportWithin(
    { ...result.report, shortenedFor: 'the job summary (1 MiB)' },
    GITHUB_LIMITS.stepSummary,
    GITHUB_LIMITS.stepSummary.max - reserve - used,
  ).body;
}

/** The log line of a finished analysis. */
export function riskLine(result: GuardResult): string {
  const applies = appliesText(result.expectedApplies, result.strategy === 'bridge');
  return (
    `NAT egress risk: ${result.risk}; mode switch: ${result.modeSwitch}; ` +
    `expected applies: ${applies}; plan digest ${result.planSha}`
  );
}

/** The step's failure line when the risk is at or above fail-on. */
export function failureLine(result: GuardResult, failOn: Severity): string {
  const count = result.findings.filter((f) => severityRank(f.severity) >= severityRank(failOn)).length;
  return `NAT egress risk is ${result.risk}, at or above fail-on (${failOn}): ${count} finding(s), see the report`;
}

/** The `comment` input. */
export type CommentSetting = 'auto' | 'always' | 'never';

/** What to post: the sticky comment's marker and body, and whether a missing comment is created. */
export interface CommentPlan {
  marker: string;
  body: string;
  mode: 'upsert' | 'update-only';
  withRisk: boolean;
}

/**
 * Whether and what to comment: never with comment=never or without a pull request (with a warning when
 * comment=always), not outside pull_request* events with comment=auto; the report (shortened to the comment
 * limit) when there is risk or comment=always, else the "no NAT risk any more" body, updating only.
 */
export function planComment(
  setting: CommentSetting,
  pr: PullRequestContext | undefined,
  result: GuardResult,
  environment: string,
): { plan?: CommentPlan; warning?: string } {
  if (setting === 'never') return {};
  if (!pr)
    return setting === 'always'
      ? { warning: 'comment: always, but this run is not about a pull request: nothing to comment on' }
      : {};
  if (setting === 'auto' && !pr.eventName.startsWith('pull_request')) return {};
  const withRisk = result.risk !== 'none' || setting === 'always';
  const body = withRisk
    ? renderReportWithin({ ...result.report, shortenedFor: 'a comment (65,536 characters)' }, GITHUB_LIMITS.commentBody)
        .body
    : resolvedComment(environment, result.planSha);
  return { plan: { marker: commentMarker(environment), body, mode: withRisk ? 'upsert' : 'update-only', withRisk } };
}

/** The comment-url output and the line to log (info) or annotate (warning) for a sticky comment's outcome. */
export function commentOutcome(
  outcome: StickyResult,
  withRisk: boolean,
): { url: string; info?: string; warning?: string } {
  const said = commentStatus(outcome, withRisk);
  const ignored = outcome.ignored;
  if (!ignored) return said;
  const foreign =
    `ignored ${ignored.count} comment(s) carrying plan-guard's marker written by someone else ` +
    `(${ignored.authors.join(', ')}): only the token's own comment is plan-guard's`;
  return { ...said, warning: said.warning ? `${said.warning}; ${foreign}` : `Sticky comment: ${foreign}` };
}

function commentStatus(outcome: StickyResult, withRisk: boolean): { url: string; info?: string; warning?: string } {
  switch (outcome.status) {
    case 'created':
    case 'updated':
    case 'unchanged':
      return { url: outcome.url ?? '', info: `Sticky comment ${outcome.status}: ${outcome.url}` };
    case 'skipped':
      return outcome.message && withRisk ? { url: '', info: `Comment skipped: ${outcome.message}` } : { url: '' };
    default:
      return { url: '', warning: `Could not comment on the pull request: ${outcome.message}` };
  }
}

/** The job summary of a run that stopped before writing its own: why, and what to do. */
export function exitSummary(exit: ExitInfo, reportFile: string | undefined): string {
  const cancelled = exit.kind === 'cancelled';
  const what = cancelled
    ? 'Re-run the job. plan-guard only reads the plan: nothing was changed.'
    : exit.cause === 'deadline'
      ? 'Re-run the job; if it happens again, check that the GitHub API is reachable from the runner.'
      : 'Fix what the line above names (an input or the plan file) and re-run. Nothing was changed.';
  const lines = [
    `### NAT egress plan guard: ${cancelled ? '⏹️ cancelled' : '❌ failed'}`,
    '',
    `**${cancelled ? 'Cancelled' : 'Failed'}:** ${escapeText(exit.message)}`,
    '',
    `**What to do:** ${escapeText(what)}`,
  ];
  if (reportFile) lines.push('', `Report file: ${code(reportFile)}`);
  return `${lines.join('\n')}\n`;
}
