/**
 * Terraform's machine-readable UI (`terraform apply -json` / `plan -json`, JSON Lines) read as it arrives and shown
 * as grouped, readable log lines: planned changes as one block, progress with elapsed time, errors with their
 * resource address. Raw JSON is never printed; sensitive output values are masked; message types this code
 * does not know are shown through their `@message` text; lines that are not JSON (a crash's panic output,
 * a wrapper's noise) are passed through as text and kept for the failure report.
 * messages.ts reads each message, render.ts makes its lines; this file holds the run's state.
 */
import {
  messageText,
  messageTime,
  parseUiLine,
  readChangeSummary,
  readDiagnostic,
  readHook,
  readOutputs,
  readPlannedChange,
  readVersion,
  stringLeaves,
  uiLevel,
  type ChangeSummary,
  type Diagnostic,
  type HookEvent,
  type HookType,
  type PlannedChange,
  type UiMessage,
} from './messages';
import {
  elapsedLabel,
  renderChangeBlock,
  renderChangeSummary,
  renderDiagnostic,
  renderHook,
  renderOutputs,
  renderRefreshed,
  renderVersion,
  type RenderedLine,
} from './render';

export interface UiStreamOptions {
  /** Clock for lines without `@timestamp` (golden files and old versions omit it). */
  now: () => number;
  /** Called with each sensitive value seen, so the caller can mask it everywhere (core.setSecret). */
  onSecret?: (value: string) => void;
  /** How many non-JSON lines to keep for the failure report. */
  keepText?: number;
}

/** Messages shown as a block once the next message of another kind arrives. */
type Pending = 'planned' | 'drift' | 'refresh';

const HOOK_TYPES = new Set<string>(['apply_start', 'apply_progress', 'apply_complete', 'apply_errored']);
/** Messages whose `@message` is the line (provisioner output, terraform's own log lines). */
const TEXT_TYPES = new Set(['log', 'provision_start', 'provision_progress', 'provision_complete', 'provision_errored']);

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
  private pending: Pending | undefined;

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
    const stamp = messageTime(m);
    const at = stamp ?? this.options.now();
    if (this.origin === undefined) this.origin = at;
    return { at, stamped: stamp !== undefined };
  }

  private prefix(at: number): string {
    return elapsedLabel(at - (this.origin ?? at));
  }

  /** The pending block's lines (planned changes, drift, refreshes), if any. */
  private flush(): RenderedLine[] {
    const out: RenderedLine[] = [];
    if (this.pending === 'planned') out.push(...renderChangeBlock('planned', this.planned));
    else if (this.pending === 'drift') out.push(...renderChangeBlock('drift', this.drift));
    else if (this.pending === 'refresh') {
      out.push(renderRefreshed(this.refreshed));
      this.refreshed = 0;
    }
    this.pending = undefined;
    return out;
  }

  /** Starts (or continues) a block: the lines of a different pending block come first. */
  private gather(kind: Pending): RenderedLine[] {
    const out = this.pending && this.pending !== kind ? this.flush() : [];
    this.pending = kind;
    return out;
  }

  private message(m: UiMessage): RenderedLine[] {
    const { at, stamped } = this.time(m);
    if (m.type === 'planned_change' || m.type === 'resource_drift') {
      const kind = m.type === 'planned_change' ? 'planned' : 'drift';
      const out = this.gather(kind);
      (kind === 'planned' ? this.planned : this.drift).push(readPlannedChange(m));
      return out;
    }
    if (m.type === 'refresh_start' || m.type === 'refresh_complete') {
      const out = this.gather('refresh');
      if (m.type === 'refresh_complete') this.refreshed++;
      return out;
    }
    const out = this.flush();
    out.push(...this.lines(m, at, stamped));
    return out;
  }

  /** The lines of a message that is not part of a block, recording what it says. */
  private lines(m: UiMessage, at: number, stamped: boolean): RenderedLine[] {
    const message = messageText(m);
    if (HOOK_TYPES.has(m.type)) {
      const { event, idKey } = readHook(m as UiMessage & { type: HookType }, at, stamped);
      this.hooks.push(event);
      return [renderHook(event, this.prefix(at), idKey)];
    }
    switch (m.type) {
      case 'version': {
        const v = readVersion(m);
        this.version = v.terraform;
        return [renderVersion(v)];
      }
      case 'diagnostic': {
        const diag = readDiagnostic(m, at);
        this.diagnostics.push(diag);
        return renderDiagnostic(diag, this.prefix(at));
      }
      case 'change_summary': {
        const summary = readChangeSummary(m);
        this.summaries.push(summary);
        return [renderChangeSummary(summary, message)];
      }
      case 'outputs':
        return renderOutputs(this.readOutputs(m));
      default:
        break;
    }
    if (TEXT_TYPES.has(m.type))
      return message ? [{ level: m.type === 'provision_errored' ? 'error' : uiLevel(m['@level']), text: message }] : [];
    // Message types from newer terraform (policy_info, ephemeral_op_*, list_*, …): their @message is already
    // human text. Nothing else of them is shown.
    this.unknownTypes.add(m.type);
    if (message) return [{ level: uiLevel(m['@level']) === 'error' ? 'error' : 'info', text: message }];
    return [{ level: 'debug', text: `(terraform sent a ${m.type} message)` }];
  }

  /** The outputs, each sensitive value handed to `onSecret` first (3 characters or more). */
  private readOutputs(m: UiMessage) {
    const outputs = readOutputs(m);
    for (const o of outputs)
      if (o.sensitive && o.hasValue)
        for (const leaf of stringLeaves(o.value)) if (leaf.length >= 3) this.options.onSecret?.(leaf);
    return outputs;
  }
}
