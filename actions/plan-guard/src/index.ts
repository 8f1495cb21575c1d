/**
 * plan-guard: reads a Terraform plan, flags NAT egress risk, posts one sticky PR comment.
 * Thin entry: inputs → @nat-egress/shared/plan → outputs, summary, annotations, comment (all through
 * @nat-egress/shared/limits, so nothing exceeds a GitHub limit), under runtime's cancellation guard.
 *
 * Local use (no GitHub, no AWS): node dist/index.js --local <plan.json> [--environment NAME] [--fail-on LEVEL]
 * prints the report it would post.
 */
import * as core from '@actions/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pullRequestFromEnv, upsertStickyComment } from '@nat-egress/shared/github';
import { InputError, enumInput, envInputReader, stringInput, type InputReader } from '@nat-egress/shared/inputs';
import {
  GITHUB_LIMITS,
  SUMMARY_RESERVE_BYTES,
  StepAnnotations,
  StepOutputs,
  fitJsonArray,
  fullReportHint,
  stepSummaryBytesUsed,
  writeStepSummary,
} from '@nat-egress/shared/limits';
import {
  SEVERITIES,
  analysePlan,
  commentMarker,
  parsePatterns,
  renderReport,
  renderReportWithin,
  resolvedComment,
  severityRank,
  type GuardResult,
} from '@nat-egress/shared/review';
import { code, escapeText } from '@nat-egress/shared/report';
import {
  describeError,
  runGuardedAction,
  systemClock,
  type ExitInfo,
  type RunContext,
} from '@nat-egress/shared/runtime';

function readInputs(read: InputReader) {
  return {
    planJson: stringInput('plan-json', read('plan-json')),
    planfile: stringInput('planfile', read('planfile')),
    terraform: stringInput('terraform', read('terraform'), 'terraform'),
    workingDirectory: resolve(stringInput('working-directory', read('working-directory'), '.')),
    failOn: enumInput('fail-on', read('fail-on'), SEVERITIES, 'critical'),
    comment: enumInput('comment', read('comment'), ['auto', 'always', 'never'] as const, 'auto'),
    token: read('github-token'),
    environment: stringInput('environment', read('environment')),
    patterns: parsePatterns('nat-address-patterns', read('nat-address-patterns')),
  };
}

function reportPath(environment: string): string {
  const dir = process.env.RUNNER_TEMP || tmpdir();
  mkdirSync(dir, { recursive: true });
  const safe = (environment || 'default').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return join(dir, `nat-plan-guard-${safe}.md`);
}

/** What the run got to, for the exit writer. */
interface State {
  result?: GuardResult;
  reportFile?: string;
  summaryWritten?: boolean;
  outputs: StepOutputs;
  annotations: StepAnnotations;
}

async function runOnRunner(ctx: RunContext, state: State): Promise<void> {
  const inputs = readInputs(envInputReader());
  const tempDir = process.env.RUNNER_TEMP || tmpdir();
  const result = await analysePlan({ ...inputs, tempDir, signal: ctx.signal });
  state.result = result;
  const file = reportPath(inputs.environment);
  writeFileSync(file, renderReport(result.report));
  state.reportFile = file;

  const out = state.outputs;
  out.set('risk', result.risk);
  out.set('mode-switch', result.modeSwitch);
  out.set('expected-applies', String(result.expectedApplies));
  out.set('plan-sha', result.planSha);
  out.set('report-file', file);
  out.set('result', result.failed ? 'failed' : 'success');
  out.set('affected', JSON.stringify(result.affected), (max) => fitJsonArray(result.affected, max).json);
  // Findings last: the largest; what does not fit the output budget is left out and counted in findings-omitted.
  const budget = out.budget - out.used - 200;
  const findings = fitJsonArray(result.findings, budget);
  out.set('findings', findings.json);
  out.set('findings-omitted', String(findings.omitted));
  if (findings.omitted > 0) {
    state.annotations.warning(
      `findings output: ${findings.omitted} of ${result.findings.length} findings left out to stay within GitHub's 1 MB of outputs per job; ${fullReportHint(file)}`,
    );
  }

  for (const f of result.findings) {
    const message = `${f.why} What to do: ${f.action} (${f.addresses.join(', ')})`;
    const props = { title: `NAT ${f.severity}: ${f.title}` };
    if (inputs.failOn !== 'none' && severityRank(f.severity) >= severityRank(inputs.failOn))
      state.annotations.error(message, props);
    else if (severityRank(f.severity) >= severityRank('medium')) state.annotations.warning(message, props);
    else state.annotations.notice(message, props);
  }
  for (const w of [...result.report.warnings, ...result.report.documents.flatMap((d) => d.warnings)])
    state.annotations.warning(w, { title: 'plan-guard input' });

  const used = stepSummaryBytesUsed();
  const summary = renderReportWithin(
    { ...result.report, shortenedFor: 'the job summary (1 MiB)' },
    GITHUB_LIMITS.stepSummary,
    GITHUB_LIMITS.stepSummary.max - SUMMARY_RESERVE_BYTES - used,
  );
  await writeStepSummary(summary.body, { reportFile: file });
  state.summaryWritten = true;

  const url = await comment(inputs, result, ctx.signal, state.annotations);
  out.set('comment-url', url);
  core.info(
    `NAT egress risk: ${result.risk}; mode switch: ${result.modeSwitch}; expected applies: ${result.expectedApplies}; plan digest ${result.planSha}`,
  );
  if (result.failed) {
    throw new InputError(
      `NAT egress risk is ${result.risk}, at or above fail-on (${inputs.failOn}): ${result.findings.filter((f) => severityRank(f.severity) >= severityRank(inputs.failOn)).length} finding(s), see the report`,
    );
  }
}

async function comment(
  inputs: ReturnType<typeof readInputs>,
  result: GuardResult,
  signal: AbortSignal,
  annotations: StepAnnotations,
): Promise<string> {
  if (inputs.comment === 'never') return '';
  const pr = pullRequestFromEnv();
  if (!pr) {
    if (inputs.comment === 'always')
      annotations.warning('comment: always, but this run is not about a pull request: nothing to comment on');
    return '';
  }
  const isPrEvent = pr.eventName.startsWith('pull_request');
  if (inputs.comment === 'auto' && !isPrEvent) return '';
  const withRisk = result.risk !== 'none' || inputs.comment === 'always';
  const body = withRisk
    ? renderReportWithin({ ...result.report, shortenedFor: 'a comment (65,536 characters)' }, GITHUB_LIMITS.commentBody)
        .body
    : resolvedComment(inputs.environment, result.planSha);
  const outcome = await upsertStickyComment({
    token: inputs.token,
    pr,
    marker: commentMarker(inputs.environment),
    body,
    mode: withRisk ? 'upsert' : 'update-only',
    signal,
  });
  switch (outcome.status) {
    case 'created':
    case 'updated':
    case 'unchanged':
      core.info(`Sticky comment ${outcome.status}: ${outcome.url}`);
      return outcome.url ?? '';
    case 'skipped':
      if (outcome.message && withRisk) core.info(`Comment skipped: ${outcome.message}`);
      return '';
    default:
      annotations.warning(`Could not comment on the pull request: ${outcome.message}`);
      return '';
  }
}

/** Every exit: `result`, and when the run stopped before its summary, a summary saying why and what to do. */
async function onExit(exit: ExitInfo, state: State): Promise<void> {
  state.annotations.finish(state.reportFile ? 'the job summary and report-file' : 'the step log');
  if (exit.kind === 'success') return;
  if (exit.kind === 'cancelled' || !state.result)
    state.outputs.set('result', exit.kind === 'cancelled' ? 'cancelled' : 'failed');
  if (state.summaryWritten) return;
  const what =
    exit.kind === 'cancelled'
      ? 'Re-run the job. plan-guard only reads the plan: nothing was changed.'
      : exit.cause === 'deadline'
        ? 'Re-run the job; if it happens again, check that the GitHub API is reachable from the runner.'
        : 'Fix what the line above names (an input or the plan file) and re-run. Nothing was changed.';
  const lines = [
    `### NAT egress plan guard: ${exit.kind === 'cancelled' ? '⏹️ cancelled' : '❌ failed'}`,
    '',
    `**${exit.kind === 'cancelled' ? 'Cancelled' : 'Failed'}:** ${escapeText(exit.message)}`,
    '',
    `**What to do:** ${escapeText(what)}`,
  ];
  if (state.reportFile) lines.push('', `Report file: ${code(state.reportFile)}`);
  await writeStepSummary(`${lines.join('\n')}\n`, state.reportFile ? { reportFile: state.reportFile } : {});
}

const HELP = `plan-guard --local: print the NAT egress report for a plan, without GitHub or AWS.

usage: node dist/index.js --local <plan.json> [options]

  <plan.json>                the output of \`terraform show -json <planfile>\`
  --environment NAME         environment name shown in the report
  --fail-on LEVEL            none|low|medium|high|critical (default critical): exit 1 at or above it
  --nat-address-patterns P   role=glob lines (as the action input)
  --help                     this text

Options take their value as --name VALUE or --name=VALUE.
`;

const LOCAL_OPTIONS = ['environment', 'fail-on', 'nat-address-patterns'] as const;

/** Parses `--local` arguments; throws InputError (one line) on an unknown or incomplete flag. */
function parseLocalArgs(args: string[]): { help: boolean; plan?: string; opts: Record<string, string> } {
  const opts: Record<string, string> = {};
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      const eq = a.indexOf('=');
      const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
      if (!(LOCAL_OPTIONS as readonly string[]).includes(name)) {
        throw new InputError(
          `unknown option ${eq >= 0 ? a.slice(0, eq) : a} (options: ${LOCAL_OPTIONS.map((o) => `--${o}`).join(', ')}, --help)`,
        );
      }
      let value: string | undefined;
      if (eq >= 0) value = a.slice(eq + 1);
      else {
        value = args[i + 1];
        if (value === undefined || value.startsWith('--'))
          throw new InputError(`--${name} needs a value (--${name} VALUE or --${name}=VALUE)`);
        i++;
      }
      opts[name] = value;
      continue;
    }
    rest.push(a);
  }
  if (help) return { help, opts };
  if (rest.length !== 1)
    throw new InputError(
      `${rest.length === 0 ? 'no plan file given' : `one plan file expected, got ${rest.length}`}; usage: node dist/index.js --local <plan.json> [--environment NAME] [--fail-on none|low|medium|high|critical] (--help for more)`,
    );
  return { help, plan: rest[0] as string, opts };
}

/** `--local <plan.json>`: print the report it would post; exit 1 when risk ≥ fail-on. */
async function runLocally(args: string[]): Promise<void> {
  try {
    const parsed = parseLocalArgs(args);
    if (parsed.help) {
      process.stdout.write(HELP);
      return;
    }
    const { opts } = parsed;
    const result = await analysePlan({
      planJson: parsed.plan as string,
      terraform: 'terraform',
      workingDirectory: process.cwd(),
      failOn: enumInput('fail-on', opts['fail-on'] ?? '', SEVERITIES, 'critical'),
      environment: opts.environment ?? '',
      patterns: parsePatterns('nat-address-patterns', opts['nat-address-patterns'] ?? ''),
      tempDir: tmpdir(),
    });
    process.stdout.write(renderReport(result.report));
    process.stderr.write(
      `\nrisk=${result.risk} mode-switch=${result.modeSwitch} expected-applies=${result.expectedApplies} affected=${JSON.stringify(result.affected)} plan-sha=${result.planSha}\n`,
    );
    if (result.failed) process.exitCode = 1;
  } catch (err) {
    process.stderr.write(`plan-guard: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}

const local = process.argv.indexOf('--local');
if (local >= 0) await runLocally(process.argv.slice(local + 1));
else {
  const state: State = { outputs: new StepOutputs(), annotations: new StepAnnotations() };
  await runGuardedAction({
    clock: systemClock,
    describe: describeError,
    main: (ctx) => runOnRunner(ctx, state),
    onExit: (exit) => onExit(exit, state),
  });
}
