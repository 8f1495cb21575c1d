/**
 * Input parsing shared by every action. Each parser takes the input's *name* and its raw string so a bad
 * value produces one line naming the input and what is wrong, e.g.
 *   `fail-on: "hihg" is not one of none, low, medium, high, critical`
 * Parsers are pure (no @actions/core) so tests call them directly; actions pass `core.getInput`.
 */

import { formatDuration } from './duration.js';

export { formatDuration, formatElapsed } from './duration.js';

/** A problem with what the user gave us: reported as one line, never with a stack trace. */
export class InputError extends Error {
  override name = 'InputError';
}

export type InputReader = (name: string) => string;

/** Reads `INPUT_<NAME>` the way the runner sets it (spaces → `_`, upper case), trimmed. */
export function envInputReader(env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function show(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
}

export function stringInput(name: string, raw: string, fallback = ''): string {
  const value = raw.trim();
  return value === '' ? fallback : value;
}

export function requiredInput(name: string, raw: string): string {
  const value = raw.trim();
  if (value === '') throw new InputError(`${name}: is required`);
  return value;
}

export function enumInput<T extends string>(name: string, raw: string, allowed: readonly T[], fallback: T): T {
  const value = raw.trim().toLowerCase();
  if (value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InputError(`${name}: ${show(raw.trim())} is not one of ${allowed.join(', ')}`);
}

export function boolInput(name: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim().toLowerCase();
  if (value === '') return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new InputError(`${name}: ${show(raw.trim())} is not true or false`);
}

export function intInput(
  name: string,
  raw: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const value = raw.trim();
  if (value === '') return fallback;
  if (!/^-?\d+$/.test(value)) throw new InputError(`${name}: ${show(value)} is not a whole number`);
  const n = Number(value);
  if (bounds.min !== undefined && n < bounds.min)
    throw new InputError(`${name}: ${value} is below the minimum ${bounds.min}`);
  if (bounds.max !== undefined && n > bounds.max)
    throw new InputError(`${name}: ${value} is above the maximum ${bounds.max}`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Durations like `90m`, `30s`, `1h30m`, `500ms`, or a bare number of seconds (`45`). Returns milliseconds.
 */
export function parseDuration(name: string, raw: string): number {
  const value = raw.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(value)) !== null) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (value === '' || consumed !== value.length) {
    throw new InputError(
      `${name}: ${show(raw.trim())} is not a duration (examples: 30s, 15m, 1h30m, 500ms, or seconds as a number)`,
    );
  }
  return Math.round(total);
}

/** Bounds of a duration input; `allowed` (e.g. "allowed: 10s to 1h, default 5m") is added to each bound's error. */
export interface DurationBounds {
  minMs?: number;
  maxMs?: number;
  /** Zero and negative values are refused as such ("must be a positive duration"), not as malformed. */
  positive?: boolean;
  allowed?: string;
}

/**
 * A duration input (parseDuration) in milliseconds, `fallbackMs` when empty; one-line InputError when malformed or
 * outside `bounds`.
 */
export function durationInput(name: string, raw: string, fallbackMs: number, bounds: DurationBounds = {}): number {
  const value = raw.trim();
  if (value === '') return fallbackMs;
  const note = bounds.allowed ? ` (${bounds.allowed})` : '';
  const notPositive = () => new InputError(`${name}: ${show(value)} must be a positive duration${note}`);
  if (bounds.positive && value.startsWith('-')) throw notPositive();
  const ms = parseDuration(name, raw);
  if (bounds.positive && ms <= 0) throw notPositive();
  if (bounds.minMs !== undefined && ms < bounds.minMs)
    throw new InputError(`${name}: ${value} is shorter than the minimum ${formatDuration(bounds.minMs)}${note}`);
  if (bounds.maxMs !== undefined && ms > bounds.maxMs)
    throw new InputError(`${name}: ${value} is longer than the maximum ${formatDuration(bounds.maxMs)}${note}`);
  return ms;
}

/**
 * JSON.parse for an input, with one-line errors: a document cut short is called truncated; anything else names where
 * it stops parsing.
 */
export function parseJsonInput(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const at = /at position (\d+)/.exec(message);
    if (/end of JSON input/i.test(message) || (at && Number(at[1]) >= value.trimEnd().length)) {
      throw new InputError(`${name}: the JSON is truncated (it ends before the document is complete)`);
    }
    throw new InputError(
      `${name}: looks like JSON but does not parse (${message.replace(/\s*\(line \d+ column \d+\)$/, '')})`,
    );
  }
}

/** Items separated by commas and/or newlines; blanks dropped. A JSON array of strings is accepted too. */
export function listInput(name: string, raw: string): string[] {
  const value = raw.trim();
  if (value === '') return [];
  if (value.startsWith('[')) {
    const parsed = parseJsonInput(name, value);
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new InputError(`${name}: the JSON array must hold only strings`);
    }
    return parsed.map((v) => String(v).trim()).filter((v) => v !== '');
  }
  return value
    .split(/[\n,]/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Items separated by newlines only (for arguments that may contain commas, like `-var=list=[a,b]`). */
export function linesInput(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export interface Tag {
  key: string;
  value: string;
}

/** `Key=Value` pairs separated by commas or newlines. */
export function tagsInput(name: string, raw: string, fallback: Tag[] = []): Tag[] {
  const items = listInput(name, raw);
  if (items.length === 0) return fallback;
  return items.map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InputError(`${name}: ${show(item)} is not Key=Value`);
    return { key: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim() };
  });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(value: string): boolean {
  return IPV4.test(value);
}

/**
 * IPv4 addresses as a comma/newline list or JSON: an array, or an object whose values are addresses
 * or arrays of them (Terraform's `output -json` of a list or a map). Duplicates are removed.
 */
/**
 * IPv4 addresses: a comma/newline list, a JSON array or map of addresses, the value of one output
 * (`terraform output -json NAME`, or `{"value": …}`), or the whole `terraform output -json` document — then the one
 * output whose value holds only IPv4 addresses is used (several such outputs are refused as ambiguous). `/32` is
 * dropped; duplicates are removed. Errors name the input and the offending value.
 */
export function ipListInput(name: string, raw: string): string[] {
  const value = raw.trim();
  if (value === '') return [];
  let items: string[];
  if (value.startsWith('{') || value.startsWith('[') || value.startsWith('"')) {
    const parsed = outputValue(name, parseJsonInput(name, value));
    items = flattenStrings(name, parsed);
  } else {
    items = listInput(name, value);
  }
  for (const ip of items) {
    const bare = ip.replace(/\/32$/, '');
    if (!isIpv4(bare)) throw new InputError(`${name}: ${show(ip)} is not an IPv4 address`);
  }
  return [...new Set(items.map((ip) => ip.replace(/\/32$/, '')))];
}

/** `{value: …}` (one output) → its value; a whole `terraform output -json` document → the one output of IPs. */
function outputValue(name: string, parsed: unknown): unknown {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return parsed;
  const isOutput = (v: unknown): v is { value: unknown } =>
    !!v && typeof v === 'object' && !Array.isArray(v) && 'value' in v;
  if (isOutput(parsed) && ('type' in parsed || 'sensitive' in parsed || Object.keys(parsed).length === 1))
    return parsed.value;
  const entries = Object.entries(parsed);
  if (entries.length === 0 || !entries.every(([, v]) => isOutput(v))) return parsed;
  // The whole document: {"relay_ips": {"sensitive": false, "type": …, "value": […]}, "vpc_id": {…}, …}
  const ipOutputs = entries.filter(([, v]) => {
    try {
      const flat = flattenStrings(name, (v as { value: unknown }).value);
      return flat.length > 0 && flat.every((ip) => isIpv4(ip.trim().replace(/\/32$/, '')));
    } catch {
      return false;
    }
  });
  const names = entries.map(([k]) => k).join(', ');
  if (ipOutputs.length === 0)
    throw new InputError(
      `${name}: the terraform output document has no output holding IPv4 addresses (outputs: ${names})`,
    );
  if (ipOutputs.length > 1) {
    throw new InputError(
      `${name}: several terraform outputs hold IPv4 addresses (${ipOutputs.map(([k]) => k).join(', ')}): ` +
        `pass one of them, e.g. the output of terraform output -json ${ipOutputs[0]?.[0]}`,
    );
  }
  return (ipOutputs[0]?.[1] as { value: unknown }).value;
}

function flattenStrings(name: string, v: unknown): string[] {
  if (typeof v === 'string') return [v.trim()];
  if (Array.isArray(v)) return v.flatMap((x) => flattenStrings(name, x));
  if (v && typeof v === 'object') return Object.values(v).flatMap((x) => flattenStrings(name, x));
  throw new InputError(`${name}: ${JSON.stringify(v)} is not an IP address string`);
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The AWS region: the input, else AWS_REGION, else AWS_DEFAULT_REGION. */
export function regionInput(name: string, raw: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = raw.trim() || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || '';
  if (value === '')
    throw new InputError(
      `${name}: not set, and neither AWS_REGION nor AWS_DEFAULT_REGION is in the environment ` +
        '(aws-actions/configure-aws-credentials sets them)',
    );
  if (!REGION.test(value)) throw new InputError(`${name}: ${show(value)} is not an AWS region name (like us-east-1)`);
  return value;
}

/** Shell-style glob (`*`, `?`) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
