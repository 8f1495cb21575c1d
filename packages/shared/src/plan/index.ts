export * from './types';
export { PlanFormatError, actionKind, loadPlanFile, loadPlanText, type LoadOptions } from './load';
export { PlanDigest, canonicalJson, combineDigests, sha256 } from './digest';
export {
  DEFAULT_PATTERNS,
  NAT_CANDIDATE_TYPES,
  asObj,
  marksAny,
  natRoles,
  ROLES,
  SEVERITIES,
  classifyChanges,
  compareKeys,
  compilePatterns,
  isNatCandidate,
  severityRank,
  type Analysis,
  type ClassifyOptions,
  type Finding,
  type ModeSwitch,
  type Role,
  type Severity,
} from './classify';
export { COMMENT_LIMIT, commentMarker, renderReport, renderReportWithin, resolvedComment, type DocumentReport, type ReportInput } from './report';
export { analysePlan, parsePatterns, type GuardInputs, type GuardResult } from './guard';
export { terraformShowJson, type ShowOptions } from './show';
