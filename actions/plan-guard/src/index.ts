/**
 * plan-guard: reads a Terraform plan, flags NAT egress risk, posts one sticky PR comment.
 * Thin entry: inputs → @nat-egress/shared/plan → outputs, summary, annotations, comment.
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
  COMMENT_LIMIT,
  SEVERITIES,
  analysePlan,
  commentMarker,
  parsePatterns,
  renderReport,
  renderReportWithin,
  resolvedComment,
  severityRank,
  type GuardResult,
} from '@nat-egress/shared/plan';
import { truncateLines } from '@nat-egress/shared/report';
import { describeError, runAction } from '@nat-egress/shared/runtime';

const SUMMARY_LIMIT = 1024 * 1024 - 4096; // GitHub: 1 MiB per step summary

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

async function runOnRunner(): Promise<void> {
  const inputs = readInputs(envInputReader());
  const tempDir = process.env.RUNNER_TEMP || tmpdir();
  const result = await analysePlan({ ...inputs, tempDir });
  const report = renderReport(result.report);
  const file = reportPath(inputs.environment);
  writeFileSync(file, report);

  core.setOutput('risk', result.risk);
  core.setOutput('findings', JSON.stringify(result.findings));
  core.setOutput('mode-switch', result.modeSwitch);
  core.setOutput('expected-applies', String(result.expectedApplies));
  core.setOutput('affected', JSON.stringify(result.affected));
  core.setOutput('plan-sha', result.planSha);
  core.setOutput('report-file', file);

  for (const f of result.findings) {
    const message = `${f.why} What to do: ${f.action} (${f.addresses.join(', ')})`;
    const props = { title: `NAT ${f.severity}: ${f.title}` };
    if (inputs.failOn !== 'none' && severityRank(f.severity) >= severityRank(inputs.failOn)) core.error(message, props);
    else if (severityRank(f.severity) >= severityRank('medium')) core.warning(message, props);
    else core.notice(message, props);
  }
  for (const w of [...result.report.warnings, ...result.report.documents.flatMap((d) => d.warnings)]) core.warning(w, { title: 'plan-guard input' });

  await core.summary
    .addRaw(truncateLines(report, SUMMARY_LIMIT, '\n> Shortened to fit the 1 MiB job summary limit; the full report is in report-file.'))
    .write();

  const url = await comment(inputs, result);
  core.setOutput('comment-url', url);
  core.info(`NAT egress risk: ${result.risk}; mode switch: ${result.modeSwitch}; expected applies: ${result.expectedApplies}; plan digest ${result.planSha}`);
  if (result.failed) {
    throw new InputError(`NAT egress risk is ${result.risk}, at or above fail-on (${inputs.failOn}): ${result.findings.filter((f) => severityRank(f.severity) >= severityRank(inputs.failOn)).length} finding(s), see the report`);
  }
}

async function comment(inputs: ReturnType<typeof readInputs>, result: GuardResult): Promise<string> {
  if (inputs.comment === 'never') return '';
  const pr = pullRequestFromEnv();
  if (!pr) {
    if (inputs.comment === 'always') core.warning('comment: always, but this run is not about a pull request: nothing to comment on');
    return '';
  }
  const isPrEvent = pr.eventName.startsWith('pull_request');
  if (inputs.comment === 'auto' && !isPrEvent) return '';
  const withRisk = result.risk !== 'none' || inputs.comment === 'always';
  const body = withRisk ? renderReportWithin(result.report, COMMENT_LIMIT).body : resolvedComment(inputs.environment, result.planSha);
  const outcome = await upsertStickyComment({
    token: inputs.token,
    pr,
    marker: commentMarker(inputs.environment),
    body,
    mode: withRisk ? 'upsert' : 'update-only',
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
      core.warning(`Could not comment on the pull request: ${outcome.message}`);
      return '';
  }
}

/** `--local <plan.json>`: print the report it would post; exit 1 when risk ≥ fail-on. */
async function runLocally(args: string[]): Promise<void> {
  const opts: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('--')) opts[a.slice(2)] = args[++i] ?? '';
    else rest.push(a);
  }
  try {
    if (rest.length !== 1) throw new InputError('usage: node dist/index.js --local <plan.json> [--environment NAME] [--fail-on none|low|medium|high|critical]');
    const result = await analysePlan({
      planJson: rest[0],
      terraform: 'terraform',
      workingDirectory: process.cwd(),
      failOn: enumInput('fail-on', opts['fail-on'] ?? '', SEVERITIES, 'critical'),
      environment: opts.environment ?? '',
      patterns: parsePatterns('nat-address-patterns', opts['nat-address-patterns'] ?? ''),
      tempDir: tmpdir(),
    });
    process.stdout.write(renderReport(result.report));
    process.stderr.write(`\nrisk=${result.risk} mode-switch=${result.modeSwitch} expected-applies=${result.expectedApplies} affected=${JSON.stringify(result.affected)} plan-sha=${result.planSha}\n`);
    if (result.failed) process.exitCode = 1;
  } catch (err) {
    process.stderr.write(`plan-guard: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}

const local = process.argv.indexOf('--local');
if (local >= 0) await runLocally(process.argv.slice(local + 1));
else await runAction(runOnRunner);
