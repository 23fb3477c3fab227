// Turns a stream of byte chunks into text lines, whatever TCP does to the boundaries.
// Splits on the "\n" byte before decoding, so a UTF-8 character split across chunks stays whole.

const LF = 0x0a;
const CR = 0x0d;

export interface LineHandlers {
  /** A complete line, decoded (invalid UTF-8 becomes U+FFFD), without its "\n" or "\r\n". */
  line(text: string): void;
  /** A line went over the limit. Called once per over-long line; its bytes are dropped up to the next "\n". */
  overflow(): void;
}

export class LineReader {
  private parts: Uint8Array[] = [];
  /** Bytes held for the line in progress. Never more than maxBytes + 1 (room for a trailing "\r"). */
  private held = 0;
  /** Inside an over-long line: drop bytes until the next "\n". */
  private discarding = false;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(
    private readonly maxBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  /** Bytes of an unfinished line held in memory. */
  get pendingBytes(): number {
    return this.held;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.discarding) this.take(chunk, start, end, nl !== -1);
      if (nl === -1) return;
      this.discarding = false;
      start = nl + 1;
    }
  }

  private take(chunk: Uint8Array, start: number, end: number, complete: boolean): void {
    const size = this.held + (end - start);
    // The "+ 1" lets a line of exactly maxBytes arrive with its "\r" before the "\n" shows up.
    if (size > this.maxBytes + 1) return this.overflowed();
    if (!complete) {
      // Copy: the runtime may reuse the chunk's memory once the handler returns.
      if (end > start) this.parts.push(chunk.slice(start, end));
      this.held = size;
      return;
    }
    let bytes = chunk.subarray(start, end);
    if (this.parts.length > 0) {
      this.parts.push(bytes);
      bytes = Buffer.concat(this.parts, size);
      this.parts = [];
      this.held = 0;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > this.maxBytes) return this.overflowed();
    this.handlers.line(this.decoder.decode(bytes));
  }

  private overflowed(): void {
    this.parts = [];
    this.held = 0;
    this.discarding = true;
    this.handlers.overflow();
  }
}
