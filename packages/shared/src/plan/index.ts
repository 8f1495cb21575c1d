export * from './types';
export { PlanFormatError, actionKind, loadPlanFile, loadPlanText, type LoadOptions } from './load';
export { PlanDigest, canonicalJson, combineDigests, sha256 } from './digest';
export {
  SENSITIVE_TEXT,
  asObj,
  markedAt,
  marksAny,
  rawString,
  rawValue,
  shownValue,
  unknownAt,
  type Side,
  type ValuePath,
} from './values';
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
  COMMENT_LIMIT,
  commentMarker,
  renderReport,
  renderReportWithin,
  resolvedComment,
  type DocumentReport,
  type ReportInput,
} from './report';
export { analysePlan, parsePatterns, type GuardInputs, type GuardResult } from './guard';
