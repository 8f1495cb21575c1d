/**
 * Terraform's machine-readable UI (`terraform apply -json` / `plan -json`, JSON Lines) parsed and rendered as
 * grouped, readable log lines: planned changes as one block, progress with elapsed time, errors with their
 * resource address. Raw JSON is never printed; sensitive output values are masked; message types this code
 * does not know are shown through their `@message` text; lines that are not JSON (a crash's panic output,
 * a wrapper's noise) are passed through as text and kept for the failure report.
 */

export interface UiResource {
  addr?: string;
  module?: string;
  resource?: string;
  resource_type?: string;
  resource_name?: string;
  resource_key?: unknown;
  implied_provider?: string;
}

export interface UiMessage {
  type: string;
  '@level'?: string;
  '@message'?: string;
  '@module'?: string;
  '@timestamp'?: string;
  [key: string]: unknown;
}

/** An error or warning terraform reported. */
export interface Diagnostic {
  severity: string;
  summary: string;
  detail: string;
  address?: string;
  /** `file:line` of the configuration the diagnostic points at, when given. */
  where?: string;
  /** Epoch ms from the message's `@timestamp` (or the clock when absent). */
  at: number;
}

export type HookType = 'apply_start' | 'apply_progress' | 'apply_complete' | 'apply_errored';

/** One apply hook event (a resource operation starting, progressing, completing or failing). */
export interface HookEvent {
  type: HookType;
  address: string;
  resourceType: string;
  action: string;
  /** Epoch ms from `@timestamp`, or the clock when the stream has none. */
  at: number;
  /** True when `at` came from the stream's own `@timestamp`. */
  stamped: boolean;
  elapsedSeconds?: number;
  idValue?: string;
}

export interface PlannedChange {
  address: string;
  action: string;
  reason?: string;
}

export interface ChangeSummary {
  operation: string;
  add: number;
  change: number;
  remove: number;
  import: number;
}

export interface RenderedLine {
  level: 'debug' | 'info' | 'warning' | 'error';
  text: string;
}

export type ParsedLine = { kind: 'message'; message: UiMessage } | { kind: 'text'; text: string };

/** One line of the stream: a UI message (a JSON object with a string `type`) or plain text. Blank → undefined. */
export function parseUiLine(line: string): ParsedLine | undefined {
  const text = line.replace(/\r$/, '');
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (
        value &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        typeof (value as UiMessage).type === 'string'
      ) {
        return { kind: 'message', message: value as UiMessage };
      }
    } catch {
      // not JSON after all: shown as text
    }
  }
  return { kind: 'text', text: stripAnsi(text) };
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

/** `module.vpc.aws_eip_association.nat[0]` → `aws_eip_association` (data sources: the data type). */
export function resourceTypeOf(address: string): string {
  const parts = address
    .replace(/\[[^\]]*\]/g, '')
    .split('.')
    .filter((p) => p !== '');
  let i = 0;
  while (parts[i] === 'module') i += 2;
  if (parts[i] === 'data') i++;
  return parts[i] ?? '';
}

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

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `[  12s]`, `[ 4m05s]`, `[1h02m]`: elapsed time as a fixed-width prefix. */
export function elapsedLabel(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  let text: string;
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  else text = `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `[${text.padStart(6)}]`;
}

function level(raw: unknown): RenderedLine['level'] {
  const l = str(raw)?.toLowerCase();
  if (l === 'error') return 'error';
  if (l === 'warn' || l === 'warning') return 'warning';
  if (l === 'debug' || l === 'trace') return 'debug';
  return 'info';
}

/** Short single-line JSON of an output value, for logs. */
function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** Every string leaf of a value (sensitive outputs are registered as secrets with the runner). */
function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}

export interface UiStreamOptions {
  /** Clock for lines without `@timestamp` (golden files and old versions omit it). */
  now: () => number;
  /** Called with each sensitive value seen, so the caller can mask it everywhere (core.setSecret). */
  onSecret?: (value: string) => void;
  /** How many non-JSON lines to keep for the failure report. */
  keepText?: number;
}

/**
 * Stateful reader of one terraform run's stream. `push` each line as it arrives and log what it returns;
 * call `end` when the process exits. What the run said is collected for the caller: diagnostics, hook events,
 * planned changes, the change summary and the non-JSON text.
 */
export class UiStream {
  readonly diagnostics: Diagnostic[] = [];
  readonly hooks: HookEvent[] = [];
  readonly planned: PlannedChange[] = [];
  readonly drift: PlannedChange[] = [];
  readonly text: string[] = [];
  readonly summaries: ChangeSummary[] = [];
  version?: string;
  unknownTypes = new Set<string>();
  messages = 0;
  private textCount = 0;
  private origin?: number;
  private refreshed = 0;
  private pending: 'planned' | 'drift' | 'refresh' | undefined;

  constructor(private readonly options: UiStreamOptions) {}

  /** Non-JSON lines seen (including those beyond `keepText`). */
  get textLines(): number {
    return this.textCount;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }

  push(line: string, source: 'stdout' | 'stderr' = 'stdout'): RenderedLine[] {
    const parsed = parseUiLine(line);
    if (!parsed) return [];
    if (parsed.kind === 'text') {
      this.textCount++;
      if (this.text.length < (this.options.keepText ?? 40)) this.text.push(parsed.text);
      const out = this.flush();
      out.push({
        level: source === 'stderr' ? 'warning' : 'info',
        text: source === 'stderr' ? `terraform (stderr): ${parsed.text}` : parsed.text,
      });
      return out;
    }
    this.messages++;
    return this.message(parsed.message);
  }

  end(): RenderedLine[] {
    return this.flush();
  }

  private time(m: UiMessage): { at: number; stamped: boolean } {
    const stamp = str(m['@timestamp']);
    const parsed = stamp ? Date.parse(stamp) : Number.NaN;
    const stamped = Number.isFinite(parsed);
    const at = stamped ? parsed : this.options.now();
    if (this.origin === undefined) this.origin = at;
    return { at, stamped };
  }

  private prefix(at: number): string {
    return elapsedLabel(at - (this.origin ?? at));
  }

  private flush(): RenderedLine[] {
    const out: RenderedLine[] = [];
    if (this.pending === 'planned' || this.pending === 'drift') {
      const list = this.pending === 'planned' ? this.planned : this.drift;
      const counts = new Map<string, number>();
      for (const c of list) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
      const tally = [...counts].map(([a, n]) => `${n} to ${a}`).join(', ');
      out.push({
        level: 'info',
        text: `${this.pending === 'planned' ? 'Planned changes' : 'Changed outside Terraform'} (${list.length}): ${tally}`,
      });
      for (const c of list) {
        const reason = c.reason ? `  (${c.reason.replace(/_/g, ' ')})` : '';
        out.push({
          level: 'info',
          text: `  ${(SYMBOLS[c.action] ?? '?').padEnd(3)} ${c.address}  ${c.action}${reason}`,
        });
      }
    } else if (this.pending === 'refresh') {
      out.push({ level: 'info', text: `Refreshed the state of ${this.refreshed} resource(s)` });
      this.refreshed = 0;
    }
    this.pending = undefined;
    return out;
  }

  private message(m: UiMessage): RenderedLine[] {
    const { at, stamped } = this.time(m);
    const message = str(m['@message']) ?? '';
    switch (m.type) {
      case 'planned_change':
      case 'resource_drift': {
        const change = obj(m.change);
        const resource = obj(change?.resource) as UiResource | undefined;
        const group = m.type === 'planned_change' ? 'planned' : 'drift';
        const out = this.pending && this.pending !== group ? this.flush() : [];
        this.pending = group;
        const entry: PlannedChange = {
          address: resource?.addr ?? message.split(':')[0] ?? '?',
          action: str(change?.action) ?? '?',
        };
        const reason = str(change?.reason);
        if (reason) entry.reason = reason;
        (group === 'planned' ? this.planned : this.drift).push(entry);
        return out;
      }
      case 'refresh_start':
      case 'refresh_complete': {
        const out = this.pending && this.pending !== 'refresh' ? this.flush() : [];
        this.pending = 'refresh';
        if (m.type === 'refresh_complete') this.refreshed++;
        return out;
      }
      default:
        break;
    }
    const out = this.flush();
    switch (m.type) {
      case 'version': {
        this.version = str(m.terraform);
        out.push({ level: 'info', text: `Terraform ${this.version ?? '?'} (JSON UI ${str(m.ui) ?? '?'})` });
        break;
      }
      case 'apply_start':
      case 'apply_progress':
      case 'apply_complete':
      case 'apply_errored': {
        const hook = obj(m.hook) ?? {};
        const resource = (obj(hook.resource) ?? {}) as UiResource;
        const address = resource.addr ?? message.split(':')[0] ?? '?';
        const action = str(hook.action) ?? '?';
        const event: HookEvent = {
          type: m.type,
          address,
          resourceType: resource.resource_type ?? resourceTypeOf(address),
          action,
          at,
          stamped,
        };
        const elapsed = num(hook.elapsed_seconds);
        if (elapsed !== undefined) event.elapsedSeconds = elapsed;
        const id = str(hook.id_value);
        if (id !== undefined) event.idValue = id;
        this.hooks.push(event);
        const [starting, progress, done] = verbs(action);
        const p = this.prefix(at);
        const after = elapsed !== undefined ? ` after ${elapsed}s` : '';
        const idText = id ? ` [${str(hook.id_key) ?? 'id'}=${id}]` : '';
        if (m.type === 'apply_start') out.push({ level: 'info', text: `${p} ${address}: ${starting}...${idText}` });
        else if (m.type === 'apply_progress')
          out.push({ level: 'info', text: `${p} ${address}: ${progress} (${elapsed ?? '?'}s elapsed)` });
        else if (m.type === 'apply_complete')
          out.push({ level: 'info', text: `${p} ${address}: ${done}${after}${idText}` });
        else out.push({ level: 'error', text: `${p} ${address}: FAILED to ${action}${after}` });
        break;
      }
      case 'diagnostic': {
        const d = obj(m.diagnostic) ?? {};
        const range = obj(d.range);
        const start = obj(range?.start);
        const diag: Diagnostic = {
          severity: str(d.severity) ?? (level(m['@level']) === 'error' ? 'error' : 'warning'),
          summary: str(d.summary) ?? message.replace(/^(Error|Warning): /, ''),
          detail: str(d.detail) ?? '',
          at,
        };
        const address = str(d.address);
        if (address) diag.address = address;
        if (range && str(range.filename))
          diag.where = `${str(range.filename)}${num(start?.line) !== undefined ? `:${num(start?.line)}` : ''}`;
        this.diagnostics.push(diag);
        out.push(...renderDiagnostic(diag, this.prefix(at)));
        break;
      }
      case 'change_summary': {
        const c = obj(m.changes) ?? {};
        const summary: ChangeSummary = {
          operation: str(c.operation) ?? '',
          add: num(c.add) ?? 0,
          change: num(c.change) ?? 0,
          remove: num(c.remove) ?? 0,
          import: num(c.import) ?? 0,
        };
        this.summaries.push(summary);
        out.push({
          level: 'info',
          text:
            message ||
            `${summary.operation}: ${summary.add} to add, ${summary.change} to change, ${summary.remove} to destroy.`,
        });
        break;
      }
      case 'outputs': {
        const outputs = obj(m.outputs) ?? {};
        const names = Object.keys(outputs).sort();
        out.push({ level: 'info', text: `Outputs (${names.length}):` });
        for (const name of names) {
          const o = obj(outputs[name]) ?? {};
          if (o.sensitive === true) {
            if ('value' in o)
              for (const leaf of stringLeaves(o.value)) if (leaf.length >= 3) this.options.onSecret?.(leaf);
            out.push({ level: 'info', text: `  ${name} = (sensitive value)` });
          } else if ('value' in o) {
            out.push({ level: 'info', text: `  ${name} = ${showValue(o.value)}` });
          } else {
            out.push({ level: 'info', text: `  ${name}: ${str(o.action) ?? 'known after apply'}` });
          }
        }
        break;
      }
      case 'log':
      case 'provision_start':
      case 'provision_progress':
      case 'provision_complete':
      case 'provision_errored':
        if (message) out.push({ level: m.type === 'provision_errored' ? 'error' : level(m['@level']), text: message });
        break;
      default:
        // Message types from newer terraform (policy_info, ephemeral_op_*, list_*, …): their @message is already
        // human text. Nothing else of them is shown.
        this.unknownTypes.add(m.type);
        if (message) out.push({ level: level(m['@level']) === 'error' ? 'error' : 'info', text: message });
        else out.push({ level: 'debug', text: `(terraform sent a ${m.type} message)` });
    }
    return out;
  }
}

export function renderDiagnostic(d: Diagnostic, prefix = ''): RenderedLine[] {
  const lvl: RenderedLine['level'] = d.severity === 'error' ? 'error' : 'warning';
  const head = `${prefix ? `${prefix} ` : ''}${d.severity === 'error' ? 'Error' : 'Warning'}${d.address ? ` at ${d.address}` : ''}: ${firstLineOf(d.summary)}`;
  const out: RenderedLine[] = [{ level: lvl, text: head }];
  const rest = [...d.summary.split(/\r?\n/).slice(1), ...d.detail.split(/\r?\n/)]
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  for (const l of rest.slice(0, 20)) out.push({ level: lvl, text: `    ${l.trim()}` });
  if (rest.length > 20) out.push({ level: lvl, text: `    … ${rest.length - 20} more line(s)` });
  if (d.where) out.push({ level: lvl, text: `    (${d.where})` });
  return out;
}

function firstLineOf(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}
