/**
 * The parts of plan/scan.ts's streaming scanner around its loop: its error, the handler it reports to, what a byte
 * outside strings is, how many backslashes escape a quote, a key's text, and a byte as an error message names it.
 */

export class PlanFormatError extends Error {
  override name = 'PlanFormatError';
}

/**
 * How to treat the value of a key: skip it, capture it whole (top level only), hand back the elements of the array
 * it is, or walk it (the object, or each object of the array, is looked into key by key through `nestedKey`).
 */
export type KeyHandling = 'skip' | 'capture' | 'elements' | 'walk';

export interface ScanHandler {
  documentStart(index: number): void;
  /** Called for every top-level key of a document; decides what happens to its value. */
  key(name: string): KeyHandling;
  /** The raw bytes of a top-level value whose key returned 'capture'. */
  value(name: string, raw: Buffer): void;
  /**
   * The raw bytes of one element of a top-level array whose key returned 'elements'. `compact` is true
   * when the element has no whitespace outside its strings (terraform's own output). For an array inside a walked
   * value, `name` is the top-level key and `path` the keys from it down to the array's own key (an object of a
   * walked array is the step "[]"), e.g. ['values', 'root_module', 'child_modules', '[]', 'resources'].
   */
  element(name: string, raw: Buffer, compact: boolean, path?: readonly string[]): void;
  /**
   * For a key of an object inside a walked top-level value: what to do with its value ('walk', 'elements' or
   * 'skip'; 'capture' is taken as 'skip'). `path` is the keys from the top-level key's value down to this object.
   * Only called for walked values; a handler without it walks nothing.
   */
  nestedKey?(name: string, path: readonly string[], key: string): KeyHandling;
  documentEnd(index: number): void;
  /** Noise skipped between documents (wrapper lines). */
  noise(line: string): void;
}

// What a byte outside strings is. Only whitespace, structure, numbers and the letters of true/false/null are allowed;
// CLOSE, COMMA and SPACE (the kinds from CLOSE on) end a bare scalar.
export const BAD = 0;
export const SCALAR = 1;
export const QUOTE = 2;
export const OPEN = 3;
export const COLON = 4;
export const CLOSE = 5;
export const COMMA = 6;
export const SPACE = 7;
export const BYTE_KIND = new Uint8Array(256);
for (const ch of '0123456789-+.eEtruefalsn') BYTE_KIND[ch.charCodeAt(0)] = SCALAR;
for (const [chars, kind] of [
  ['"', QUOTE],
  ['{[', OPEN],
  [':', COLON],
  ['}]', CLOSE],
  [',', COMMA],
  [' \t\r\n', SPACE],
] as const)
  for (const ch of chars) BYTE_KIND[ch.charCodeAt(0)] = kind;

/** How many backslashes end at `last` (counting down, not below `first`). */
export function backslashRun(buf: Buffer, last: number, first: number): number {
  let k = last;
  while (k >= first && buf[k] === 0x5c) k--;
  return last - k;
}

export function decodeKey(raw: Buffer): string {
  // raw includes both quotes. Keys in plans are plain ASCII; fall back to JSON for escapes.
  if (raw.indexOf(0x5c) === -1) return raw.toString('utf8', 1, raw.length - 1);
  try {
    return JSON.parse(raw.toString('utf8')) as string;
  } catch {
    return raw.toString('utf8', 1, raw.length - 1);
  }
}

export function describeByte(c: number): string {
  if (c >= 0x21 && c < 0x7f) return `character ${JSON.stringify(String.fromCharCode(c))}`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}
