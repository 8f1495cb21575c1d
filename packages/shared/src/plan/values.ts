/**
 * Reading values out of a plan's resource changes. Two readers, for two purposes:
 *
 * - `shownValue` is the ONLY way a value taken from a plan reaches anything a person reads (comment, job
 *   summary, outputs, annotations, log lines). It honours terraform's sensitivity markers
 *   (`before_sensitive` / `after_sensitive`, JSON plan format 1.x: `true` marks a whole value; objects and
 *   arrays mirror the value's shape and mark parts of it at any depth) and returns "(sensitive)" for a marked
 *   value, or for a composite value with anything marked inside it.
 * - `rawValue` reads a value for matching only (linking a route to its gateway by id, an address to its
 *   allocation). Its result must never be put into text; the property test in test/review/sensitive.test.ts runs
 *   the whole report pipeline with a canary in every marked value to prove that.
 *
 * Source: terraform's JSON output format, "Change Representation"
 * (https://developer.hashicorp.com/terraform/internals/json-format#change-representation).
 */
import type { ResourceChange } from './types';

export type Obj = Record<string, unknown>;
export type Side = 'before' | 'after';
/** A path into a value: object keys and array indices, e.g. ['route', 0, 'nat_gateway_id']. */
export type ValuePath = readonly (string | number)[];

/** What `shownValue` returns in place of a sensitive value. */
export const SENSITIVE_TEXT = '(sensitive)';

/** The value as a plain object, or undefined. */
export function asObj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** Does an after_unknown / *_sensitive marker mark anything (true itself, or true anywhere inside)? */
export function marksAny(marker: unknown): boolean {
  if (marker === true) return true;
  if (!marker || typeof marker !== 'object') return false;
  return Object.values(marker as Obj).some(marksAny);
}

function step(v: unknown, key: string | number): unknown {
  if (Array.isArray(v)) return typeof key === 'number' ? v[key] : undefined;
  return asObj(v)?.[String(key)];
}

/** Is the value at `path` covered by `marker`: marked itself, under a marked ancestor, or marking anything inside? */
export function markedAt(marker: unknown, path: ValuePath): boolean {
  let m = marker;
  for (const key of path) {
    if (m === true) return true;
    if (!m || typeof m !== 'object') return false;
    m = step(m, key);
  }
  return marksAny(m);
}

function sides(rc: ResourceChange, side: Side): { value: unknown; marker: unknown } {
  const c = rc.change;
  return side === 'before'
    ? { value: c.before, marker: c.before_sensitive }
    : { value: c.after, marker: c.after_sensitive };
}

/** The value at `path` on one side, for matching and decisions only: never for display (use shownValue). */
export function rawValue(rc: ResourceChange, side: Side, path: ValuePath): unknown {
  let v = sides(rc, side).value;
  for (const key of path) v = step(v, key);
  return v;
}

/** A non-empty string at `path`, for matching only (ids, allocation ids); undefined otherwise. */
export function rawString(rc: ResourceChange, side: Side, path: ValuePath): string | undefined {
  const v = rawValue(rc, side, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Is the value at `path` unknown until apply (after side)? */
export function unknownAt(rc: ResourceChange, path: ValuePath): boolean {
  let m = rc.change.after_unknown;
  for (const key of path) {
    if (m === true) return true;
    if (!m || typeof m !== 'object') return false;
    m = step(m, key);
  }
  return m === true;
}

/**
 * The text to show for the value at `path` on `side`: "(sensitive)" when terraform marks it (at any depth),
 * the value as text when it is a string, number or boolean (a list of those is joined with ", "), and
 * undefined when it is absent, null, empty, or a structure (structures are never shown).
 */
export function shownValue(rc: ResourceChange, side: Side, path: ValuePath): string | undefined {
  const { value, marker } = sides(rc, side);
  return shownIn(value, marker, path);
}

/**
 * shownValue for any value with its sensitivity marks (e.g. a prior_state resource's `values` and
 * `sensitive_values`): "(sensitive)" when marked at any depth, a string, number, boolean or list of those as text,
 * else undefined.
 */
export function shownIn(value: unknown, marker: unknown, path: ValuePath): string | undefined {
  if (markedAt(marker, path)) return SENSITIVE_TEXT;
  let v = value;
  for (const key of path) v = step(v, key);
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return v.join(', ');
  return undefined;
}
