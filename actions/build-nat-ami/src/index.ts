import * as core from '@actions/core';
import { buildNatAmi, createClients, newReport, readBuildNatAmiInputs, renderSummary } from '@nat-egress/shared/imagebuilder';
import { envInputReader } from '@nat-egress/shared/inputs';
import { runAction, systemClock } from '@nat-egress/shared/runtime';

await runAction(async () => {
  const inputs = readBuildNatAmiInputs(envInputReader(process.env), process.env);
  const report = newReport(inputs.region, systemClock.now());
  try {
    const result = await buildNatAmi(inputs, { ...createClients(inputs.region), clock: systemClock, env: process.env, log: { info: core.info, warning: core.warning } }, report);
    core.setOutput('ami-id', result.amiId);
    core.setOutput('ami-name', result.amiName);
    core.setOutput('image-arn', result.imageArn);
    core.setOutput('image-version', result.imageVersion);
    core.setOutput('build-seconds', String(result.buildSeconds));
    core.setOutput('reused', String(result.reused));
  } finally {
    if (process.env.GITHUB_STEP_SUMMARY) {
      // A summary that cannot be written must not hide the step's own result.
      await core.summary
        .addRaw(renderSummary(report), true)
        .write()
        .catch((err: unknown) => core.warning(`could not write the job summary: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
});
