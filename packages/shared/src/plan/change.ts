/**
 * Plan-format facts about one resource change that do not depend on what the resource is: which top-level
 * attributes change, which planned values are known at plan time, and which attributes force the replacement.
 * Source: terraform's JSON output format, "Resource Changes" and "Change Representation"
 * (https://developer.hashicorp.com/terraform/internals/json-format).
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
 * The top-level attributes of `change.after` whose planned value is fully known at plan time (nothing inside them
 * is marked in `after_unknown`), as canonical JSON by attribute name; undefined when the change has no after
 * object (a deletion). For comparing two plans of the same resource; the values may be sensitive: never printed.
 */
export function knownAfterValues(rc: ResourceChange): Record<string, string> | undefined {
  const after = asObj(rc.change.after);
  if (!after) return undefined;
  const unknown = asObj(rc.change.after_unknown) ?? {};
  const known: Record<string, string> = {};
  for (const [k, v] of Object.entries(after)) {
    if (marksAny(unknown[k])) continue;
    known[k] = canonicalJson(v ?? null);
  }
  return known;
}

/**
 * The top-level attribute of each `change.replace_paths` entry (terraform ≥ 1.2: the paths whose change forces the
 * replacement), in plan order; [] when the plan has none or does not say.
 */
export function replacePaths(rc: ResourceChange): string[] {
  const paths = rc.change.replace_paths;
  return Array.isArray(paths) ? paths.filter(Array.isArray).map((p) => String(p[0])) : [];
}
