/**
 * `terraform import` as the cutover runs it: recorded in the journal before it starts (kind import) and done when
 * it succeeded, with the apply-args terraform import accepts (-var, -var-file, -lock, -lock-timeout, …).
 */
import { describeError } from '../runtime/index';
import type { CutoverRun, StreamedRun } from './run';

const IMPORT_ARGS = /^-(var|var-file|lock|lock-timeout|parallelism|state|state-out|backup|no-color)(=|$)/;

/** `terraform import -input=false <passed apply-args> <address> <id>`. */
export function importCommand(address: string, id: string, applyArgs: readonly string[]): string[] {
  return ['import', '-input=false', ...applyArgs.filter((x) => IMPORT_ARGS.test(x)), address, id];
}

/** Why an import failed, in one line (its first error diagnostic, else an Error line, else the exit). */
export function importFailure(imp: StreamedRun): string {
  return (
    imp.stream.errors[0]?.summary.split('\n')[0] ?? imp.stream.text.find((l) => /Error/.test(l))?.trim() ?? imp.exit
  );
}

/**
 * Imports `id` at `address` (journal first: a journal that cannot be written means no import, `journal` set).
 * Returns the streamed run; `journal` holds the one-line error when the intent could not be recorded.
 */
export async function importRecorded(
  run: CutoverRun,
  address: string,
  id: string,
): Promise<{ imp?: StreamedRun; journal?: string }> {
  let entry: string;
  try {
    entry = await run.journal.intend({ kind: 'import', address, id });
  } catch (err) {
    return { journal: describeError(err) };
  }
  const imp = await run.terraform(`terraform import ${address}`, importCommand(address, id, run.options.applyArgs));
  if (imp.ok) await run.journal.done(entry, { imported: id });
  return { imp };
}
