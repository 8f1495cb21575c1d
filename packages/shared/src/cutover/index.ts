export {
  RACE_FORMS,
  classifyFailure,
  describeRaceErrors,
  matchRaceDiagnostic,
  type RaceError,
  type RaceForm,
  type RaceFormId,
  type RaceVerdict,
} from './race';
export {
  ADAPTIVE_MAX_MS,
  FAST_POLL_MS,
  adaptiveInterval,
  waitForRelease,
  type GatewaySeen,
  type ReleaseOptions,
  type ReleaseResult,
  type ReleaseTarget,
} from './release';
export {
  changeRef,
  compatibleAction,
  describeUnexpected,
  divergedAttributes,
  unexpectedChanges,
  type ChangeRef,
  type UnexpectedChange,
} from './converge';
export {
  egressGap,
  egressRoles,
  step,
  type EgressGap,
  type EgressRoles,
  type RestoreTiming,
  type Timeline,
  type TimelineStep,
} from './timeline';
export {
  ROLLBACK,
  applyPhase,
  bootstrapSteps,
  convergePhase,
  releaseTarget,
  restorePhase,
  runCutover,
  waitPhase,
  type CutoverDeps,
  type CutoverOptions,
  type CutoverOutcome,
  type CutoverOutput,
  type CutoverResult,
  type RestoreMode,
  type RestoreRecord,
} from './cutover';
export { CutoverRun, type ReadPlan, type StreamedRun } from './run';
export { PREFLIGHT_CALL_MS, expectedApplies, preflight, type Reviewed } from './preflight';
export { ASSOCIATE_BOUND_MS, RaceWatch, type WatchTask } from './watch';
export {
  GATEWAY_NOT_APPLICABLE,
  associateAddress,
  importArgs,
  planRestore,
  resolveTargetIds,
  type AssociateOptions,
  type AssociateResult,
  type AssociationTarget,
  type PlannedAssociation,
  type RestorePlan,
} from './restore';
export { within, type Bounds } from './bounded';
export { renderSummary } from './summary';
export { cutoverInputs, type CutoverInputs } from './inputs';
export {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeNatGatewaysCommand,
  EC2Client,
  createEc2Client,
} from './clients';
