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
export { terraformShowJson, type ShowOptions } from './show';
