/**
 * The one rule for text that others control (terraform and provider diagnostics, AWS error messages, resource
 * names and tags, plan values) on its way into the Actions log: it must never become a workflow command.
 *
 * The runner (actions/runner ActionCommandManager / ActionCommand.cs) reads every line a step writes to stdout OR
 * stderr: a line is a command when, after its leading whitespace (.NET `TrimStart`, which also strips U+0085 and
 * U+00A0), it starts with `::name …::`, or when it holds the legacy `##[name …]` ANYWHERE. Lines end at LF, CR or
 * CRLF (.NET `ReadLine`). `::add-mask::<egress IP>` would hide the egress IP in every later line of the job,
 * `::error::` forges an annotation, `::set-output` sets a step output, `::stop-commands::` silences the job's own
 * annotations. `@actions/core` escapes the data of the commands it writes (error, warning, notice, debug, group,
 * setSecret), but `core.info` writes its text raw: untrusted text goes to the log only through `inertText` (or
 * `info` in ./log.ts, which applies it), and into annotations only through @actions/core, never in `title=`.
 */

/** U+200B ZERO WIDTH SPACE: not whitespace to .NET or JavaScript, invisible in the log. */
const BREAK = '\u200b';
/** What .NET's TrimStart() or JavaScript's trimStart() may strip, and the zero-width characters, at a line's start. */
const LEAD = /^[\s\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]*/u;

/** One line (no line break in it) made inert: a leading `::` broken, and every `##[`. */
function inertLine(line: string): string {
  const lead = LEAD.exec(line)?.[0] ?? '';
  let rest = line.slice(lead.length);
  if (rest.startsWith('::')) rest = `:${BREAK}${rest.slice(1)}`;
  return `${lead}${rest}`.replaceAll('##[', `##${BREAK}[`);
}

/**
 * `text` as it may be written to the Actions log without any line of it becoming a workflow command: in each line
 * (split at LF, CR and CRLF, as the runner splits them; the breaks are kept), a `::` at the start (after any
 * whitespace) becomes `:\u200b:` and every `##[` becomes `##\u200b[` — the same text to the eye. Text with
 * neither is returned unchanged. Idempotent.
 */
export function inertText(text: string): string {
  if (!text.includes('::') && !text.includes('##[')) return text;
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 1 ? part : inertLine(part)))
    .join('');
}
