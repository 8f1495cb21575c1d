/**
 * The parts of a plan's `prior_state` and `configuration` a caller asks for, read while the plan streams past
 * (plan/scan.ts walks those two top-level values): the resource instances of prior_state (root module and child
 * modules at any depth: values.root_module.resources, …child_modules[].resources) and the resource blocks of the
 * configuration (root_module.resources, …module_calls.<name>.module.resources), of the wanted resource types only.
 * Every other element is skipped by a look at its `type` without being parsed. Source: terraform's JSON output
 * format, "Values Representation" and "Configuration Representation"
 * (https://developer.hashicorp.com/terraform/internals/json-format).
 */
import { PlanFormatError, type KeyHandling } from './scan';
import type { ConfigResource, PlanSections, PriorResource } from './types';

export interface SectionOptions {
  /** Resource types whose prior_state instances are kept (either mode). */
  priorTypes?: ReadonlySet<string>;
  /** Resource types whose configuration blocks are kept (either mode). */
  configTypes?: ReadonlySet<string>;
}

const TYPE_KEY = Buffer.from('"type":"');

/**
 * The resource's own type in a compact element, without parsing: terraform writes a resource's address, mode and
 * type before any nested value, and `"type":"` cannot occur inside a string (its quotes would be escaped), so the
 * first one is the resource's. Undefined when the element is not compact or has none (the caller then parses).
 */
function peekType(raw: Buffer): string | undefined {
  const at = raw.indexOf(TYPE_KEY);
  if (at < 0) return undefined;
  const end = raw.indexOf(0x22, at + TYPE_KEY.length);
  return end < 0 ? undefined : raw.toString('utf8', at + TYPE_KEY.length, end);
}

type Place = 'module' | 'calls' | 'call' | 'other';

/**
 * Where a path (keys from prior_state's or configuration's value down to an object) stands, read from the root so
 * that a module named like a key (`module "resources"`) cannot mislead it: a module object (prior_state:
 * values.root_module, then child_modules[] steps; configuration: root_module, then module_calls.<name>.module
 * steps), a configuration module_calls object, one module call, or anywhere else.
 */
function placeOf(top: string, path: readonly string[]): Place {
  if (top === 'prior_state') {
    if (path[0] !== 'values' || path[1] !== 'root_module') return 'other';
    for (let i = 2; i < path.length; i += 2) if (path[i] !== 'child_modules' || path[i + 1] !== '[]') return 'other';
    return 'module';
  }
  if (path[0] !== 'root_module') return 'other';
  for (let i = 1; ; i += 3) {
    const left = path.length - i;
    if (left === 0) return 'module';
    if (path[i] !== 'module_calls') return 'other';
    if (left === 1) return 'calls';
    if (left === 2) return 'call';
    if (path[i + 2] !== 'module') return 'other';
  }
}

/** `module.a.module.b` from the module calls named along a configuration path (root_module, module_calls, a, …). */
function moduleAddressOf(path: readonly string[]): string {
  const calls: string[] = [];
  for (let i = 2; i < path.length; i += 3) calls.push(`module.${path[i]}`);
  return calls.join('.');
}

const str = (v: unknown): v is string => typeof v === 'string';

export class SectionCollector {
  private prior: PriorResource[] = [];
  private config: ConfigResource[] = [];

  constructor(private readonly options: SectionOptions) {}

  /** Walk prior_state / configuration only when something of them is wanted. */
  wants(key: string): boolean {
    if (key === 'prior_state') return (this.options.priorTypes?.size ?? 0) > 0;
    if (key === 'configuration') return (this.options.configTypes?.size ?? 0) > 0;
    return false;
  }

  /** The scanner's question for a key of a walked object: descend, hand back its elements, or skip. */
  nestedKey(top: string, path: readonly string[], key: string): KeyHandling {
    if (path.length === 0) return (top === 'prior_state' ? key === 'values' : key === 'root_module') ? 'walk' : 'skip';
    if (top === 'prior_state' && path.length === 1) return key === 'root_module' ? 'walk' : 'skip';
    const place = placeOf(top, path);
    if (place === 'module') {
      if (key === 'resources') return 'elements';
      return key === (top === 'prior_state' ? 'child_modules' : 'module_calls') ? 'walk' : 'skip';
    }
    if (place === 'calls') return 'walk'; // one module call, by its name
    return place === 'call' && key === 'module' ? 'walk' : 'skip';
  }

  /** One element of a `resources` array of prior_state or configuration. */
  element(top: string, raw: Buffer, compact: boolean, path: readonly string[]): void {
    const types = top === 'prior_state' ? this.options.priorTypes : this.options.configTypes;
    if (!types || path[path.length - 1] !== 'resources' || placeOf(top, path.slice(0, -1)) !== 'module') return;
    if (compact) {
      const type = peekType(raw);
      if (type !== undefined && !types.has(type)) return;
    }
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new PlanFormatError(`a resource of ${top} is not valid JSON`);
    }
    if (!r || typeof r !== 'object' || !str(r.address) || !str(r.type) || !types.has(r.type)) return;
    const common = { type: r.type, name: str(r.name) ? r.name : '', ...(str(r.mode) ? { mode: r.mode } : {}) };
    if (top === 'prior_state') {
      this.prior.push({
        address: r.address,
        ...common,
        ...(typeof r.index === 'number' || str(r.index) ? { index: r.index } : {}),
        values: r.values,
        sensitive_values: r.sensitive_values,
      });
      return;
    }
    const moduleAddress = moduleAddressOf(path.slice(0, -1));
    const expressions = r.expressions && typeof r.expressions === 'object' ? r.expressions : undefined;
    this.config.push({
      address: moduleAddress ? `${moduleAddress}.${r.address}` : r.address,
      moduleAddress,
      ...common,
      ...(expressions ? { expressions: expressions as Record<string, unknown> } : {}),
    });
  }

  /** The sections of the document just read; the collector starts over for the next one. */
  take(): PlanSections {
    const out = { priorState: this.prior, configuration: this.config };
    this.prior = [];
    this.config = [];
    return out;
  }
}
