/**
 * The log lines of terraform's `-json` UI (messages.ts reads the messages): planned changes as one block, apply
 * progress with an elapsed-time prefix, errors with their resource address, outputs with sensitive values masked.
 * Pure functions from read values to lines; the stream (stream.ts) decides when a block is complete.
 */
import type { ChangeSummary, Diagnostic, HookEvent, PlannedChange, UiLevel, UiOutput } from './messages';

export interface RenderedLine {
  level: UiLevel;
  text: string;
}

/** terraform's own change symbols (`terraform plan`'s human output). */
const SYMBOLS: Record<string, string> = {
  create: '+',
  delete: '-',
  update: '~',
  replace: '-/+',
  read: '<=',
  noop: ' ',
  'no-op': ' ',
  import: '<-',
  move: '->',
  forget: '.',
  remove: '-',
};

const VERBS: Record<string, [string, string, string]> = {
  // action: [starting, progress, done]
  create: ['creating', 'still creating', 'created'],
  delete: ['destroying', 'still destroying', 'destroyed'],
  update: ['modifying', 'still modifying', 'modified'],
  read: ['reading', 'still reading', 'read'],
  noop: ['checking', 'still checking', 'checked'],
};

function verbs(action: string): [string, string, string] {
  return VERBS[action] ?? [`${action}`, `still ${action}`, `${action} done`];
}

/**
 * `[  12s]`, `[ 4m05s]`, `[1h02m]`: elapsed time as a fixed-width prefix (rounded to the second). Compact on
 * purpose, unlike inputs' formatDuration (`4m 5s`): a column at the start of every apply line.
 */
export function elapsedLabel(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  let text: string;
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  else text = `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `[${text.padStart(6)}]`;
}

/** `Terraform 1.9.8 (JSON UI 1.2)`. */
export function renderVersion(v: { terraform?: string; ui?: string }): RenderedLine {
  return { level: 'info', text: `Terraform ${v.terraform ?? '?'} (JSON UI ${v.ui ?? '?'})` };
}

/** `Planned changes (3): 2 to create, 1 to delete` and one line per change (drift: `Changed outside Terraform`). */
export function renderChangeBlock(kind: 'planned' | 'drift', list: readonly PlannedChange[]): RenderedLine[] {
  const counts = new Map<string, number>();
  for (const c of list) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const tally = [...counts].map(([a, n]) => `${n} to ${a}`).join(', ');
  const title = kind === 'planned' ? 'Planned changes' : 'Changed outside Terraform';
  const out: RenderedLine[] = [{ level: 'info', text: `${title} (${list.length}): ${tally}` }];
  for (const c of list) {
    const reason = c.reason ? `  (${c.reason.replace(/_/g, ' ')})` : '';
    out.push({ level: 'info', text: `  ${(SYMBOLS[c.action] ?? '?').padEnd(3)} ${c.address}  ${c.action}${reason}` });
  }
  return out;
}

export function renderRefreshed(count: number): RenderedLine {
  return { level: 'info', text: `Refreshed the state of ${count} resource(s)` };
}

/** One apply hook: `creating...`, `still creating (10s elapsed)`, `created after 13s [id=…]`, `FAILED to create`. */
export function renderHook(event: HookEvent, prefix: string, idKey: string | undefined): RenderedLine {
  const { address, action, elapsedSeconds: elapsed, idValue: id } = event;
  const [starting, progress, done] = verbs(action);
  const after = elapsed !== undefined ? ` after ${elapsed}s` : '';
  const idText = id ? ` [${idKey ?? 'id'}=${id}]` : '';
  switch (event.type) {
    case 'apply_start':
      return { level: 'info', text: `${prefix} ${address}: ${starting}...${idText}` };
    case 'apply_progress':
      return { level: 'info', text: `${prefix} ${address}: ${progress} (${elapsed ?? '?'}s elapsed)` };
    case 'apply_complete':
      return { level: 'info', text: `${prefix} ${address}: ${done}${after}${idText}` };
    default:
      return { level: 'error', text: `${prefix} ${address}: FAILED to ${action}${after}` };
  }
}

function firstLineOf(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}

/** `Error at <address>: <summary>`, then the rest of the summary and the detail indented (20 lines at most). */
export function renderDiagnostic(d: Diagnostic, prefix = ''): RenderedLine[] {
  const lvl: RenderedLine['level'] = d.severity === 'error' ? 'error' : 'warning';
  const head =
    `${prefix ? `${prefix} ` : ''}${d.severity === 'error' ? 'Error' : 'Warning'}` +
    `${d.address ? ` at ${d.address}` : ''}: ${firstLineOf(d.summary)}`;
  const out: RenderedLine[] = [{ level: lvl, text: head }];
  const rest = [...d.summary.split(/\r?\n/).slice(1), ...d.detail.split(/\r?\n/)]
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  for (const l of rest.slice(0, 20)) out.push({ level: lvl, text: `    ${l.trim()}` });
  if (rest.length > 20) out.push({ level: lvl, text: `    … ${rest.length - 20} more line(s)` });
  if (d.where) out.push({ level: lvl, text: `    (${d.where})` });
  return out;
}

/** terraform's own `@message` of the summary, else `apply: 1 to add, 0 to change, 2 to destroy.` */
export function renderChangeSummary(summary: ChangeSummary, message: string): RenderedLine {
  return {
    level: 'info',
    text:
      message ||
      `${summary.operation}: ${summary.add} to add, ${summary.change} to change, ${summary.remove} to destroy.`,
  };
}

/** Short single-line JSON of an output value, for logs. */
function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** `Outputs (n):` and one line each; a sensitive value is never shown. */
export function renderOutputs(outputs: readonly UiOutput[]): RenderedLine[] {
  const out: RenderedLine[] = [{ level: 'info', text: `Outputs (${outputs.length}):` }];
  for (const o of outputs) {
    if (o.sensitive) out.push({ level: 'info', text: `  ${o.name} = (sensitive value)` });
    else if (o.hasValue) out.push({ level: 'info', text: `  ${o.name} = ${showValue(o.value)}` });
    else out.push({ level: 'info', text: `  ${o.name}: ${o.action ?? 'known after apply'}` });
  }
  return out;
}
