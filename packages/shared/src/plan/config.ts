/**
 * Plan-format facts about the configuration and the prior state a plan carries (plan/sections.ts keeps them): the
 * configuration block of a resource change, what an argument of it references, and a prior_state instance's values.
 * Nothing here knows what a resource is. Source: terraform's JSON output format, "Configuration Representation"
 * (an argument is `{constant_value}` or `{references}`; references name `data.<type>.<name>[<key>]`, its
 * attributes and the whole resource, relative to the module) and "Values Representation"
 * (https://developer.hashicorp.com/terraform/internals/json-format).
 */
import type { ConfigResource, PlanSections, PriorResource, ResourceChange } from './types';
import { asObj, markedAt, shownIn, type ValuePath } from './values';

/** An empty PlanSections (a plan read without them, or built in a test). */
export const NO_SECTIONS: PlanSections = { priorState: [], configuration: [] };

const KEY = /\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]/g;

/** An instance address without its instance keys: `module.nat["a"].aws_instance.x[1]` → `module.nat.aws_instance.x`. */
export function withoutKeys(address: string): string {
  return address.replace(KEY, '');
}

/** The configuration block a resource change belongs to, when the plan carries it. */
export function configOf(sections: PlanSections, rc: ResourceChange): ConfigResource | undefined {
  const address = withoutKeys(rc.address);
  return sections.configuration.find((c) => c.address === address);
}

/** Is the argument written in the block (as a constant or an expression)? */
export function setsArgument(config: ConfigResource | undefined, name: string): boolean {
  return !!config?.expressions && name in config.expressions;
}

/** The references of an argument's expression (terraform's list, most specific first), or []. */
export function argumentReferences(config: ConfigResource | undefined, name: string): string[] {
  const refs = asObj(config?.expressions?.[name])?.references;
  return Array.isArray(refs) ? refs.filter((r): r is string => typeof r === 'string') : [];
}

/** The prior_state instance at `address`, if the plan carries it. */
export function priorAt(sections: PlanSections, address: string): PriorResource | undefined {
  return sections.priorState.find((p) => p.address === address);
}

/** A prior_state instance's value at `path`, for matching and decisions only (never for display). */
export function priorRaw(r: PriorResource, path: ValuePath): unknown {
  let v: unknown = r.values;
  for (const key of path) v = Array.isArray(v) ? (typeof key === 'number' ? v[key] : undefined) : asObj(v)?.[key];
  return v;
}

/** A prior_state instance's value at `path` as text for a person: "(sensitive)" when marked (shownValue's rules). */
export function priorShown(r: PriorResource, path: ValuePath): string | undefined {
  return shownIn(r.values, r.sensitive_values, path);
}

/** Is anything at `path` of a prior_state instance marked sensitive? */
export function priorSensitive(r: PriorResource, path: ValuePath): boolean {
  return markedAt(r.sensitive_values, path);
}
