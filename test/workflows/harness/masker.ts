/**
 * The runner's secret masker, as far as a harness needs it: each secret as a whole and each of its lines trimmed
 * (Worker.cs: "Also add each individual line"), every `::add-mask::` value (and its lines), plus the encodings the
 * runner also registers (base64 at three byte offsets, JSON- and URI-escaped), replaced by *** in everything a
 * person sees (log lines, annotation messages, step summaries). Masking hides only what the runner knows: a
 * sensitive terraform value is no secret to it, which is why the canary scan, not the masker, is the test.
 */
export class SecretMasker {
  readonly #values = new Set<string>();

  add(value: unknown): void {
    if (typeof value !== 'string' || value.trim() === '') return;
    for (const v of [value, ...encodings(value)]) if (v.length > 0) this.#values.add(v);
  }

  /** A secret of the secrets context: the trimmed whole and each line, trimmed. */
  addSecret(value: string): void {
    const v = value.trim();
    this.add(v);
    for (const line of v.split(/[\r\n]+/)) this.add(line.trim());
  }

  get size(): number {
    return this.#values.size;
  }

  mask(text: string): string {
    if (!text || this.#values.size === 0) return text;
    let out = text;
    for (const v of [...this.#values].sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
    return out;
  }

  /** True when the value would be masked (the runner then drops a job output that holds it). */
  touches(text: string): boolean {
    return typeof text === 'string' && text !== this.mask(text);
  }
}

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  const out = [b64(bytes)];
  for (const shift of [1, 2]) if (bytes.length > shift) out.push(b64(bytes.subarray(shift)));
  out.push(JSON.stringify(value).slice(1, -1), encodeURIComponent(value));
  return out.filter((v) => v !== value && v.length >= 3);
}
