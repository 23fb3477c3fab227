// Turns a stream of byte chunks into text lines, whatever TCP does to the boundaries.
// Splits on the "\n" byte before decoding, so a UTF-8 character split across chunks stays whole.

const LF = 0x0a;
const CR = 0x0d;
const BRACE = 0x7b;
// Shared by every reader: without { stream: true } a decoder keeps nothing between calls, and
// two decoders per connection were a kilobyte each of 10,000 idle users' memory.
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

export interface LineHandlers {
  /** A complete line, decoded, without its "\n" or "\r\n"; `bytes` is its size before decoding. */
  line(text: string, bytes: number): void;
  /** A line went over maxBytes. Called once per over-long line; its bytes are dropped up to the next "\n". */
  overflow(): void;
  /**
   * A complete line that is not valid UTF-8; it is dropped. Without this handler, invalid bytes
   * become U+FFFD and the line is delivered.
   */
  invalid?(): void;
  /** maxRunBytes passed with no "\n" at all: the peer is not sending lines. The reader stops. */
  runaway?(): void;
}

export interface LineLimits {
  /** Longest line accepted, in bytes, not counting "\r\n". */
  maxBytes: number;
  /** Bytes without a "\n" after which the stream is given up on (default: never). */
  maxRunBytes?: number;
}

/** The first buffer for an unfinished line; it doubles as the line grows (up to maxBytes + 1). */
const FIRST_BUFFER = 256;

export class LineReader {
  /**
   * The line in progress, in one buffer that grows by doubling: a line trickling in one byte per
   * TCP segment costs about its own size, not an object per segment. Undefined between lines
   * (most lines arrive in one chunk).
   */
  private buffer: Uint8Array | undefined;
  /** Bytes held for the line in progress. Never more than maxBytes + 1 (room for a trailing "\r"). */
  private held = 0;
  /** Bytes since the last "\n", held or discarded. */
  private run = 0;
  /** Inside an over-long line: drop bytes until the next "\n". */
  private discarding = false;
  private stopped = false;
  private maxBytes: number;
  private maxRunBytes: number;

  constructor(
    limits: LineLimits,
    private readonly handlers: LineHandlers,
  ) {
    this.maxBytes = limits.maxBytes;
    this.maxRunBytes = limits.maxRunBytes ?? Infinity;
  }

  /** Lines that start with "{" (JSON: a message of several lines) may be this long; 0: none. */
  private longBytes = 0;

  /**
   * From now on a line that starts with "{" (a structured client's message of several lines, in
   * one JSON line) may be up to `maxBytes`, and run twice that without "\n" before the peer is given
   * up on; any other line keeps the limits it had (a stream of bytes that is not JSON holds no more).
   */
  widen(maxBytes: number): void {
    this.longBytes = Math.max(this.longBytes, maxBytes);
  }

  /** The limit of the line whose first byte is `first` (undefined: none yet). */
  private limitOf(first: number | undefined): number {
    return first === BRACE && this.longBytes > this.maxBytes ? this.longBytes : this.maxBytes;
  }

  /** The first byte of the line in progress (held or being dropped); undefined before it. */
  private first: number | undefined;

  /** Bytes of an unfinished line held in memory. */
  get pendingBytes(): number {
    return this.held;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    // Once per chunk, as soon as no line is in progress (a chunk mostly starts inside one).
    let fast = true;
    while (start < chunk.length && !this.stopped) {
      if (fast && this.held === 0 && !this.discarding) {
        fast = false;
        start = this.asciiLines(chunk, start);
        if (start >= chunk.length || this.stopped) return;
      }
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.first === undefined && end > start) this.first = chunk[start];
      const limit = this.limitOf(this.first);
      if (nl === -1 && (this.run += end - start) > (limit > this.maxBytes ? Math.max(this.maxRunBytes, 2 * limit) : this.maxRunBytes)) return this.runaway();
      if (!this.discarding) this.take(chunk, start, end, nl !== -1, limit);
      if (nl === -1) return;
      this.discarding = false;
      this.run = 0;
      this.first = undefined;
      start = nl + 1;
    }
  }

  /**
   * The complete lines of a chunk when nothing is held and they are all ASCII (as chat mostly is):
   * decoded in one call and split as text. A decode per line was a fifth of a busy server's time.
   * Returns where the line-by-line path takes over: `from` when it must do everything.
   */
  private asciiLines(chunk: Uint8Array, from: number): number {
    const last = chunk.lastIndexOf(LF);
    if (last < from) return from;
    let text: string;
    try {
      text = strict.decode(chunk.subarray(from, last));
    } catch {
      return from; // not UTF-8 somewhere: each line is judged on its own
    }
    if (text.length !== last - from) return from; // not all ASCII: byte counts differ from lengths
    const lines = text.split("\n");
    for (const line of lines) if (line.length > this.maxBytes + 1 && line.length > this.limitOf(line.charCodeAt(0)) + 1) return from; // one is too long: the slow path says so
    this.run = 0;
    for (let line of lines) {
      if (this.stopped) return chunk.length;
      if (line.length > 0 && line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
      if (line.length > this.limitOf(line.charCodeAt(0))) {
        this.handlers.overflow();
        continue;
      }
      this.handlers.line(line, line.length);
    }
    return last + 1;
  }

  private take(chunk: Uint8Array, start: number, end: number, complete: boolean, limit: number): void {
    const size = this.held + (end - start);
    // The "+ 1" lets a line of exactly its limit arrive with its "\r" before the "\n" shows up.
    if (size > limit + 1) return this.overflowed();
    if (!complete) {
      // Copied: the runtime may reuse the chunk's memory once the handler returns.
      if (end > start) this.keep(chunk.subarray(start, end), size);
      return;
    }
    let bytes = chunk.subarray(start, end);
    if (this.buffer) {
      this.keep(bytes, size);
      bytes = this.buffer.subarray(0, size);
      this.buffer = undefined;
      this.held = 0;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, -1);
    if (bytes.length > limit) return this.overflowed();
    const text = this.decode(bytes);
    if (text === undefined) this.handlers.invalid?.();
    else this.handlers.line(text, bytes.length);
  }

  /** Appends to the line in progress, growing its buffer by doubling (never past maxBytes + 1). */
  private keep(bytes: Uint8Array, size: number): void {
    if (!this.buffer || this.buffer.length < size) {
      let capacity = this.buffer?.length ?? FIRST_BUFFER;
      while (capacity < size) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, Math.max(size, this.limitOf(this.first) + 1)));
      if (this.buffer) grown.set(this.buffer.subarray(0, this.held));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.held);
    this.held = size;
  }

  /**
   * Drops the unfinished line: with `rest`, also whatever of it is still to come, up to the next
   * "\n" (it waited too long for its end); without, the next bytes start a new line (the user
   * interrupted it). True if there was one.
   */
  dropUnfinished(rest = true): boolean {
    if (this.held === 0) return false;
    this.buffer = undefined;
    this.held = 0;
    this.discarding = rest;
    if (!rest) this.first = undefined;
    return true;
  }

  /** The line's text, or undefined if it is not UTF-8 and the owner wants to know. */
  private decode(bytes: Uint8Array): string | undefined {
    if (!this.handlers.invalid) return lenient.decode(bytes);
    try {
      return strict.decode(bytes);
    } catch {
      return undefined;
    }
  }

  private overflowed(): void {
    this.buffer = undefined;
    this.held = 0;
    this.discarding = true;
    this.handlers.overflow();
  }

  private runaway(): void {
    this.stopped = true;
    this.buffer = undefined;
    this.held = 0;
    this.handlers.runaway?.();
  }
}
