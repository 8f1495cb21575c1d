/**
 * Terraform's machine-readable UI (`terraform apply -json` / `plan -json`, JSON Lines): one line into a message or
 * plain text, and the facts a message carries read into typed values — a hook event, a diagnostic, a planned
 * change, the change summary, the outputs. No rendering here (render.ts) and no state (stream.ts).
 *
 * Message and field names are terraform's (internal/command/views/json: `type`, `@level`, `@message`,
 * `@timestamp`, `hook.resource.addr`, `hook.id_key`/`id_value`, `diagnostic.range.filename`, `changes.add`, …;
 * https://developer.hashicorp.com/terraform/internals/machine-readable-ui).
 */

interface UiResource {
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

/** One root module output of an `outputs` message. */
export interface UiOutput {
  name: string;
  sensitive: boolean;
  /** Present when the message carries the value. */
  value?: unknown;
  hasValue: boolean;
  /** The planned action (plan), when there is no value. */
  action?: string;
}

/** A log level: terraform's `@level` (error, warn, info, debug, trace) in the four the runner knows. */
export type UiLevel = 'debug' | 'info' | 'warning' | 'error';

export type ParsedLine = { kind: 'message'; message: UiMessage } | { kind: 'text'; text: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

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

function stripAnsi(text: string): string {
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

/** The message's `@level` as a log level (unknown and absent levels are info). */
export function uiLevel(raw: unknown): UiLevel {
  const l = str(raw)?.toLowerCase();
  if (l === 'error') return 'error';
  if (l === 'warn' || l === 'warning') return 'warning';
  if (l === 'debug' || l === 'trace') return 'debug';
  return 'info';
}

/** The message's `@message` text ('' when absent). */
export function messageText(m: UiMessage): string {
  return str(m['@message']) ?? '';
}

/** The message's `@timestamp` in epoch ms, or undefined when absent or not a date. */
export function messageTime(m: UiMessage): number | undefined {
  const stamp = str(m['@timestamp']);
  const parsed = stamp ? Date.parse(stamp) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A `version` message: terraform's version and the UI's. */
export function readVersion(m: UiMessage): { terraform?: string; ui?: string } {
  const terraform = str(m.terraform);
  const ui = str(m.ui);
  return { ...(terraform !== undefined ? { terraform } : {}), ...(ui !== undefined ? { ui } : {}) };
}

/** The address a message is about: its resource's `addr`, else the text before the first ':' of `@message`. */
function addressOf(resource: UiResource | undefined, m: UiMessage): string {
  return resource?.addr ?? messageText(m).split(':')[0] ?? '?';
}

/** A `planned_change` or `resource_drift` message's change. */
export function readPlannedChange(m: UiMessage): PlannedChange {
  const change = obj(m.change);
  const resource = obj(change?.resource) as UiResource | undefined;
  const entry: PlannedChange = { address: addressOf(resource, m), action: str(change?.action) ?? '?' };
  const reason = str(change?.reason);
  if (reason) entry.reason = reason;
  return entry;
}

/** An `apply_*` message's hook event, and the name of its id attribute (`id_key`, for the log). */
export function readHook(m: UiMessage & { type: HookType }, at: number, stamped: boolean) {
  const hook = obj(m.hook) ?? {};
  const resource = (obj(hook.resource) ?? {}) as UiResource;
  const address = addressOf(resource, m);
  const event: HookEvent = {
    type: m.type,
    address,
    resourceType: resource.resource_type ?? resourceTypeOf(address),
    action: str(hook.action) ?? '?',
    at,
    stamped,
  };
  const elapsed = num(hook.elapsed_seconds);
  if (elapsed !== undefined) event.elapsedSeconds = elapsed;
  const id = str(hook.id_value);
  if (id !== undefined) event.idValue = id;
  return { event, idKey: str(hook.id_key) };
}

/** A `diagnostic` message (severity from `@level` when the diagnostic has none; summary from `@message`). */
export function readDiagnostic(m: UiMessage, at: number): Diagnostic {
  const d = obj(m.diagnostic) ?? {};
  const range = obj(d.range);
  const start = obj(range?.start);
  const diag: Diagnostic = {
    severity: str(d.severity) ?? (uiLevel(m['@level']) === 'error' ? 'error' : 'warning'),
    summary: str(d.summary) ?? messageText(m).replace(/^(Error|Warning): /, ''),
    detail: str(d.detail) ?? '',
    at,
  };
  const address = str(d.address);
  if (address) diag.address = address;
  if (range && str(range.filename))
    diag.where = `${str(range.filename)}${num(start?.line) !== undefined ? `:${num(start?.line)}` : ''}`;
  return diag;
}

/** A `change_summary` message's counts (missing counts are 0). */
export function readChangeSummary(m: UiMessage): ChangeSummary {
  const c = obj(m.changes) ?? {};
  return {
    operation: str(c.operation) ?? '',
    add: num(c.add) ?? 0,
    change: num(c.change) ?? 0,
    remove: num(c.remove) ?? 0,
    import: num(c.import) ?? 0,
  };
}

/** An `outputs` message's outputs, sorted by name. */
export function readOutputs(m: UiMessage): UiOutput[] {
  const outputs = obj(m.outputs) ?? {};
  return Object.keys(outputs)
    .sort()
    .map((name) => {
      const o = obj(outputs[name]) ?? {};
      const action = str(o.action);
      return {
        name,
        sensitive: o.sensitive === true,
        hasValue: 'value' in o,
        ...('value' in o ? { value: o.value } : {}),
        ...(action !== undefined ? { action } : {}),
      };
    });
}

/** Every string leaf of a value (sensitive outputs are registered as secrets with the runner). */
export function stringLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) stringLeaves(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringLeaves(v, out);
  return out;
}
