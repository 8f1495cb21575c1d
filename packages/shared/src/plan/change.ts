/**
 * Plan-format facts about one resource change that do not depend on what the resource is: which top-level
 * attributes change, and which ones force the replacement. Source: terraform's JSON output format, "Resource
 * Changes" and "Change Representation" (https://developer.hashicorp.com/terraform/internals/json-format).
 */
import { canonicalJson } from './digest';
import type { ResourceChange } from './types';
import { asObj, marksAny } from './values';

/**
 * The top-level attribute names whose value differs between `change.before` and `change.after`, or that
 * `after_unknown` marks (anywhere inside), sorted. A name absent on one side counts as null there. Names only:
 * the values are never returned.
 */
export function changedAttributes(rc: ResourceChange): string[] {
  const before = asObj(rc.change.before) ?? {};
  const after = asObj(rc.change.after) ?? {};
  const unknown = asObj(rc.change.after_unknown) ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after), ...Object.keys(unknown)]);
  return [...names]
    .filter((n) => marksAny(unknown[n]) || canonicalJson(before[n] ?? null) !== canonicalJson(after[n] ?? null))
    .sort();
}

/**
 * The top-level attribute of each `change.replace_paths` entry (terraform ≥ 1.2: the paths whose change forces the
 * replacement), in plan order; [] when the plan has none or does not say.
 */
export function replacePaths(rc: ResourceChange): string[] {
  const paths = rc.change.replace_paths;
  return Array.isArray(paths) ? paths.filter(Array.isArray).map((p) => String(p[0])) : [];
}
