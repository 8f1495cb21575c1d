/**
 * verify-egress: proves private-subnet egress per AZ (NAT, routes, addresses, SSM probes, log freshness)
 * and diagnoses it when it fails. Thin entry: inputs → @nat-egress/shared/egress → outputs, under runtime's guard:
 * SIGINT/SIGTERM end the run at once, `wait` and `timeout` are hard deadlines (calls in flight included), and every
 * exit writes `healthy` (false unless proven), `result` and the job summary with what to do.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import {
  InputError,
  boolInput,
  durationInput,
  enumInput,
  formatDuration,
  ipListInput,
  listInput,
  regionInput,
  stringInput,
  tagsInput,
} from '@nat-egress/shared/inputs';
import { StepAnnotations, StepOutputs, writeStepSummary } from '@nat-egress/shared/limits';
import { code, escapeText, info } from '@nat-egress/shared/report';
import {
  ActionFailure,
  actionProgress,
  describeError,
  runGuardedAction,
  systemClock,
  type ExitInfo,
} from '@nat-egress/shared/runtime';
import {
  DEFAULT_CHECK_BUDGET_MS,
  buildReport,
  createEgressClients,
  renderMarkdown,
  reportJson,
  verifyEgress,
  type VerifyOptions,
} from '@nat-egress/shared/egress';
import {
  adviceJson,
  adviseMode,
  createAdvisorClients,
  readAdviseInputs,
  renderAdvice,
  type Advice,
  type AdviseInputs,
} from '@nat-egress/shared/advisor';

const SIX_HOURS = 6 * 3_600_000;

function readOptions(): VerifyOptions {
  const input = (name: string) => core.getInput(name);
  const vpcId = stringInput('vpc-id', input('vpc-id'));
  const vpcName = stringInput('vpc-name', input('vpc-name'));
  if (vpcId && vpcName) throw new InputError('vpc-id: give vpc-id or vpc-name, not both');
  if (!vpcId && !vpcName) throw new InputError('vpc-id: is required (or give vpc-name, matched on the Name tag)');
  if (vpcId && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId))
    throw new InputError(`vpc-id: ${JSON.stringify(vpcId)} is not a VPC id (vpc-0123456789abcdef0)`);

  const probeInstanceIds = listInput('probe-instances', input('probe-instances'));
  for (const id of probeInstanceIds) {
    if (!/^i-[0-9a-f]{8,17}$/.test(id))
      throw new InputError(`probe-instances: ${JSON.stringify(id)} is not an instance id (i-0123456789abcdef0)`);
  }
  const tags = tagsInput('probe-tag', input('probe-tag'));
  if (tags.length > 1) throw new InputError('probe-tag: give one Key=Value pair');
  if (tags.length === 1 && probeInstanceIds.length > 0)
    throw new InputError('probe-tag: give probe-instances or probe-tag, not both');
  const probe = enumInput('probe', input('probe'), ['auto', 'ssm', 'off'] as const, 'auto');
  if (probe === 'ssm' && probeInstanceIds.length === 0 && tags.length === 0) {
    throw new InputError(
      'probe: ssm needs probe-instances or probe-tag (one private instance per AZ with the SSM agent)',
    );
  }

  const probeUrl = stringInput('probe-url', input('probe-url'), 'https://checkip.amazonaws.com');
  let url: URL;
  try {
    url = new URL(probeUrl);
  } catch {
    throw new InputError(`probe-url: ${JSON.stringify(probeUrl)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InputError(`probe-url: ${JSON.stringify(probeUrl)} must be an http(s) URL`);

  const maxLogSilenceMs = durationInput('max-log-silence', input('max-log-silence'), 15 * 60_000, {
    maxMs: 7 * 24 * 3_600_000,
  });
  if (maxLogSilenceMs <= 0) throw new InputError('max-log-silence: must be longer than 0');

  const waitMs = durationInput('wait', input('wait'), 0, { maxMs: SIX_HOURS });
  const timeoutMs = durationInput('timeout', input('timeout'), waitMs + DEFAULT_CHECK_BUDGET_MS, {
    maxMs: SIX_HOURS + DEFAULT_CHECK_BUDGET_MS,
  });
  if (timeoutMs < 1000) throw new InputError(`timeout: ${input('timeout')} is too short (at least 1s)`);
  if (timeoutMs < waitMs)
    throw new InputError(
      `timeout: ${formatDuration(timeoutMs)} is shorter than wait (${formatDuration(waitMs)}); ` +
        'give a timeout of at least the wait',
    );

  const options: VerifyOptions = {
    region: regionInput('region', input('region')),
    mode: enumInput('mode', input('mode'), ['auto', 'instance', 'gateway'] as const, 'auto'),
    natNamePattern: stringInput('nat-name-pattern', input('nat-name-pattern'), 'cabal-nat-*'),
    expectedIps: ipListInput('expected-ips', input('expected-ips')),
    probe,
    probeInstanceIds,
    probeUrl: url.toString(),
    logGroups: listInput('log-groups', input('log-groups')),
    maxLogSilenceMs,
    expectQuiesced: boolInput('expect-quiesced', input('expect-quiesced'), false),
    waitMs,
    timeoutMs,
    failOn: enumInput('fail-on', input('fail-on'), ['warning', 'error'] as const, 'error'),
  };
  if (vpcId) options.vpcId = vpcId;
  else options.vpcName = vpcName;
  if (tags[0]) options.probeTag = tags[0];
  return options;
}

/** Longest the mode advice (advise: true) may take after the verdict; past it the advice is dropped with a warning. */
const ADVICE_BUDGET_MS = 180_000;

const annotations = new StepAnnotations();
const outputs = new StepOutputs();
const state: { options?: VerifyOptions; progress: { phase: string }; done: boolean; reportFile?: string } = {
  progress: { phase: '' },
  done: false,
};

function reportFileFor(vpc: string): string {
  return join(process.env.RUNNER_TEMP || tmpdir(), `verify-egress-${vpc.replace(/[^A-Za-z0-9._-]+/g, '_')}.md`);
}

/**
 * Every exit before a verdict: healthy=false, result, and a report + summary saying where it stopped and what to do.
 */
async function onExit(exit: ExitInfo): Promise<void> {
  annotations.finish(state.reportFile ? 'the job summary and report-file' : 'the job summary');
  if (state.done) return;
  const kind = exit.kind === 'cancelled' ? 'cancelled' : 'failed';
  const o = state.options;
  const where = state.progress.phase ? ` while ${state.progress.phase}` : '';
  const steps =
    exit.kind === 'cancelled'
      ? ['Nothing was changed: verify-egress only reads. Re-run the job to get a verdict.']
      : !o
        ? ['Fix the input named above and re-run.']
        : [
            `Egress was not proven (${escapeText(exit.message)}). If an AWS call did not answer, check that the ` +
              `runner reaches the EC2, SSM and CloudWatch Logs endpoints of ${o.region} ` +
              '(proxy, VPC endpoints, AWS_ENDPOINT_URL), then re-run.',
            'If egress is down in production, the runbook applies: ' +
              'see the verify-egress README (mitigation, rollback lever).',
          ];
  const vpc = o?.vpcId ?? o?.vpcName ?? '';
  const md = [
    `## ${exit.kind === 'cancelled' ? '⏹️' : '❌'} verify-egress${vpc ? `: ${code(vpc)}` : ''} — ` +
      `${kind}, egress NOT proven`,
    '',
    `**${exit.kind === 'cancelled' ? 'Cancelled' : 'Failed'}${escapeText(where)}:** ${escapeText(exit.message)}`,
    '',
    '**What to do**',
    '',
    ...steps.map((s) => `- ${s}`),
    '',
  ].join('\n');
  const file = reportFileFor(vpc || 'unknown');
  try {
    writeFileSync(file, `${md}\n`);
    outputs.set('report-file', file);
  } catch {
    // The summary below still says what happened.
  }
  outputs.set('healthy', 'false');
  outputs.set('result', kind);
  outputs.set('egress-ips', '{}');
  outputs.set(
    'report',
    JSON.stringify({ version: 1, healthy: false, result: kind, error: exit.message, phase: state.progress.phase }),
  );
  await writeStepSummary(md, { reportFile: file });
}

/**
 * The mode advice (advise: true): sets `advice` and returns its markdown, or warns and returns ''. Never changes the
 * egress verdict; bounded by ADVICE_BUDGET_MS and the run's cancellation.
 */
async function advise(
  inputs: AdviseInputs,
  options: VerifyOptions,
  vpcId: string,
  signal: AbortSignal,
): Promise<string> {
  try {
    const advice = await adviseMode(
      createAdvisorClients(options.region, AbortSignal.any([signal, AbortSignal.timeout(ADVICE_BUDGET_MS)])),
      systemClock,
      {
        region: options.region,
        vpcId,
        natNamePattern: options.natNamePattern,
        days: inputs.days,
        ...(inputs.instanceType ? { instanceType: inputs.instanceType } : {}),
      },
    );
    const markdown = renderAdvice(advice);
    const lean = (a: Advice) => JSON.stringify({ ...a, traffic: { ...a.traffic, perNat: [] } });
    outputs.set('advice', adviceJson(advice, markdown), (max) =>
      lean(advice).length * 2 <= max
        ? lean(advice)
        : JSON.stringify({ error: 'advice too large for the step outputs: see the job summary' }),
    );
    info(
      `advice: ${advice.recommendation.label} ` +
        `(${advice.calls.cloudwatch} GetMetricData call(s), prices: ${advice.prices.source})`,
    );
    return markdown;
  } catch (err) {
    const message = describeError(err);
    outputs.set('advice', JSON.stringify({ error: message }));
    annotations.warning(`mode advice not produced: ${message}`, { title: 'verify-egress: advise' });
    return '';
  }
}

await runGuardedAction({
  clock: systemClock,
  describe: describeError,
  onExit,
  main: async (ctx) => {
    const options = readOptions();
    const adviseInputs = readAdviseInputs((name) => core.getInput(name));
    state.options = options;
    const timeoutMs = options.timeoutMs as number;
    // verifyEgress enforces `wait` and `timeout` itself; this is the backstop should anything not let go.
    ctx.setDeadline(timeoutMs + 5_000, `timeout ${formatDuration(timeoutMs)}`);
    const result = await verifyEgress(
      createEgressClients(options.region),
      systemClock,
      { ...options, signal: ctx.signal, progress: state.progress },
      info,
      // The wait's re-checks and per-AZ states: its log lines, and the nat-egress CLI's status line.
      actionProgress(info),
    );
    const report = buildReport(result);
    const markdown = renderMarkdown(report);

    const file = reportFileFor(report.vpc.id);
    writeFileSync(file, `${markdown}\n`);
    state.reportFile = file;
    outputs.set('healthy', String(report.healthy));
    outputs.set('result', report.healthy ? 'success' : 'failed');
    outputs.set('report-file', file);
    outputs.set('egress-ips', JSON.stringify(report.egressIps));
    outputs.set('report', reportJson(report), (max) => reportJson(report, Math.floor(max / 2)));
    state.done = true;
    await writeStepSummary(markdown, { reportFile: file });
    if (adviseInputs.advise) {
      ctx.setDeadline(ADVICE_BUDGET_MS + 10_000, `advice budget ${formatDuration(ADVICE_BUDGET_MS)}`);
      const adviceMarkdown = await advise(adviseInputs, options, report.vpc.id, ctx.signal);
      if (adviceMarkdown) await writeStepSummary(adviceMarkdown);
    }

    for (const f of report.findings) {
      const title = `verify-egress: ${f.check}${f.az ? ` (${f.az})` : ''}`;
      if (f.severity === 'error') annotations.error(f.message, { title });
      else if (f.severity === 'warning') annotations.warning(f.message, { title });
    }
    const summary = `${report.counts.error} error(s), ${report.counts.warning} warning(s)`;
    if (!report.healthy) {
      throw new ActionFailure(
        `egress not healthy in ${report.vpc.id} (fail-on: ${report.failOn}): ${summary}; see the job summary`,
      );
    }
    info(
      `egress healthy in ${report.vpc.id} ` +
        `(${report.expectQuiesced ? 'quiesced as expected' : `mode ${report.mode}`}; ${summary})`,
    );
  },
});
