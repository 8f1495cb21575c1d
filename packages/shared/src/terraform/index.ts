export {
  UiStream,
  elapsedLabel,
  parseUiLine,
  renderDiagnostic,
  resourceTypeOf,
  stripAnsi,
  type ChangeSummary,
  type Diagnostic,
  type HookEvent,
  type HookType,
  type ParsedLine,
  type PlannedChange,
  type RenderedLine,
  type UiMessage,
  type UiStreamOptions,
} from './stream';
export { TerraformNotFoundError, notFoundMessage, runTerraform, type RunOptions, type RunResult } from './process';
export { processDriver, type ProcessDriverOptions, type TerraformDriver } from './driver';
export { classifyFailure, matchRaceDiagnostic, type RaceError, type RaceVerdict } from './race';
export { ADAPTIVE_MAX_MS, adaptiveInterval, waitForRelease, type GatewaySeen, type ReleaseOptions, type ReleaseResult, type ReleaseTarget } from './release';
export { changeRef, compatibleAction, describeUnexpected, divergedAttributes, unexpectedChanges, type ChangeRef, type UnexpectedChange } from './converge';
export { egressGap, egressRoles, step, type EgressGap, type EgressRoles, type Timeline, type TimelineStep } from './timeline';
export {
  ROLLBACK,
  bootstrapSteps,
  releaseTarget,
  runCutover,
  type CutoverDeps,
  type CutoverOptions,
  type CutoverOutcome,
  type CutoverOutput,
  type CutoverResult,
} from './cutover';
export { renderSummary } from './summary';
export { cutoverInputs, type CutoverInputs } from './inputs';
export { DescribeAddressesCommand, DescribeImagesCommand, DescribeNatGatewaysCommand, EC2Client, createEc2Client } from './clients';
