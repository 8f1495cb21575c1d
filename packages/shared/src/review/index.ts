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
