export * from './types';
export { PlanFormatError, actionKind, loadPlanFile, loadPlanText, type LoadOptions } from './load';
export type { SectionOptions } from './sections';
export { PlanDigest, canonicalJson, combineDigests, sha256 } from './digest';
export { changedAttributes, knownAfterValues, replacePaths } from './change';
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
  NO_SECTIONS,
  argumentReferences,
  configOf,
  priorAt,
  priorRaw,
  priorSensitive,
  priorShown,
  setsArgument,
  withoutKeys,
} from './config';
