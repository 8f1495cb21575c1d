/**
 * What the operator should do next after a build-nat-ami run that did not end with a usable AMI, fitted to the state
 * the run left in Image Builder (the report's `nextSteps`, shown in the job summary under "What to do").
 */
import { formatDuration } from '../inputs/index';
import { ActionFailure } from '../runtime/index';
import type { BuildReport } from './types';
import type { BuildNatAmiInputs } from './inputs';

/** The AWS CLI command that stops the build `arn` (Image Builder CancelImageCreation). */
function cancelCommand(arn: string, region: string): string {
  return `aws imagebuilder cancel-image-creation --region ${region} --image-build-version-arn ${arn}`;
}

/** After a cancel (SIGINT/SIGTERM): what may still be running, and how to pick it up or stop it. */
export function cancelledSteps(inputs: BuildNatAmiInputs, report: BuildReport): string[] {
  if (!report.imageArn && report.phase?.startsWith('starting the build')) {
    return [
      'StartImagePipelineExecution was in flight when the job was cancelled: ' +
        `a build of ${report.pipeline?.name ?? 'the pipeline'} may have started.`,
      inputs.ifBuilding === 'wait'
        ? 'Re-run the job: with if-building: wait it attaches to a build in progress instead of starting another.'
        : `Check the pipeline's images in Image Builder before re-running (if-building is ${inputs.ifBuilding}).`,
    ];
  }
  if (!report.imageArn) return ['Nothing was started in Image Builder. Re-run the job when ready.'];
  const steps = [
    `The image build ${report.imageArn} keeps running in Image Builder: cancelling the job does not stop it.`,
    inputs.ifBuilding === 'wait'
      ? 'Re-run the job to pick it up: with if-building: wait the action attaches to the build in progress ' +
        'instead of starting another.'
      : `Re-run the job when the build has finished (if-building is ${inputs.ifBuilding}).`,
  ];
  if (report.mode !== 'attached') steps.push(`To stop it instead: ${cancelCommand(report.imageArn, inputs.region)}`);
  return steps;
}

/** After the timeout: raise it, or fix the endpoints; and what became of the build. */
export function timeoutSteps(inputs: BuildNatAmiInputs, report: BuildReport): string[] {
  const steps: string[] = [];
  if (!report.imageArn || report.phase !== 'waiting for the image build') {
    steps.push(
      `An AWS call did not answer within the time left (during ${report.phase ?? 'start-up'}). ` +
        `Check that the runner reaches the Image Builder and EC2 endpoints of ${inputs.region} ` +
        '(proxy, VPC endpoints, AWS_ENDPOINT_URL), then re-run.',
    );
  } else {
    steps.push(
      `Raise timeout (now ${formatDuration(inputs.timeoutMs)}; ` +
        'an image build takes 15-20 minutes, longer with tests) if the build was progressing.',
    );
  }
  if (report.imageArn && report.mode === 'attached')
    steps.push(`The build ${report.imageArn} was started elsewhere and keeps running; a re-run attaches to it.`);
  else if (report.imageArn && !inputs.cancelOnTimeout)
    steps.push(
      `The build ${report.imageArn} keeps running; a re-run with if-building: wait attaches to it. ` +
        `To stop it: ${cancelCommand(report.imageArn, inputs.region)}`,
    );
  return steps;
}

/** After any other failure `err`: the failed workflow step, or the permission hint (none for an ActionFailure). */
export function failedSteps(inputs: BuildNatAmiInputs, report: BuildReport, err: unknown): string[] {
  if (report.failureDetails)
    return ['Fix the failed workflow step named above (see its logs), then re-run; the failed image is not used.'];
  if (err instanceof ActionFailure) return [];
  return [
    'See the error above; if it is a permission error, compare the role with the IAM policy in the build-nat-ami ' +
      `README. Region: ${inputs.region}.`,
  ];
}
