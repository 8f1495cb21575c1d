/**
 * Every GitHub limit the actions write against, in the unit GitHub counts, with its source — and the writers that
 * keep within them. Actions write their job summary, outputs, annotations and PR comments only through this module,
 * so nothing is dropped whole by GitHub: what does not fit is shortened, and the shortened text says so and where the
 * full report is.
 */
import { statSync } from 'node:fs';
import * as core from '@actions/core';
import { info } from '../report/log';

export interface GitHubLimit {
  /** The limit, in `unit`. */
  max: number;
  unit: 'code points' | 'UTF-8 bytes' | 'UTF-16 bytes' | 'annotations';
  /** Where the number comes from. */
  source: string;
}

/**
 * - commentBody: an issue / pull-request comment body. The REST API refuses a longer one with HTTP 422 "body is too
 *   long (maximum is 65536 characters)"; characters are Unicode code points (measured for PR bodies, see
 *   github.com/dead-claudia/github-limits pull 13). Counting code points is also within every looser reading
 *   (262,144 UTF-8 bytes was measured for issue comments there).
 * - stepSummary: the runner uploads GITHUB_STEP_SUMMARY only up to 1024 KiB and drops a larger one whole
 *   ("$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k"; docs: "Step summaries are
 *   limited to 1MiB"). The runner measures the file, i.e. UTF-8 bytes.
 * - outputsPerJob: "Outputs can be a maximum of 1 MB per job. … Size is approximated based on UTF-16 encoding"
 *   (docs.github.com, workflow syntax `jobs.<job_id>.outputs`; github/docs pull 36846). One output can be no larger
 *   than the whole, so this bounds each output too. 1 MB is taken as 1,000,000 bytes (the smaller reading).
 * - annotationsPerStep: "10 warning annotations and 10 error annotations per step, 50 annotations per job"
 *   (actions/toolkit docs/problem-matchers.md, "Limitations"); GitHub shows the first ones and drops the rest.
 *   The same cap is applied to notices.
 */
export const GITHUB_LIMITS = {
  commentBody: {
    max: 65_536,
    unit: 'code points',
    source: 'GitHub REST API 422 "body is too long (maximum is 65536 characters)"; characters = Unicode code points',
  },
  stepSummary: {
    max: 1024 * 1024,
    unit: 'UTF-8 bytes',
    source:
      'GitHub runner: "$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k"; ' +
      'docs: step summaries are limited to 1 MiB',
  },
  outputsPerJob: {
    max: 1_000_000,
    unit: 'UTF-16 bytes',
    source:
      'docs.github.com jobs.<job_id>.outputs: "a maximum of 1 MB per job … approximated based on UTF-16 encoding"',
  },
  annotationsPerStep: {
    max: 10,
    unit: 'annotations',
    source: 'actions/toolkit docs/problem-matchers.md: "10 warning annotations and 10 error annotations per step"',
  },
} as const satisfies Record<string, GitHubLimit>;

/**
 * Share of the job's 1 MB of outputs one action's step may use: other steps of the same job may have outputs too.
 */
export const OUTPUT_BUDGET_UTF16_BYTES = 900_000;
/** Room kept free in the step summary for what other writers (the runner, another tool) may append. */
export const SUMMARY_RESERVE_BYTES = 8 * 1024;

/** Unicode code points (what GitHub calls characters in comment limits). Lone surrogates count one each. */
export function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** UTF-16 bytes: two per UTF-16 code unit, as GitHub approximates output sizes. */
export function utf16Bytes(text: string): number {
  return text.length * 2;
}

/** The size of `text` in the unit `limit` counts. */
export function measure(text: string, limit: GitHubLimit): number {
  switch (limit.unit) {
    case 'code points':
      return codePoints(text);
    case 'UTF-8 bytes':
      return utf8Bytes(text);
    case 'UTF-16 bytes':
      return utf16Bytes(text);
    default:
      return text.length;
  }
}

/** A cut position ≤ `at` that does not split a surrogate pair. */
function safeCut(text: string, at: number): number {
  if (at <= 0) return 0;
  if (at >= text.length) return text.length;
  const c = text.charCodeAt(at - 1);
  return c >= 0xd800 && c <= 0xdbff ? at - 1 : at;
}

/** Closes `<details>` blocks a cut left open, so the note after them is not folded away. */
function closeOpenDetails(text: string): string {
  const open = (text.match(/<details\b/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
  return open > 0 ? `${text}\n${'\n</details>'.repeat(open)}` : text;
}

export interface Fitted {
  text: string;
  shortened: boolean;
  /** Size of the result in the limit's unit. */
  size: number;
}

/**
 * `text` if it fits `max` (in `limit`'s unit), else its longest prefix ending at a line break (or anywhere, when a
 * single line is too long) followed by `note`, the whole within `max`. Open `<details>` blocks are closed before the
 * note. Linear-logarithmic in the text length.
 */
export function fitText(text: string, limit: GitHubLimit, note: string, max = limit.max): Fitted {
  const full = measure(text, limit);
  if (full <= max) return { text, shortened: false, size: full };
  const tail = `\n\n${note}\n`;
  const budget = max - measure(tail, limit) - measure('\n\n</details>'.repeat(4), limit);
  if (budget <= 0) {
    const t = note.slice(0, Math.max(0, max));
    return { text: t, shortened: true, size: measure(t, limit) };
  }
  // Largest prefix length (in UTF-16 units) whose measure fits the budget: binary search.
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, safeCut(text, mid)), limit) <= budget) lo = mid;
    else hi = mid - 1;
  }
  let cut = safeCut(text, lo);
  const line = text.lastIndexOf('\n', cut);
  if (line > cut / 2) cut = line;
  const out = `${closeOpenDetails(text.slice(0, cut))}${tail}`;
  return { text: out, shortened: true, size: measure(out, limit) };
}

/**
 * The largest `n` in [0, total] for which `render(n)` fits `max` in `limit`'s unit (render must grow with n), and its
 * text. Used to drop whole items (findings, rows) instead of cutting text. Falls back to `fitText` on render(0).
 */
export function fitItems(
  total: number,
  render: (n: number) => string,
  limit: GitHubLimit,
  note: string,
  max = limit.max,
): Fitted & { kept: number } {
  const all = render(total);
  const size = measure(all, limit);
  if (size <= max) return { text: all, shortened: false, size, kept: total };
  let lo = 0;
  let hi = total;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(render(mid), limit) <= max) lo = mid;
    else hi = mid - 1;
  }
  const text = render(lo);
  if (measure(text, limit) <= max) return { text, shortened: true, size: measure(text, limit), kept: lo };
  return { ...fitText(text, limit, note, max), kept: 0 };
}

/** Where the full report is, for the "shortened" notes. */
export function fullReportHint(reportFile: string | undefined): string {
  return reportFile
    ? `The full report is in the \`report-file\` output (${reportFile} on the runner; ` +
        'upload it with actions/upload-artifact to keep it).'
    : 'The full report is in the step log.';
}

/** The comment body within GitHub's comment limit (code points), with a note when shortened. */
export function fitComment(body: string, reportFile?: string): Fitted {
  return fitText(
    body,
    GITHUB_LIMITS.commentBody,
    `> **Shortened** to fit GitHub's comment limit (65,536 characters). ${fullReportHint(reportFile)}`,
  );
}

/** Bytes already in the step summary file (other writers in this step); 0 off the runner. */
export function stepSummaryBytesUsed(env: NodeJS.ProcessEnv = process.env): number {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The summary text shortened (if needed) so the step summary file stays within 1 MiB. */
export function fitSummary(markdown: string, options: { reportFile?: string; usedBytes?: number } = {}): Fitted {
  const max = GITHUB_LIMITS.stepSummary.max - SUMMARY_RESERVE_BYTES - (options.usedBytes ?? 0);
  return fitText(
    markdown,
    GITHUB_LIMITS.stepSummary,
    `> **Shortened** to fit GitHub's 1 MiB step summary limit. ${fullReportHint(options.reportFile)}`,
    max,
  );
}

/**
 * Appends `markdown` to the job summary (GITHUB_STEP_SUMMARY), shortened to fit what is left of the 1 MiB; does
 * nothing off the runner. A summary that cannot be written is a warning, never the step's failure.
 */
export async function writeStepSummary(
  markdown: string,
  options: { reportFile?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Fitted | undefined> {
  const env = options.env ?? process.env;
  if (!env.GITHUB_STEP_SUMMARY) return undefined;
  const fitted = fitSummary(markdown, {
    ...(options.reportFile ? { reportFile: options.reportFile } : {}),
    usedBytes: stepSummaryBytesUsed(env),
  });
  try {
    await core.summary.addRaw(fitted.text, true).write();
  } catch (err) {
    core.warning(`could not write the job summary: ${err instanceof Error ? err.message : String(err)}`);
  }
  return fitted;
}

/**
 * The step's outputs, kept within OUTPUT_BUDGET_UTF16_BYTES together. `set` writes at once while the budget holds;
 * a value that would exceed it is replaced by `shrink(maxBytes)` when given (e.g. a JSON array with fewer items) or
 * else by '' — and `shortened` lists it so the action can say so. Names count too (the runner stores name and value).
 */
export class StepOutputs {
  used = 0;
  readonly shortened: string[] = [];
  private readonly values = new Map<string, number>();

  constructor(
    readonly budget = OUTPUT_BUDGET_UTF16_BYTES,
    private readonly write: (name: string, value: string) => void = (n, v) => core.setOutput(n, v),
  ) {}

  set(name: string, value: string, shrink?: (maxUtf16Bytes: number) => string): string {
    const before = this.values.get(name) ?? 0;
    const room = this.budget - (this.used - before) - utf16Bytes(name);
    let v = value;
    if (utf16Bytes(v) > room) {
      v = shrink ? shrink(Math.max(0, room)) : '';
      if (utf16Bytes(v) > room) v = '';
      if (!this.shortened.includes(name)) this.shortened.push(name);
    }
    this.used += utf16Bytes(name) + utf16Bytes(v) - before;
    this.values.set(name, utf16Bytes(name) + utf16Bytes(v));
    this.write(name, v);
    return v;
  }
}

/**
 * A JSON array of the first items of `items` that fits `maxUtf16Bytes` (JSON.stringify), and how many were left out.
 */
export function fitJsonArray<T>(items: T[], maxUtf16Bytes: number): { json: string; kept: number; omitted: number } {
  const parts = items.map((i) => JSON.stringify(i));
  let size = 2; // []
  let kept = 0;
  for (const p of parts) {
    const next = size + utf16Bytes(p) + (kept > 0 ? 2 : 0);
    if (next > maxUtf16Bytes) break;
    size = next;
    kept++;
  }
  if (2 > maxUtf16Bytes) return { json: '', kept: 0, omitted: items.length };
  return { json: `[${parts.slice(0, kept).join(',')}]`, kept, omitted: items.length - kept };
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/**
 * The step's annotations within GitHub's 10 per level: the first ones are emitted as they come; from the last free
 * slot on, further ones go to the log as plain lines and are counted, and `finish()` spends that last slot on one
 * annotation saying how many more there are and where they are. One error slot is kept for the step's own failure
 * line (`core.setFailed` is an error annotation too).
 */
export class StepAnnotations {
  private readonly emitted: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  private readonly held: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  private readonly perLevel = GITHUB_LIMITS.annotationsPerStep.max;

  constructor(
    private readonly sink: {
      annotate(level: AnnotationLevel, message: string, props?: core.AnnotationProperties): void;
      log(line: string): void;
    } = defaultSink,
  ) {}

  private slots(level: AnnotationLevel): number {
    // Keep one slot for the summary line, and for errors one more for the step's failure line.
    return this.perLevel - 1 - (level === 'error' ? 1 : 0);
  }

  add(level: AnnotationLevel, message: string, props?: core.AnnotationProperties): void {
    if (this.emitted[level] < this.slots(level)) {
      this.emitted[level]++;
      this.sink.annotate(level, message, props);
    } else {
      this.held[level]++;
      this.sink.log(`${level}${props?.title ? ` (${props.title})` : ''}: ${message}`);
    }
  }

  error(message: string, props?: core.AnnotationProperties): void {
    this.add('error', message, props);
  }
  warning(message: string, props?: core.AnnotationProperties): void {
    this.add('warning', message, props);
  }
  notice(message: string, props?: core.AnnotationProperties): void {
    this.add('notice', message, props);
  }

  /** How many were not annotated, per level. */
  get omitted(): Record<AnnotationLevel, number> {
    return { ...this.held };
  }

  /** Emits one summary annotation per level that overflowed ("N more …, see <where>"). */
  finish(where = 'the job summary and the step log'): void {
    for (const level of ['error', 'warning', 'notice'] as const) {
      const n = this.held[level];
      if (n === 0) continue;
      this.sink.annotate(
        level,
        `${n} more ${level}${n === 1 ? '' : 's'} not shown as annotations (GitHub shows 10 per step): see ${where}.`,
        { title: `${n} more ${level}s` },
      );
      this.held[level] = 0;
      this.emitted[level]++;
    }
  }
}

const defaultSink = {
  annotate(level: AnnotationLevel, message: string, props?: core.AnnotationProperties) {
    if (level === 'error') core.error(message, props);
    else if (level === 'warning') core.warning(message, props);
    else core.notice(message, props);
  },
  log(line: string) {
    info(line);
  },
};
