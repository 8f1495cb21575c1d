import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal values always serialise the same way. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The JSON text without whitespace outside strings. */
function stripWhitespace(raw: Buffer): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (inString) {
      if (c === 0x5c) {
        out[n++] = c;
        out[n++] = raw[++i] as number;
        continue;
      }
      if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      continue;
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

/**
 * Builds the plan digest: one SHA-256 over every resource change exactly as terraform wrote it, less any
 * whitespace outside strings, in the order terraform lists them (sorted by address), then the output
 * changes. A pretty-printed copy of the same plan has the same digest; any difference in what would be
 * applied (actions, before/after values, replace paths, output changes) changes it. Values are only
 * hashed, never stored or printed.
 */
export class PlanDigest {
  private readonly hash = createHash('sha256').update('nat-egress-plan-digest/v1\n');
  private outputs = 'null';

  /** One resource change as it appears in the plan; `compact` when it has no whitespace outside strings. */
  addChange(raw: Buffer, compact: boolean): void {
    this.hash.update(compact ? raw : stripWhitespace(raw));
    this.hash.update('\n');
  }

  setOutputChanges(raw: Buffer): void {
    this.outputs = stripWhitespace(raw).toString('utf8');
  }

  digest(): string {
    return this.hash.update(`outputs\u0000${this.outputs}\n`).digest('hex');
  }
}

/** Combines several documents' digests (JSON lines input) into one, in document order. */
export function combineDigests(digests: string[]): string {
  if (digests.length === 1) return digests[0] as string;
  return sha256(`nat-egress-plan-digest/multi\n${digests.join('\n')}`);
}
