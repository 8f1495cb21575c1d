/**
 * EC2 Image Builder for the NAT AMI: pipeline resolution, idempotent start or attach, the wait loop, failure
 * details, and the build-nat-ami flow that gates on a tested, tagged AMI (see ../ami for the AMI checks).
 */
export * from './states';
export * from './pipeline';
export * from './token';
export * from './wait';
export * from './failure';
export * from './inputs';
export * from './types';
export * from './build';
export * from './summary';
export * from './clients';

/**
 * The Image Builder operations this module calls — and so the IAM actions it needs (see the build-nat-ami
 * README) — re-exported so tests and benchmarks outside this package can mock exactly these commands.
 */
export {
  CancelImageCreationCommand,
  GetImageCommand,
  GetImagePipelineCommand,
  ImagebuilderClient,
  ListImagePipelineImagesCommand,
  ListImagePipelinesCommand,
  ListWorkflowExecutionsCommand,
  ListWorkflowStepExecutionsCommand,
  StartImagePipelineExecutionCommand,
} from '@aws-sdk/client-imagebuilder';
