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

/**
 * Builds the plan digest: each change is hashed on its own (canonical JSON), then the per-change hashes
 * are combined in address order. Independent of key order, whitespace and the order terraform lists
 * changes in; any difference in what would be applied (actions, before/after values, replace paths,
 * output changes) changes it. Values are only hashed, never stored or printed.
 */
export class PlanDigest {
  private entries: Array<[string, string]> = [];
  private outputs = '';

  addChange(sortKey: string, change: unknown): void {
    this.entries.push([sortKey, sha256(canonicalJson(change))]);
  }

  setOutputChanges(outputChanges: unknown): void {
    this.outputs = sha256(canonicalJson(outputChanges));
  }

  digest(): string {
    const hash = createHash('sha256');
    hash.update('nat-egress-plan-digest/v1\n');
    this.entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (const [key, h] of this.entries) hash.update(`${key}\u0000${h}\n`);
    hash.update(`outputs\u0000${this.outputs}\n`);
    return hash.digest('hex');
  }
}

/** Combines several documents' digests (JSON lines input) into one, in document order. */
export function combineDigests(digests: string[]): string {
  if (digests.length === 1) return digests[0] as string;
  return sha256(`nat-egress-plan-digest/multi\n${digests.join('\n')}`);
}
