/**
 * plan-guard: reads a Terraform plan, flags NAT egress risk, posts one sticky PR comment.
 * Thin entry: inputs → @nat-egress/shared/review (analysis, outputs, annotations, comment and summary texts) →
 * the runner (outputs, summary, annotations, comment, all through @nat-egress/shared/limits so nothing exceeds a
 * GitHub limit), under runtime's cancellation guard.
 *
 * Local use (no GitHub, no AWS): node dist/index.js --local <plan.json> [--environment NAME] [--fail-on LEVEL]
 * prints the report it would post.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_COMMENT_AUTHOR, pullRequestFromEnv, upsertStickyComment } from '@nat-egress/shared/github';
import { InputError, enumInput, envInputReader, stringInput, type InputReader } from '@nat-egress/shared/inputs';
import {
  SUMMARY_RESERVE_BYTES,
  StepAnnotations,
  StepOutputs,
  stepSummaryBytesUsed,
  writeStepSummary,
} from '@nat-egress/shared/limits';
import { info } from '@nat-egress/shared/report';
import { recipientsInput, sealPlanFile } from '@nat-egress/shared/seal';
import {
  LOCAL_HELP,
  SEVERITIES,
  amiCriteriaInputs,
  analysePlan,
  annotateFindings,
  commentOutcome,
  exitSummary,
  failureLine,
  localResultLine,
  parseLocalArgs,
  parsePatterns,
  planComment,
  renderReport,
  reportFileName,
  riskLine,
  setGuardOutputs,
  summaryBody,
  type GuardResult,
} from '@nat-egress/shared/review';
import {
  describeError,
  runGuardedAction,
  systemClock,
  type ExitInfo,
  type RunContext,
} from '@nat-egress/shared/runtime';

function readInputs(read: InputReader) {
  const inputs = {
    planJson: stringInput('plan-json', read('plan-json')),
    planfile: stringInput('planfile', read('planfile')),
    terraform: stringInput('terraform', read('terraform'), 'terraform'),
    workingDirectory: resolve(stringInput('working-directory', read('working-directory'), '.')),
    failOn: enumInput('fail-on', read('fail-on'), SEVERITIES, 'critical'),
    comment: enumInput('comment', read('comment'), ['auto', 'always', 'never'] as const, 'auto'),
    token: read('github-token'),
    environment: stringInput('environment', read('environment')),
    patterns: parsePatterns('nat-address-patterns', read('nat-address-patterns')),
    strategy: enumInput('strategy', read('strategy'), STRATEGIES, 'auto'),
    ami: amiCriteriaInputs(read),
    commentAuthor: stringInput('comment-author', read('comment-author'), DEFAULT_COMMENT_AUTHOR),
    sealRecipients: recipientsInput('seal-recipients', read('seal-recipients')),
  };
  if (inputs.sealRecipients.length > 0 && !inputs.planfile)
    throw new InputError('seal-recipients: needs planfile (the saved plan to seal; plan-json alone cannot be sealed)');
  if (inputs.sealRecipients.length > 0 && !inputs.environment)
    throw new InputError('seal-recipients: needs environment (a sealed plan is bound to its environment)');
  return inputs;
}

/** seal-recipients: the saved plan sealed for them (sealed-planfile, planfile-sha256); nothing otherwise. */
async function seal(inputs: ReturnType<typeof readInputs>, result: GuardResult, state: State): Promise<void> {
  if (inputs.sealRecipients.length === 0) return;
  const sealed = await sealPlanFile({
    planfile: resolve(inputs.workingDirectory, inputs.planfile),
    recipients: inputs.sealRecipients,
    environment: inputs.environment,
    planSha: result.planSha,
    tempDir: process.env.RUNNER_TEMP || tmpdir(),
  });
  state.outputs.set('sealed-planfile', sealed.path);
  state.outputs.set('planfile-sha256', sealed.planfileSha256);
  info(`Sealed the plan for ${inputs.sealRecipients.length} age recipient(s): ${sealed.path}`);
}

const STRATEGIES = ['auto', 'bridge', 'in-place'] as const;

function reportPath(environment: string): string {
  const dir = process.env.RUNNER_TEMP || tmpdir();
  mkdirSync(dir, { recursive: true });
  return join(dir, reportFileName(environment));
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
  await seal(inputs, result, state);
  const file = reportPath(inputs.environment);
  writeFileSync(file, renderReport(result.report));
  state.reportFile = file;
  setGuardOutputs(state.outputs, state.annotations, result, file);
  annotateFindings(state.annotations, result, inputs.failOn);
  await writeStepSummary(summaryBody(result, stepSummaryBytesUsed(), SUMMARY_RESERVE_BYTES), { reportFile: file });
  state.summaryWritten = true;
  state.outputs.set('comment-url', await comment(inputs, result, ctx.signal, state.annotations));
  info(riskLine(result));
  if (result.failed) throw new InputError(failureLine(result, inputs.failOn));
}

async function comment(
  inputs: ReturnType<typeof readInputs>,
  result: GuardResult,
  signal: AbortSignal,
  annotations: StepAnnotations,
): Promise<string> {
  const pr = inputs.comment === 'never' ? undefined : pullRequestFromEnv();
  const { plan, warning } = planComment(inputs.comment, pr, result, inputs.environment);
  if (warning) annotations.warning(warning);
  if (!plan || !pr) return '';
  const { marker, body, mode } = plan;
  const author = inputs.commentAuthor;
  const outcome = await upsertStickyComment({ token: inputs.token, pr, marker, body, mode, signal, author });
  const said = commentOutcome(outcome, plan.withRisk);
  if (said.info) info(said.info);
  if (said.warning) annotations.warning(said.warning);
  return said.url;
}

/** Every exit: `result`, and when the run stopped before its summary, a summary saying why and what to do. */
async function onExit(exit: ExitInfo, state: State): Promise<void> {
  state.annotations.finish(state.reportFile ? 'the job summary and report-file' : 'the step log');
  if (exit.kind === 'success') return;
  if (exit.kind === 'cancelled' || !state.result)
    state.outputs.set('result', exit.kind === 'cancelled' ? 'cancelled' : 'failed');
  if (state.summaryWritten) return;
  await writeStepSummary(exitSummary(exit, state.reportFile), state.reportFile ? { reportFile: state.reportFile } : {});
}

/** `--local <plan.json>`: print the report it would post; exit 1 when risk ≥ fail-on. */
async function runLocally(args: string[]): Promise<void> {
  try {
    const parsed = parseLocalArgs(args);
    if (parsed.help) {
      process.stdout.write(LOCAL_HELP);
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
      strategy: enumInput('strategy', opts.strategy ?? '', STRATEGIES, 'auto'),
      ami: amiCriteriaInputs((name) => opts[name] ?? ''),
      tempDir: tmpdir(),
    });
    process.stdout.write(renderReport(result.report));
    process.stderr.write(`\n${localResultLine(result)}\n`);
    if (result.failed) process.exitCode = 1;
  } catch (err) {
    process.stderr.write(`plan-guard: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}

/** `--help` without `--local`: the action itself takes no flags (a runner gives it inputs); one line to the help. */
const LOCAL_POINTER =
  'plan-guard: on a runner this action reads its inputs from the workflow and takes no flags; to review a plan ' +
  'here, see: node dist/index.js --local --help\n';

const local = process.argv.indexOf('--local');
if (local >= 0) await runLocally(process.argv.slice(local + 1));
else if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) process.stdout.write(LOCAL_POINTER);
else {
  const state: State = { outputs: new StepOutputs(), annotations: new StepAnnotations() };
  await runGuardedAction({
    clock: systemClock,
    describe: describeError,
    main: (ctx) => runOnRunner(ctx, state),
    onExit: (exit) => onExit(exit, state),
  });
}
