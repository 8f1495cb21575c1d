/**
 * Loads `terraform show -json` output from a file (streamed) or a string: decodes the encoding, scans
 * every document, validates that each is a plan this toolkit understands, digests it, and keeps the
 * resource changes the caller wants. Every problem is a PlanFormatError with a one-line message.
 */
import { createReadStream, statSync } from 'node:fs';
import { PlanDigest } from './digest';
import { PlanFormatError, PlanScanner, type KeyHandling } from './scan';
import { SectionCollector, type SectionOptions } from './sections';
import type { LoadResult, LoadedPlan, PlanHeader, ResourceChange } from './types';

export { PlanFormatError } from './scan';

export interface LoadOptions extends SectionOptions {
  /** Which resource changes to keep in memory (all are still counted and digested). */
  keep?: (change: ResourceChange) => boolean;
  /**
   * Resource types that may be kept. Changes of other types are counted and digested without being
   * parsed at all (the fast path for very large plans); `keep` still decides among these types.
   */
  keepTypes?: ReadonlySet<string>;
}

const TYPE_KEY = Buffer.from('"type":"');
const CHANGE_KEY = Buffer.from('"change":');
const ACTIONS_KEY = Buffer.from('"change":{"actions":[');

/**
 * Reads the top-level type and actions of a compact resource change without parsing it. Terraform writes
 * a change's own fields (address, mode, type, name, index) before "change", and a literal `"type":"`
 * cannot occur inside a string value (its quotes would be escaped), so the first one before "change" is
 * the resource's. Returns undefined when the layout is anything else: the caller then parses.
 */
function peekTypeAndActions(raw: Buffer): { type: string; actions: string[] } | undefined {
  const changeAt = raw.indexOf(CHANGE_KEY);
  const typeAt = raw.indexOf(TYPE_KEY);
  if (changeAt < 0 || typeAt < 0 || typeAt > changeAt || raw.indexOf(ACTIONS_KEY) !== changeAt) return undefined;
  const typeEnd = raw.indexOf(0x22, typeAt + TYPE_KEY.length);
  const actionsStart = changeAt + ACTIONS_KEY.length - 1;
  const actionsEnd = raw.indexOf(0x5d /* ] */, actionsStart);
  if (typeEnd < 0 || actionsEnd < 0) return undefined;
  try {
    const actions = JSON.parse(raw.toString('utf8', actionsStart, actionsEnd + 1)) as unknown;
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return undefined;
    return { type: raw.toString('utf8', typeAt + TYPE_KEY.length, typeEnd), actions };
  } catch {
    return undefined;
  }
}

type StringField = 'formatVersion' | 'planFormatVersion' | 'terraformVersion';
type BoolField = 'errored' | 'applyable' | 'complete';
const HEADER_KEYS: Record<string, StringField | BoolField> = {
  format_version: 'formatVersion',
  plan_format_version: 'planFormatVersion',
  terraform_version: 'terraformVersion',
  errored: 'errored',
  applyable: 'applyable',
  complete: 'complete',
};

/** The replace/create/delete/… kind of a change, from its `actions` list. */
export function actionKind(actions: readonly string[]): string {
  if (actions.length === 2 && actions.includes('create') && actions.includes('delete')) return 'replace';
  if (actions.length === 1) return actions[0] as string;
  return actions.join('/') || 'no-op';
}

class PlanCollector {
  readonly documents: LoadedPlan[] = [];
  readonly noise: string[] = [];
  private header: PlanHeader = { keys: [] };
  private changes: ResourceChange[] = [];
  private total = 0;
  private counts: Record<string, number> = {};
  private digest = new PlanDigest();
  private deferred: { address: string; reason: string }[] = [];
  private readonly keep: (c: ResourceChange) => boolean;
  private readonly keepTypes?: ReadonlySet<string>;
  private readonly sections: SectionCollector;

  constructor(options: LoadOptions) {
    this.keep = options.keep ?? (() => true);
    if (options.keepTypes) this.keepTypes = options.keepTypes;
    this.sections = new SectionCollector(options);
  }

  handler() {
    return {
      documentStart: () => {
        this.header = { keys: [] };
        this.changes = [];
        this.total = 0;
        this.counts = {};
        this.digest = new PlanDigest();
        this.deferred = [];
        this.sections.take();
      },
      key: (name: string): KeyHandling => {
        this.header.keys.push(name);
        if (name === 'resource_changes' || name === 'deferred_changes') return 'elements';
        if (name in HEADER_KEYS || name === 'output_changes') return 'capture';
        return this.sections.wants(name) ? 'walk' : 'skip';
      },
      value: (name: string, raw: Buffer) => this.value(name, raw),
      element: (name: string, raw: Buffer, compact: boolean, path?: readonly string[]) => {
        if (path) this.sections.element(name, raw, compact, path);
        else if (name === 'deferred_changes') this.deferredElement(raw);
        else this.element(raw, compact);
      },
      nestedKey: (name: string, path: readonly string[], key: string) => this.sections.nestedKey(name, path, key),
      documentEnd: (index: number) => this.documentEnd(index),
      noise: (line: string) => this.noise.push(line),
    };
  }

  private value(name: string, raw: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new PlanFormatError(`the value of "${name}" is not valid JSON`);
    }
    if (name === 'output_changes') {
      this.digest.setOutputChanges(raw);
      return;
    }
    const field = HEADER_KEYS[name];
    if (!field) return;
    if (field === 'errored' || field === 'applyable' || field === 'complete') {
      if (typeof parsed === 'boolean') this.header[field] = parsed;
    } else if (typeof parsed === 'string') {
      this.header[field] = parsed;
    } else if (parsed !== null) {
      throw new PlanFormatError(`"${name}" should be a string, found ${JSON.stringify(parsed).slice(0, 40)}`);
    }
  }

  private element(raw: Buffer, compact: boolean): void {
    const position = this.total;
    if (this.keepTypes && compact) {
      const peek = peekTypeAndActions(raw);
      if (peek && !this.keepTypes.has(peek.type)) {
        this.count(peek.actions, raw, compact);
        return;
      }
    }
    let rc: unknown;
    try {
      rc = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new PlanFormatError(`resource_changes[${position}] is not valid JSON`);
    }
    const change = rc as ResourceChange;
    if (
      !rc ||
      typeof rc !== 'object' ||
      typeof change.address !== 'string' ||
      !change.change ||
      typeof change.change !== 'object' ||
      !Array.isArray(change.change.actions)
    ) {
      throw new PlanFormatError(
        `resource_changes[${position}] is not a resource change (it needs "address" and "change.actions")`,
      );
    }
    if (typeof change.type !== 'string') change.type = typeFromAddress(change.address);
    if (typeof change.name !== 'string') change.name = '';
    this.count(change.change.actions, raw, compact);
    if ((!this.keepTypes || this.keepTypes.has(change.type)) && this.keep(change)) this.changes.push(change);
  }

  /** One `deferred_changes` entry (terraform ≥ 1.10 with -allow-deferral): {reason, resource_change}. */
  private deferredElement(raw: Buffer): void {
    try {
      const d = JSON.parse(raw.toString('utf8')) as { reason?: unknown; resource_change?: { address?: unknown } };
      this.deferred.push({
        address: String(d.resource_change?.address ?? '(unknown address)'),
        reason: String(d.reason ?? 'unknown'),
      });
    } catch {
      throw new PlanFormatError(`deferred_changes[${this.deferred.length}] is not valid JSON`);
    }
  }

  private count(actions: readonly string[], raw: Buffer, compact: boolean): void {
    this.total++;
    const kind = actionKind(actions);
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    this.digest.addChange(raw, compact);
  }

  private documentEnd(index: number): void {
    const header = this.header;
    const where = (problem: string) => new PlanFormatError(problem);
    const keys = new Set(header.keys);
    if (keys.has('lineage') || keys.has('serial')) {
      throw where('is a Terraform state file, not a plan: run `terraform show -json <planfile>` on a saved plan');
    }
    const isPlan =
      keys.has('resource_changes') ||
      keys.has('planned_values') ||
      keys.has('output_changes') ||
      keys.has('resource_drift');
    if (!isPlan) {
      if (keys.has('values'))
        throw where(
          'is `terraform show -json` of the state, not of a plan: pass a saved plan file ' +
            '(`terraform plan -out=tfplan`, then `terraform show -json tfplan`)',
        );
      if (keys.size === 0) throw where('is an empty JSON object, not a plan');
      throw where(
        `is not a Terraform plan (top-level keys: ${[...keys].slice(0, 6).join(', ')}; ` +
          'a plan has resource_changes or planned_values)',
      );
    }
    const warnings: string[] = [];
    const version = header.formatVersion ?? header.planFormatVersion;
    if (version !== undefined) {
      const major = Number.parseInt(version, 10);
      if (!/^\d+\.\d+/.test(version) || Number.isNaN(major))
        throw where(`format_version ${JSON.stringify(version)} is not a version number`);
      if (major >= 2)
        throw where(
          `format_version ${version} is newer than this action understands (0.x and 1.x): upgrade plan-guard`,
        );
    } else {
      warnings.push('the plan has no format_version: read as format 1.x');
    }
    if (header.planFormatVersion !== undefined && header.formatVersion === undefined) {
      warnings.push(
        `HCP Terraform redacted plan JSON (plan_format_version ${header.planFormatVersion}): read as format 1.x`,
      );
    }
    if (header.errored === true) {
      throw where(
        'is an errored plan: terraform could not finish planning, so the changes are incomplete; ' +
          'fix the errors `terraform plan` printed and plan again',
      );
    }
    if (header.complete === false)
      warnings.push('the plan is incomplete (complete=false): another plan and apply will be needed after this one');
    if (header.applyable === false && this.total > 0) warnings.push('terraform marks this plan as not applyable');
    if (this.deferred.length > 0) warnings.push(deferredWarning(this.deferred));
    this.documents.push({
      index,
      header,
      changes: this.changes,
      totalChanges: this.total,
      actionCounts: this.counts,
      digest: this.digest.digest(),
      warnings,
      sections: this.sections.take(),
    });
  }
}

/** Terraform's deferral reasons (JSON output format, "deferred_changes"), worded. */
const DEFERRAL_REASONS: Record<string, string> = {
  resource_config_unknown: 'its count or for_each is unknown until other changes are applied',
  provider_config_unknown: "its provider's configuration is unknown until apply",
  absent_prereq: 'something it depends on does not exist yet',
  deferred_prereq: 'something it depends on is deferred too',
};

function deferredWarning(deferred: { address: string; reason: string }[]): string {
  const shown = deferred.slice(0, 5).map((d) => `${d.address} (${DEFERRAL_REASONS[d.reason] ?? d.reason})`);
  const more = deferred.length > 5 ? ` and ${deferred.length - 5} more` : '';
  return (
    `terraform deferred ${deferred.length} change(s) that are not in this plan and are not assessed here: ` +
    `${shown.join(', ')}${more}. Plan and review again after this apply.`
  );
}

function typeFromAddress(address: string): string {
  const parts = address.replace(/\[[^\]]*\]/g, '').split('.');
  const mod = parts.lastIndexOf('module');
  const rest = parts.slice(mod >= 0 ? mod + 2 : 0);
  return (rest[0] === 'data' ? rest[1] : rest[0]) ?? '';
}

type Decoder = (chunk: Buffer, final: boolean) => Buffer;

/** Chooses how to turn the input's bytes into UTF-8, from its first bytes. */
function pickDecoder(head: Buffer, warnings: string[]): { decode: Decoder; skip: number } {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    warnings.push('the file starts with a UTF-8 byte order mark (ignored)');
    return { decode: (b) => b, skip: 3 };
  }
  const utf16 = (label: 'utf-16le' | 'utf-16be', skip: number, why: string) => {
    warnings.push(
      `the file is ${why} (as PowerShell's \`>\` writes it); decoded. ` +
        'Prefer `terraform show -json tfplan | Out-File -Encoding utf8` or bash',
    );
    const decoder = new TextDecoder(label, { fatal: false });
    return { decode: (b: Buffer, final: boolean) => Buffer.from(decoder.decode(b, { stream: !final }), 'utf8'), skip };
  };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe)
    return utf16('utf-16le', 2, 'UTF-16 (little-endian, with BOM)');
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff)
    return utf16('utf-16be', 2, 'UTF-16 (big-endian, with BOM)');
  if (head.length >= 2 && head[0] !== 0 && head[1] === 0) return utf16('utf-16le', 0, 'UTF-16 (little-endian, no BOM)');
  return { decode: (b) => b, skip: 0 };
}

function finish(scanner: PlanScanner, collector: PlanCollector, warnings: string[], bytes: number): LoadResult {
  scanner.end();
  if (bytes === 0) throw new PlanFormatError('is empty');
  if (collector.documents.length === 0) throw new PlanFormatError('holds no JSON document');
  if (collector.noise.length > 0) {
    warnings.push(
      `skipped ${collector.noise.length} line(s) of GitHub workflow-command noise around the JSON ` +
        "(hashicorp/setup-terraform's wrapper): set `terraform_wrapper: false`",
    );
  }
  return { documents: collector.documents, warnings, bytes };
}

/** Streams a plan file from disk; memory stays proportional to the changes kept, not the file size. */
export async function loadPlanFile(path: string, options: LoadOptions = {}): Promise<LoadResult> {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new PlanFormatError('is a directory, not a file');
    size = stat.size;
  } catch (err) {
    if (err instanceof PlanFormatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanFormatError(code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`);
  }
  if (size === 0) throw new PlanFormatError('is empty');
  const collector = new PlanCollector(options);
  const scanner = new PlanScanner(collector.handler());
  const warnings: string[] = [];
  let decode: Decoder | undefined;
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = chunk;
      if (!decode) {
        const picked = pickDecoder(buf, warnings);
        decode = picked.decode;
        buf = buf.subarray(picked.skip);
      }
      bytes += chunk.length;
      scanner.write(decode(buf, false));
    }
  } catch (err) {
    stream.destroy();
    if (err instanceof PlanFormatError) throw err;
    throw new PlanFormatError(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (decode) scanner.write(decode(Buffer.alloc(0), true));
  return finish(scanner, collector, warnings, bytes);
}

/** Same as loadPlanFile, for input already in memory. */
export function loadPlanText(input: string | Buffer, options: LoadOptions = {}): LoadResult {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const collector = new PlanCollector(options);
  const scanner = new PlanScanner(collector.handler());
  const warnings: string[] = [];
  if (buf.length > 0) {
    const { decode, skip } = pickDecoder(buf, warnings);
    scanner.write(decode(buf.subarray(skip), true));
  }
  return finish(scanner, collector, warnings, buf.length);
}
