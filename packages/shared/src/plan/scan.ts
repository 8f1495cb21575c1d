/**
 * A streaming scanner for `terraform show -json` output. It walks the bytes once, never holds the whole
 * file (plans can exceed V8's maximum string length), and hands back only what the caller asks for:
 * small top-level values (`format_version`, `errored`, …) and, one by one, the elements of large
 * top-level arrays (`resource_changes`). Everything else is skipped at byte speed.
 *
 * It accepts a sequence of top-level documents (JSON lines, as `terragrunt show --all -json` prints),
 * skips GitHub workflow-command noise between documents (`[command]…`, `::debug::…`, `::set-output …`,
 * which hashicorp/setup-terraform's wrapper adds), and reports malformed input as a `PlanFormatError`
 * with a byte offset — never an uncaught exception.
 */

export class PlanFormatError extends Error {
  override name = 'PlanFormatError';
}

/** How to treat the value of a top-level key. */
export type KeyHandling = 'skip' | 'capture' | 'elements';

export interface ScanHandler {
  documentStart(index: number): void;
  /** Called for every top-level key of a document; decides what happens to its value. */
  key(name: string): KeyHandling;
  /** The raw bytes of a top-level value whose key returned 'capture'. */
  value(name: string, raw: Buffer): void;
  /**
   * The raw bytes of one element of a top-level array whose key returned 'elements'. `compact` is true
   * when the element has no whitespace outside its strings (terraform's own output).
   */
  element(name: string, raw: Buffer, compact: boolean): void;
  documentEnd(index: number): void;
  /** Noise skipped between documents (wrapper lines). */
  noise(line: string): void;
}

const OBJ = 1;
const ARR = 2;

// What a byte outside strings is. Only whitespace, structure, numbers and the letters of true/false/null are allowed;
// CLOSE, COMMA and SPACE (the kinds from CLOSE on) end a bare scalar.
const BAD = 0;
const SCALAR = 1;
const QUOTE = 2;
const OPEN = 3;
const COLON = 4;
const CLOSE = 5;
const COMMA = 6;
const SPACE = 7;
const BYTE_KIND = new Uint8Array(256);
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

const enum Cap {
  None = 0,
  /** Waiting for a value to start in the container at `capDepth`. */
  Pending = 1,
  /** Capturing a container value (ends when depth returns to capDepth). */
  Container = 2,
  /** Capturing a string value (ends at its closing quote). */
  Str = 3,
  /** Capturing a bare scalar (ends at whitespace, ',' or a closing bracket). */
  Scalar = 4,
}

export class PlanScanner {
  private depth = 0;
  private stack = new Uint8Array(64);
  private inString = false;
  private escape = false;
  private offset = 0; // bytes consumed before the current chunk
  private docIndex = -1;
  /** Top-level object: true when the next string is a key. */
  private expectKey = false;
  private keyCapture = false;
  private currentKey = '';
  private handling: KeyHandling = 'skip';
  private cap: Cap = Cap.None;
  private capDepth = 0;
  private capStart = 0;
  private parts: Buffer[] = [];
  private capWhitespace = false;
  /** Depth-0 text that is not JSON: the line being skipped (wrapper noise) or the bad bytes. */
  private noiseLine: number[] | null = null;

  constructor(private readonly handler: ScanHandler) {}

  get bytes(): number {
    return this.offset;
  }

  get documents(): number {
    return this.docIndex + 1;
  }

  /** Feeds the next chunk of input (any split, even inside a string or an escape). Throws PlanFormatError. */
  write(buf: Buffer): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.inString) {
        // Strings are most of a plan: jump from quote to quote with the native indexOf.
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        const q = buf.indexOf(0x22, i);
        if (q === -1) {
          this.escape = backslashRun(buf, n - 1, i) % 2 === 1; // it escapes the next chunk's first byte
          break;
        }
        if (backslashRun(buf, q - 1, i) % 2 === 0) this.closeString(buf, q);
        i = q + 1; // after the closing quote, or after an escaped quote (still inside the string)
        continue;
      }
      if (this.depth === 0) {
        i = this.betweenDocuments(buf, i);
        continue;
      }
      // One byte outside strings, inside a document.
      const c = buf[i] as number;
      const kind = BYTE_KIND[c] as number;
      if (kind === BAD) this.fail(`unexpected ${describeByte(c)}`, i);
      if (this.cap === Cap.Scalar && kind >= CLOSE) this.finish(buf, i); // ',', '}', ']' or whitespace end a scalar
      switch (kind) {
        case QUOTE:
          this.inString = true;
          if (this.depth === 1 || this.cap === Cap.Pending) this.openString(i);
          break;
        case OPEN:
          this.open(c, i);
          break;
        case CLOSE:
          this.close(c, buf, i);
          break;
        case COMMA:
          if (this.depth === 1) this.comma();
          break;
        case COLON:
          if (this.depth === 1) this.colon();
          break;
        case SPACE:
          if (this.cap === Cap.Container) this.capWhitespace = true;
          break;
        default: // a byte of a number, true, false or null
          if (this.cap === Cap.Pending && this.depth === this.capDepth) this.start(Cap.Scalar, i);
      }
      i++;
    }
    this.carry(buf, n);
    this.offset += n;
  }

  /** The string's closing quote at q: ends a top-level key, or a captured string value. */
  private closeString(buf: Buffer, q: number): void {
    this.inString = false;
    if (this.keyCapture) {
      this.keyCapture = false;
      this.currentKey = decodeKey(this.take(buf, q + 1));
    } else if (this.cap === Cap.Str && this.depth === this.capDepth) {
      this.finish(buf, q + 1);
    }
  }

  /** A string starts: a top-level key (captured for its name), a captured string value, or any other string. */
  private openString(i: number): void {
    if (this.depth === 1 && this.expectKey) {
      this.expectKey = false;
      this.keyCapture = true;
      this.parts = [];
      this.capStart = i;
    } else if (this.cap === Cap.Pending && this.depth === this.capDepth) {
      this.start(Cap.Str, i);
    }
  }

  /** `{` or `[`: maybe the start of a captured value, or of the array whose elements are wanted. */
  private open(c: number, i: number): void {
    if (this.cap === Cap.Pending && this.depth === this.capDepth) this.start(Cap.Container, i);
    if (this.depth === 1 && this.handling === 'elements' && this.cap === Cap.None) {
      if (c === 0x5b) {
        this.cap = Cap.Pending;
        this.capDepth = 2;
      } else {
        this.handling = 'skip';
      }
    }
    if (this.depth >= this.stack.length) this.grow();
    this.stack[this.depth] = c === 0x7b ? OBJ : ARR;
    this.depth++;
  }

  /** Doubles the bracket stack (nesting deeper than it holds). */
  private grow(): void {
    const grown = new Uint8Array(this.stack.length * 2);
    grown.set(this.stack);
    this.stack = grown;
  }

  /** `}` or `]`: must match its opener; may end a captured value, the wanted array, or the document. */
  private close(c: number, buf: Buffer, i: number): void {
    if (this.stack[this.depth - 1] !== (c === 0x7d ? OBJ : ARR)) this.fail(`unexpected ${describeByte(c)}`, i);
    this.depth--;
    if (this.cap === Cap.Container && this.depth === this.capDepth) {
      this.finish(buf, i + 1);
    } else if (this.cap === Cap.Pending && this.depth < this.capDepth) {
      this.cap = Cap.None; // the array whose elements we wanted has closed
    }
    if (this.depth === 1) {
      if (this.handling === 'elements' && this.cap === Cap.None) this.handling = 'skip';
    } else if (this.depth === 0) {
      this.handler.documentEnd(this.docIndex);
    }
  }

  /** `,`: in the top-level object, the next string is a key. */
  private comma(): void {
    if (this.depth === 1 && this.stack[0] === OBJ) {
      this.expectKey = true;
      this.handling = 'skip';
    }
  }

  /** `:` after a top-level key: the handler decides what happens to its value. */
  private colon(): void {
    if (this.depth !== 1 || this.stack[0] !== OBJ) return;
    this.handling = this.handler.key(this.currentKey);
    if (this.handling === 'capture') {
      this.cap = Cap.Pending;
      this.capDepth = 1;
    }
  }

  /** A capture still open at the chunk's end keeps its part of the chunk (copied: the caller may reuse its buffer). */
  private carry(buf: Buffer, n: number): void {
    if (this.cap >= Cap.Container || this.keyCapture) {
      this.parts.push(Buffer.from(buf.subarray(this.capStart, n)));
      this.capStart = 0;
    }
  }

  /** Call at end of input: throws when a document is unfinished. */
  end(): void {
    if (this.noiseLine) this.flushNoise();
    if (this.cap === Cap.Scalar) this.fail('truncated: the input ends inside a value', 0);
    if (this.depth > 0 || this.inString) {
      const brackets = `with ${this.depth} unclosed bracket${this.depth === 1 ? '' : 's'}`;
      this.fail(`truncated: the input ends ${this.inString ? 'inside a string' : brackets}`, 0);
    }
  }

  private betweenDocuments(buf: Buffer, i: number): number {
    const c = buf[i] as number;
    if (this.noiseLine) {
      if (c === 0x0a) this.flushNoise();
      else if (this.noiseLine.length < 200) this.noiseLine.push(c);
      return i + 1;
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return i + 1;
    if (c === 0x7b || c === 0x5b) {
      if (c === 0x5b) {
        // `[command]…` is wrapper noise; a real top-level array is not a plan.
        if (buf.length > i + 1 && buf[i + 1] === 0x63 /* c */) {
          this.noiseLine = [c];
          return i + 1;
        }
        this.fail('the top-level JSON value is an array, not a plan object', i);
      }
      this.docIndex++;
      this.handler.documentStart(this.docIndex);
      this.stack[0] = OBJ;
      this.depth = 1;
      this.expectKey = true;
      this.handling = 'skip';
      return i + 1;
    }
    if (c === 0x3a /* : */ || c === 0x25 /* % (escaped newline after a wrapper's output) */) {
      this.noiseLine = [c];
      return i + 1;
    }
    this.fail(
      this.docIndex < 0
        ? `does not start with JSON (it starts with ${describeByte(c)})`
        : `unexpected ${describeByte(c)} after the end of a JSON document`,
      i,
    );
  }

  private flushNoise(): void {
    const line = Buffer.from(this.noiseLine ?? []).toString('utf8');
    this.noiseLine = null;
    const looksLikeWrapper = /^(\[command\]|::|%0A|%0D)/i.test(line);
    if (!looksLikeWrapper) {
      throw new PlanFormatError(
        `${this.docIndex < 0 ? 'does not start with JSON' : 'unexpected text after a JSON document'}: ` +
          JSON.stringify(line.slice(0, 40)),
      );
    }
    this.handler.noise(line);
  }

  private start(kind: Cap, i: number): void {
    this.cap = kind;
    this.capWhitespace = false;
    this.parts = [];
    this.capStart = i;
  }

  private take(buf: Buffer, end: number): Buffer {
    const tail = buf.subarray(this.capStart, end);
    const raw = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    return raw;
  }

  private finish(buf: Buffer, end: number): void {
    const raw = this.take(buf, end);
    const depth = this.capDepth;
    if (depth === 1) {
      this.cap = Cap.None;
      this.handler.value(this.currentKey, raw);
    } else {
      this.cap = Cap.Pending; // next element of the same array
      this.handler.element(this.currentKey, raw, !this.capWhitespace);
    }
  }

  private fail(problem: string, i: number): never {
    const at = this.offset + i;
    throw new PlanFormatError(
      i === 0 && problem.startsWith('truncated')
        ? `${problem} (after ${this.offset} bytes)`
        : `${problem} at byte ${at}`,
    );
  }
}

/** How many backslashes end at `last` (counting down, not below `first`). */
function backslashRun(buf: Buffer, last: number, first: number): number {
  let k = last;
  while (k >= first && buf[k] === 0x5c) k--;
  return last - k;
}

function decodeKey(raw: Buffer): string {
  // raw includes both quotes. Keys in plans are plain ASCII; fall back to JSON for escapes.
  if (raw.indexOf(0x5c) === -1) return raw.toString('utf8', 1, raw.length - 1);
  try {
    return JSON.parse(raw.toString('utf8')) as string;
  } catch {
    return raw.toString('utf8', 1, raw.length - 1);
  }
}

function describeByte(c: number): string {
  if (c >= 0x21 && c < 0x7f) return `character ${JSON.stringify(String.fromCharCode(c))}`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}
