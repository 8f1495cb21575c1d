/**
 * cutover: applies the reviewed saved plan and survives the gateway→instance Elastic IP race.
 * Thin entry: inputs → @nat-egress/shared/terraform (runCutover) → outputs, job summary, annotations.
 * SIGINT/SIGTERM from the runner interrupt terraform once (SIGINT) and wait for it to save state.
 */
import * as core from '@actions/core';
import { tmpdir } from 'node:os';
import { envInputReader } from '@nat-egress/shared/inputs';
import { truncateLines } from '@nat-egress/shared/report';
import { ActionFailure, runAction, systemClock } from '@nat-egress/shared/runtime';
import { createEc2Client, cutoverInputs, processDriver, renderSummary, runCutover, type CutoverOutput, type EC2Client } from '@nat-egress/shared/terraform';

const SUMMARY_LIMIT = 1024 * 1024 - 4096; // GitHub: 1 MiB per step summary

const output: CutoverOutput = {
  line: ({ level, text }) => {
    if (level === 'debug') core.debug(text);
    else if (level === 'warning') core.warning(text);
    else core.info(text); // errors are annotated once, from the result, below
  },
  startGroup: (title) => core.startGroup(title),
  endGroup: () => core.endGroup(),
  secret: (value) => core.setSecret(value),
};

async function main(): Promise<void> {
  const inputs = cutoverInputs(envInputReader());
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      core.warning(`Received ${sig}: interrupting terraform once and waiting for it to save state and release the lock`);
      controller.abort(new Error(`cancelled by ${sig}`));
    } else {
      core.info(`Received ${sig} again: still waiting for terraform to exit (a second interrupt would abandon operations in flight)`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let ec2: EC2Client | undefined;
  try {
    const result = await runCutover(inputs, {
      terraform: processDriver({ terraform: inputs.terraform, cwd: inputs.workingDirectory, onNote: (m) => core.warning(m) }),
      ec2: () => (ec2 ??= createEc2Client(inputs.region())),
      clock: systemClock,
      out: output,
      tempDir: process.env.RUNNER_TEMP || tmpdir(),
      signal: controller.signal,
    });
    core.setOutput('result', result.result);
    core.setOutput('applies', String(result.applies));
    core.setOutput('retried-because', result.retriedBecause);
    core.setOutput('egress-gap-seconds', result.egressGapSeconds === undefined ? '' : String(result.egressGapSeconds));
    core.setOutput('timeline', JSON.stringify(result.timeline));
    await core.summary.addRaw(truncateLines(renderSummary(result), SUMMARY_LIMIT, '\n> Shortened to fit the 1 MiB job summary limit.')).write();
    for (const e of result.errors.slice(0, 10)) core.error(e.summary.split('\n')[0] ?? '', { title: e.address ? `terraform: ${e.address}` : 'terraform' });
    if (result.result === 'failed') {
      for (const s of result.nextSteps) core.info(`What to do: ${s}`);
      throw new ActionFailure(result.failure ?? 'cutover failed');
    }
    const gap = result.egressGapSeconds === undefined ? '' : `; egress gap ${result.egressGapSeconds} s`;
    core.info(`cutover: ${result.result} (${result.applies} apply(s))${gap}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    ec2?.destroy();
  }
}

await runAction(main);
