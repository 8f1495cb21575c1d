/**
 * A streaming scanner for `terraform show -json` output. It walks the bytes once, never holds the whole
 * file (plans can exceed V8's maximum string length), and hands back only what the caller asks for:
 * small top-level values (`format_version`, `errored`, …) and, one by one, the elements of large
 * top-level arrays (`resource_changes`). Everything else is skipped at byte speed.
 *
 * A top-level value whose key returns 'walk' is walked instead of skipped: the handler's `nestedKey` decides, key
 * by key, which of its objects to descend into (an array of objects descended into is walked element by element)
 * and which nested arrays to hand back element by element (prior_state's and configuration's `resources`, at any
 * module depth). Everything the handler does not ask for is still skipped at byte speed.
 *
 * It accepts a sequence of top-level documents (JSON lines, as `terragrunt show --all -json` prints),
 * skips GitHub workflow-command noise between documents (`[command]…`, `::debug::…`, `::set-output …`,
 * which hashicorp/setup-terraform's wrapper adds), and reports malformed input as a `PlanFormatError`
 * with a byte offset — never an uncaught exception.
 */

import {
  BAD,
  PlanFormatError,
  BYTE_KIND,
  CLOSE,
  COLON,
  COMMA,
  OPEN,
  QUOTE,
  SPACE,
  backslashRun,
  decodeKey,
  describeByte,
  type KeyHandling,
  type ScanHandler,
} from './scan-bytes';

export { PlanFormatError, type KeyHandling, type ScanHandler } from './scan-bytes';

const OBJ = 1;
const ARR = 2;

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
  /**
   * The walked containers of a 'walk' value are the depths 2…walkLevel (0: nothing is walked); walkKeys[d] is the
   * key (or "[]" for an object of a walked array) that led to the container at depth d > 2.
   */
  private walkLevel = 0;
  private walkKeys: string[] = [];
  /** The last key read in a walked object, and what the handler said to do with its value. */
  private nestedKeyName = '';
  private nestedHandling: KeyHandling = 'skip';
  /** The path of the nested array whose elements are being handed back (undefined for a top-level array). */
  private elementPath: readonly string[] | undefined;

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
          if (this.depth === 1 || this.cap === Cap.Pending || this.depth === this.walkLevel) this.openString(i);
          break;
        case OPEN:
          this.open(c, i);
          break;
        case CLOSE:
          this.close(c, buf, i);
          break;
        case COMMA:
          if (this.depth === 1 || this.depth === this.walkLevel) this.comma();
          break;
        case COLON:
          if (this.depth === 1 || this.depth === this.walkLevel) this.colon();
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
      const key = decodeKey(this.take(buf, q + 1));
      if (this.depth === 1) this.currentKey = key;
      else this.nestedKeyName = key;
    } else if (this.cap === Cap.Str && this.depth === this.capDepth) {
      this.finish(buf, q + 1);
    }
  }

  /**
   * A string starts: a top-level key or a key of a walked object (captured for its name), a captured string value,
   * or any other string.
   */
  private openString(i: number): void {
    if ((this.depth === 1 || this.depth === this.walkLevel) && this.expectKey) {
      this.expectKey = false;
      this.keyCapture = true;
      this.parts = [];
      this.capStart = i;
    } else if (this.cap === Cap.Pending && this.depth === this.capDepth) {
      this.start(Cap.Str, i);
    }
  }

  /** `{` or `[`: maybe the start of a captured value, of the array whose elements are wanted, or of a walked value. */
  private open(c: number, i: number): void {
    if (this.cap === Cap.Pending && this.depth === this.capDepth) this.start(Cap.Container, i);
    if (this.depth === 1 && this.handling === 'elements' && this.cap === Cap.None) {
      if (c === 0x5b) {
        this.cap = Cap.Pending;
        this.capDepth = 2;
        this.elementPath = undefined;
      } else {
        this.handling = 'skip';
      }
    } else if (this.depth === 1 && this.handling === 'walk' && this.cap === Cap.None) {
      this.walkLevel = 2;
      this.expectKey = c === 0x7b;
    } else if (this.depth === this.walkLevel && this.cap === Cap.None) {
      this.walkOpen(c);
    }
    if (this.depth >= this.stack.length) this.grow();
    this.stack[this.depth] = c === 0x7b ? OBJ : ARR;
    this.depth++;
  }

  /**
   * A container opens directly in a walked one: an object of a walked array is walked; the value of a key is walked
   * or has its elements handed back as the handler said (nestedKey); anything else is skipped.
   */
  private walkOpen(c: number): void {
    const inArray = this.stack[this.depth - 1] === ARR;
    const handling = inArray ? (c === 0x7b ? 'walk' : 'skip') : this.nestedHandling;
    this.nestedHandling = 'skip';
    if (handling === 'walk') {
      this.walkLevel = this.depth + 1;
      this.walkKeys[this.walkLevel] = inArray ? '[]' : this.nestedKeyName;
      this.expectKey = c === 0x7b;
    } else if (handling === 'elements' && c === 0x5b) {
      this.cap = Cap.Pending;
      this.capDepth = this.depth + 1;
      this.elementPath = [...this.walkPath(), this.nestedKeyName];
    }
  }

  /** The keys from the walked top-level value down to the innermost walked container. */
  private walkPath(): string[] {
    return this.walkKeys.slice(3, this.walkLevel + 1);
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
    if (this.depth === this.walkLevel) {
      this.walkLevel = this.walkLevel > 2 ? this.walkLevel - 1 : 0;
      this.expectKey = false;
    }
    this.depth--;
    if (this.cap === Cap.Container && this.depth === this.capDepth) {
      this.finish(buf, i + 1);
    } else if (this.cap === Cap.Pending && this.depth < this.capDepth) {
      this.cap = Cap.None; // the array whose elements we wanted has closed
    }
    if (this.depth === 1) {
      if ((this.handling === 'elements' || this.handling === 'walk') && this.cap === Cap.None) this.handling = 'skip';
    } else if (this.depth === 0) {
      this.handler.documentEnd(this.docIndex);
    }
  }

  /** `,`: in the top-level object or a walked object, the next string is a key. */
  private comma(): void {
    if (this.stack[this.depth - 1] !== OBJ) return;
    this.expectKey = true;
    if (this.depth === 1) this.handling = 'skip';
    else this.nestedHandling = 'skip';
  }

  /** `:` after a top-level key or a walked object's key: the handler decides what happens to its value. */
  private colon(): void {
    if (this.stack[this.depth - 1] !== OBJ) return;
    if (this.depth !== 1) {
      const handling = this.handler.nestedKey?.(this.currentKey, this.walkPath(), this.nestedKeyName) ?? 'skip';
      this.nestedHandling = handling === 'capture' ? 'skip' : handling;
      return;
    }
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
      this.walkLevel = 0;
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
      this.handler.element(this.currentKey, raw, !this.capWhitespace, this.elementPath);
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
