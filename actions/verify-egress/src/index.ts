/**
 * verify-egress: proves private-subnet egress per AZ (NAT, routes, addresses, SSM probes, log freshness)
 * and diagnoses it when it fails. Thin entry: inputs → @nat-egress/shared/egress → outputs.
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
  ipListInput,
  listInput,
  regionInput,
  stringInput,
  tagsInput,
} from '@nat-egress/shared/inputs';
import { ActionFailure, describeError, runAction, systemClock } from '@nat-egress/shared/runtime';
import { buildReport, createEgressClients, renderMarkdown, reportJson, verifyEgress, type VerifyOptions } from '@nat-egress/shared/egress';
import { adviceJson, adviseMode, createAdvisorClients, readAdviseInputs, renderAdvice, type AdviseInputs } from '@nat-egress/shared/advisor';

const SIX_HOURS = 6 * 3_600_000;

function readOptions(): VerifyOptions {
  const input = (name: string) => core.getInput(name);
  const vpcId = stringInput('vpc-id', input('vpc-id'));
  const vpcName = stringInput('vpc-name', input('vpc-name'));
  if (vpcId && vpcName) throw new InputError('vpc-id: give vpc-id or vpc-name, not both');
  if (!vpcId && !vpcName) throw new InputError('vpc-id: is required (or give vpc-name, matched on the Name tag)');
  if (vpcId && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new InputError(`vpc-id: ${JSON.stringify(vpcId)} is not a VPC id (vpc-0123456789abcdef0)`);

  const probeInstanceIds = listInput('probe-instances', input('probe-instances'));
  for (const id of probeInstanceIds) {
    if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new InputError(`probe-instances: ${JSON.stringify(id)} is not an instance id (i-0123456789abcdef0)`);
  }
  const tags = tagsInput('probe-tag', input('probe-tag'));
  if (tags.length > 1) throw new InputError('probe-tag: give one Key=Value pair');
  if (tags.length === 1 && probeInstanceIds.length > 0) throw new InputError('probe-tag: give probe-instances or probe-tag, not both');
  const probe = enumInput('probe', input('probe'), ['auto', 'ssm', 'off'] as const, 'auto');
  if (probe === 'ssm' && probeInstanceIds.length === 0 && tags.length === 0) {
    throw new InputError('probe: ssm needs probe-instances or probe-tag (one private instance per AZ with the SSM agent)');
  }

  const probeUrl = stringInput('probe-url', input('probe-url'), 'https://checkip.amazonaws.com');
  let url: URL;
  try {
    url = new URL(probeUrl);
  } catch {
    throw new InputError(`probe-url: ${JSON.stringify(probeUrl)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(`probe-url: ${JSON.stringify(probeUrl)} must be an http(s) URL`);

  const maxLogSilenceMs = durationInput('max-log-silence', input('max-log-silence'), 15 * 60_000, { maxMs: 7 * 24 * 3_600_000 });
  if (maxLogSilenceMs <= 0) throw new InputError('max-log-silence: must be longer than 0');

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
    waitMs: durationInput('wait', input('wait'), 0, { maxMs: SIX_HOURS }),
    failOn: enumInput('fail-on', input('fail-on'), ['warning', 'error'] as const, 'error'),
  };
  if (vpcId) options.vpcId = vpcId;
  else options.vpcName = vpcName;
  if (tags[0]) options.probeTag = tags[0];
  return options;
}

/** The mode advice (advise: true): its markdown for the summary, or a warning; never changes the egress verdict. */
async function advise(inputs: AdviseInputs, options: VerifyOptions, vpcId: string): Promise<string> {
  try {
    const advice = await adviseMode(createAdvisorClients(options.region), systemClock, {
      region: options.region,
      vpcId,
      natNamePattern: options.natNamePattern,
      days: inputs.days,
      ...(inputs.instanceType ? { instanceType: inputs.instanceType } : {}),
    });
    const markdown = renderAdvice(advice);
    core.setOutput('advice', adviceJson(advice, markdown));
    core.info(`advice: ${advice.recommendation.label} (${advice.calls.cloudwatch} GetMetricData call(s), prices: ${advice.prices.source})`);
    return markdown;
  } catch (err) {
    const message = describeError(err);
    core.setOutput('advice', JSON.stringify({ error: message }));
    core.warning(`mode advice not produced: ${message}`, { title: 'verify-egress: advise' });
    return '';
  }
}

await runAction(async () => {
  const options = readOptions();
  const adviseInputs = readAdviseInputs((name) => core.getInput(name));
  const result = await verifyEgress(createEgressClients(options.region), systemClock, options, (line) => core.info(line));
  const report = buildReport(result);
  const markdown = renderMarkdown(report);

  const file = join(process.env.RUNNER_TEMP || tmpdir(), `verify-egress-${report.vpc.id}.md`);
  writeFileSync(file, `${markdown}\n`);
  core.setOutput('healthy', String(report.healthy));
  core.setOutput('egress-ips', JSON.stringify(report.egressIps));
  core.setOutput('report', reportJson(report));
  core.setOutput('report-file', file);
  const adviceMarkdown = adviseInputs.advise ? await advise(adviseInputs, options, report.vpc.id) : '';
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(adviceMarkdown ? `${markdown}\n\n${adviceMarkdown}` : markdown, true).write();

  for (const f of report.findings) {
    const title = `verify-egress: ${f.check}${f.az ? ` (${f.az})` : ''}`;
    if (f.severity === 'error') core.error(f.message, { title });
    else if (f.severity === 'warning') core.warning(f.message, { title });
  }
  const summary = `${report.counts.error} error(s), ${report.counts.warning} warning(s)`;
  if (!report.healthy) {
    throw new ActionFailure(`egress not healthy in ${report.vpc.id} (fail-on: ${report.failOn}): ${summary}; see the job summary`);
  }
  core.info(`egress healthy in ${report.vpc.id} (${report.expectQuiesced ? 'quiesced as expected' : `mode ${report.mode}`}; ${summary})`);
});
