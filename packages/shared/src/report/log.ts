/**
 * The Actions log for text that may carry untrusted parts: `info` is `core.info` behind `inertText`
 * (./commands.ts), so no line of it becomes a workflow command. Every action writes its log lines through it
 * (eslint forbids `core.info` elsewhere in packages/shared/src and actions/*\/src).
 */
import * as core from '@actions/core';
import { inertText } from './commands';

/** Writes `text` to the step log (stdout, one line per line of `text`), made inert. */
export function info(text: string): void {
  // eslint-disable-next-line no-restricted-properties -- the one place core.info is called (behind inertText)
  core.info(inertText(text));
}
