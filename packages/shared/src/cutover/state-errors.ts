/**
 * Two terraform outcomes that need their own advice (terraform 1.11.4, measured: /work/notes/research-19.md §5):
 *
 * - "Saved plan is stale" (the state's serial moved since the plan: backend_local.go) and "Saved plan does not match
 *   the given state" (another lineage): the saved plan can never be applied; never retried — plan and review again.
 * - "Failed to persist state to backend": the apply changed resources but the final state write failed (S3: 5
 *   attempts over ~10 s), and terraform wrote the state to `errored.tfstate` in the working directory — the whole
 *   state, sensitive values included. It is never uploaded; `terraform state push errored.tfstate` puts it back.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../terraform/index';

export const ERRORED_STATE = 'errored.tfstate';

const STALE = /^(Saved plan is stale|Saved plan does not match the given state)/;

/** The stale-plan diagnostic of a failed apply, if it is one. */
export function stalePlan(diagnostics: readonly Diagnostic[]): Diagnostic | undefined {
  return diagnostics.find((d) => d.severity === 'error' && STALE.test(d.summary));
}

/** What to do about an errored.tfstate the apply left in `workingDirectory`, or [] when there is none. */
export function erroredStateAdvice(workingDirectory: string, diagnostics: readonly Diagnostic[]): string[] {
  const file = join(workingDirectory, ERRORED_STATE);
  const persisted = diagnostics.some((d) => /Failed to persist state to backend|Failed to save state/.test(d.summary));
  if (!existsSync(file) && !persisted) return [];
  return [
    `terraform could not write the state to its backend and left it in ${file} (the whole state, secrets ` +
      'included: never upload or print it). Before anything else, in that directory: ' +
      'terraform state push errored.tfstate — then delete the file and plan, review and apply again. ' +
      '(A hosted runner deletes the file when the job ends: re-run on a self-hosted runner, or rebuild the state ' +
      'with terraform import.)',
  ];
}
