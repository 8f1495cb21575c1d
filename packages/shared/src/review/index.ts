export {
  SEVERITIES,
  classifyChanges,
  compareKeys,
  severityRank,
  type Analysis,
  type Finding,
  type ModeSwitch,
  type Severity,
} from './classify';
export {
  commentMarker,
  renderReport,
  renderReportWithin,
  resolvedComment,
  type DocumentReport,
  type ReportInput,
} from './report';
export { analysePlan, parsePatterns, type GuardInputs, type GuardResult } from './guard';
export {
  annotateFindings,
  commentOutcome,
  exitSummary,
  failureLine,
  planComment,
  reportFileName,
  riskLine,
  setGuardOutputs,
  summaryBody,
  type CommentPlan,
  type CommentSetting,
} from './publish';
export { REPORT_OUTPUT_MAX_BYTES, reportOutput, type ReportOutput } from './report-output';
export { LOCAL_HELP, localResultLine, parseLocalArgs, type LocalArgs } from './local';
// plan-guard's AMI inputs, parsed as the cutover and build-nat-ami parse theirs (ami/criteria.ts: no AWS call in it).
export { DEFAULT_AMI_CRITERIA, amiCriteriaInputs, type AmiCriteria } from '../ami/criteria';
