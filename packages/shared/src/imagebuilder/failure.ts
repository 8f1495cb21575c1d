/**
 * What went wrong with a build that ended FAILED / CANCELLED / DELETED: the state reason, the stage it was in,
 * the failing workflow step (ListWorkflowExecutions + ListWorkflowStepExecutions, where Image Builder has
 * them), and where the logs are. The workflow look-ups are best effort: without the permissions, or for images
 * built before workflows existed, the failure is still reported with what GetImage gave.
 */
import {
  paginateListWorkflowExecutions,
  paginateListWorkflowStepExecutions,
  type Image,
  type ImagebuilderClient,
} from '@aws-sdk/client-imagebuilder';
import { describeError } from '../runtime/index';
import { stateKind } from './states';
import type { StateChange } from './wait';

export interface FailedStep {
  /** BUILD, TEST or DISTRIBUTION. */
  workflowType: string;
  workflowArn: string;
  step: string;
  action: string;
  message: string;
}

export interface FailureDetails {
  state: string;
  reason: string;
  /** The last in-progress state seen before the failure (e.g. TESTING). */
  stage?: string;
  failedSteps: FailedStep[];
  /** Where the build logs are: CloudWatch Logs group, S3 location. */
  logs: string[];
  /** Why some detail is missing (e.g. no permission for ListWorkflowExecutions). */
  notes: string[];
}

export function logLocations(image: Image): string[] {
  const locations: string[] = [];
  const group = image.loggingConfiguration?.logGroupName || (image.name ? `/aws/imagebuilder/${image.name}` : '');
  if (group) locations.push(`CloudWatch Logs group ${group}`);
  const s3 = image.infrastructureConfiguration?.logging?.s3Logs;
  if (s3?.s3BucketName) {
    const prefix = (s3.s3KeyPrefix ?? '').replace(/^\/+|\/+$/g, '');
    locations.push(`s3://${s3.s3BucketName}/${prefix ? `${prefix}/` : ''}`);
  }
  return locations;
}

export async function describeFailure(
  ib: ImagebuilderClient,
  image: Image,
  timeline: StateChange[],
): Promise<FailureDetails> {
  const state = String(image.state?.status ?? 'UNKNOWN');
  const details: FailureDetails = {
    state,
    reason: image.state?.reason?.trim() || '(Image Builder gave no reason)',
    failedSteps: [],
    logs: logLocations(image),
    notes: [],
  };
  const stage = [...timeline]
    .reverse()
    .find((c) => stateKind(c.state) === 'progress' || stateKind(c.state) === 'unknown');
  if (stage) details.stage = stage.state;
  if (!image.arn) return details;
  try {
    for await (const page of paginateListWorkflowExecutions({ client: ib }, { imageBuildVersionArn: image.arn })) {
      for (const wf of page.workflowExecutions ?? []) {
        if (wf.status !== 'FAILED' || !wf.workflowExecutionId) continue;
        let stepsFound = 0;
        for await (const stepPage of paginateListWorkflowStepExecutions(
          { client: ib },
          { workflowExecutionId: wf.workflowExecutionId },
        )) {
          for (const step of stepPage.steps ?? []) {
            if (step.status !== 'FAILED') continue;
            stepsFound++;
            details.failedSteps.push({
              workflowType: String(wf.type ?? ''),
              workflowArn: wf.workflowBuildVersionArn ?? '',
              step: step.name ?? step.stepExecutionId ?? '?',
              action: step.action ?? '',
              message: step.message?.trim() ?? '',
            });
          }
        }
        if (stepsFound === 0) {
          details.failedSteps.push({
            workflowType: String(wf.type ?? ''),
            workflowArn: wf.workflowBuildVersionArn ?? '',
            step: '(workflow)',
            action: '',
            message: wf.message?.trim() ?? '',
          });
        }
      }
    }
  } catch (err) {
    details.notes.push(`workflow step details unavailable: ${describeError(err)}`);
  }
  return details;
}

/** One line for the failure message. */
export function formatFailure(details: FailureDetails, version: string): string {
  const during = details.stage ? ` during ${details.stage}` : '';
  const parts = [`image ${version || '?'} ended ${details.state}${during}: ${details.reason}`];
  const first = details.failedSteps[0];
  if (first) {
    const workflow = first.workflowType ? `${first.workflowType} workflow ` : '';
    const where = `${workflow}step ${first.step}${first.action ? ` (${first.action})` : ''}`;
    const more = details.failedSteps.length > 1 ? ` (+${details.failedSteps.length - 1} more failed step(s))` : '';
    parts.push(`failing step: ${where}${first.message ? `: ${first.message}` : ''}${more}`);
  }
  if (details.logs.length > 0) parts.push(`logs: ${details.logs.join(', ')}`);
  return parts.join('; ').replace(/[\r\n]+/g, ' ');
}
