/**
 * The terraform process and its streams: the one place that starts terraform (process.ts), `terraform show -json`
 * into a file (show.ts), the driver the cutover runs terraform through (driver.ts), and the `-json` UI stream read
 * and rendered as log lines (stream.ts over messages.ts and render.ts).
 */
export { UiStream, type UiStreamOptions } from './stream';
export {
  resourceTypeOf,
  type ChangeSummary,
  type Diagnostic,
  type HookEvent,
  type HookType,
  type PlannedChange,
  type UiMessage,
} from './messages';
export type { RenderedLine } from './render';
export { TerraformNotFoundError, runTerraform, type RunOptions, type RunResult } from './process';
export { processDriver, type ProcessDriverOptions, type TerraformDriver } from './driver';
export { terraformShowJson, type ShowOptions } from './show';
