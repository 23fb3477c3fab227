// WebSocket (RFC 6455) over a socket the web door already holds: the handshake's answer, frames
// read from a browser as they come, and a session's bytes written as binary frames. A message is
// handed on as it arrives, fragment by fragment, so nothing is held for an unfinished one but what
// the session's own line reader holds (bounded by its line limits); a message is still bounded as
// a whole (wsMaxMessage), and closing past it says why (1009).

import type { Writable } from "../../net/outbox.ts";

/** The key a handshake's answer is made from (RFC 6455 §1.3). */
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The value of Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return new Bun.CryptoHasher("sha1").update(key + ACCEPT_GUID).digest("base64");
}

/** Whether a Sec-WebSocket-Key has the shape the RFC gives it: 16 bytes in base64. */
export function isWebSocketKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Close codes we send. */
export const CLOSE = { normal: 1000, protocol: 1002, tooBig: 1009 } as const;

/** What the frame reader hands on. */
export interface FrameHandlers {
  /** Payload bytes of a data message, in order; `end`: the message's last bytes have come. */
  data(bytes: Uint8Array, end: boolean): void;
  ping(payload: Uint8Array): void;
  /** A close frame (its code, if it gave one). */
  close(code: number | undefined): void;
  /** The peer broke the protocol, or sent a message over the bound: close with `code`, saying `why`. */
  fail(code: number, why: string): void;
}

/** Reads frames from a client as bytes arrive; every client frame is masked. */
export class FrameReader {
  /** The start of a frame not complete yet (at most a header and a control frame's 125 bytes). */
  private partial: Uint8Array | undefined;
  /** Payload bytes of the current data frame still to come, and its mask and place in it. */
  private left = 0;
  private mask = new Uint8Array(4);
  private maskAt = 0;
  private finalFrame = false;
  /** A fragmented message is under way; the bytes of the message so far. */
  private inMessage = false;
  private messageBytes = 0;
  private failed = false;

  constructor(
    private readonly handlers: FrameHandlers,
    private readonly maxMessage: number,
  ) {}

  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.partial) {
      bytes = Buffer.concat([this.partial, chunk]);
      this.partial = undefined;
    }
    let at = 0;
    while (at < bytes.length && !this.failed) {
      if (this.left > 0) {
        // Inside a data frame: unmask what is here and hand it on.
        const n = Math.min(this.left, bytes.length - at);
        const out = bytes.slice(at, at + n);
        for (let i = 0; i < n; i++) out[i]! ^= this.mask[(this.maskAt + i) & 3]!;
        this.maskAt = (this.maskAt + n) & 3;
        this.left -= n;
        at += n;
        const end = this.left === 0 && this.finalFrame;
        if (end) this.inMessage = false;
        this.handlers.data(out, end);
        continue;
      }
      const used = this.frame(bytes, at);
      if (used === 0) {
        this.partial = bytes.slice(at); // a header (or a control frame) not all here yet
        return;
      }
      at += used;
    }
  }

  /** Reads the frame that starts at `at`: how many bytes it took (0: not enough yet). */
  private frame(bytes: Uint8Array, at: number): number {
    const available = bytes.length - at;
    if (available < 2) return 0;
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) return this.fail(CLOSE.protocol, "reserved bits set: no extension was agreed");
    if ((b1 & 0x80) === 0) return this.fail(CLOSE.protocol, "a client's frames must be masked");
    let length = b1 & 0x7f;
    let header = 2;
    if (length === 126) {
      if (available < 4) return 0;
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      header = 4;
    } else if (length === 127) {
      if (available < 10) return 0;
      const high = (bytes[at + 2]! << 24) | (bytes[at + 3]! << 16) | (bytes[at + 4]! << 8) | bytes[at + 5]!;
      const low = ((bytes[at + 6]! << 24) | (bytes[at + 7]! << 16) | (bytes[at + 8]! << 8) | bytes[at + 9]!) >>> 0;
      // Past 2^53 is no length a browser sends; past the message bound is refused below anyway.
      length = high !== 0 ? Number.MAX_SAFE_INTEGER : low;
      header = 10;
    }
    if (available < header + 4) return 0;
    const mask = bytes.subarray(at + header, at + header + 4);
    header += 4;
    if (opcode >= 8) {
      // Control frames: whole, unfragmented, at most 125 bytes, between a message's fragments too.
      if (!fin || length > 125) return this.fail(CLOSE.protocol, "a control frame was fragmented or too long");
      if (available < header + length) return 0;
      const payload = bytes.slice(at + header, at + header + length);
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      if (opcode === OPCODE.ping) this.handlers.ping(payload);
      else if (opcode === OPCODE.close) this.handlers.close(payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined);
      else if (opcode !== OPCODE.pong) return this.fail(CLOSE.protocol, `unknown control frame ${opcode}`);
      return header + length;
    }
    if (opcode === OPCODE.continuation ? !this.inMessage : opcode > 2 || this.inMessage) {
      return this.fail(CLOSE.protocol, this.inMessage ? "a new message began inside a fragmented one" : "a frame of no known kind");
    }
    if (opcode !== OPCODE.continuation) this.messageBytes = 0;
    this.messageBytes += length;
    if (this.messageBytes > this.maxMessage) return this.fail(CLOSE.tooBig, `a message over ${this.maxMessage} bytes`);
    this.inMessage = !fin;
    this.finalFrame = fin;
    this.mask = mask.slice();
    this.maskAt = 0;
    this.left = length;
    if (length === 0 && fin) this.handlers.data(new Uint8Array(0), true);
    return header;
  }

  private fail(code: number, why: string): 0 {
    this.failed = true;
    this.partial = undefined;
    this.handlers.fail(code, why);
    return 0;
  }
}

/** A frame's header for a payload of `length` bytes, from the server (unmasked, final). */
export function frameHeader(opcode: number, length: number): Uint8Array {
  if (length < 126) return new Uint8Array([0x80 | opcode, length]);
  if (length < 65536) return new Uint8Array([0x80 | opcode, 126, length >> 8, length & 0xff]);
  const header = new Uint8Array(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  new DataView(header.buffer).setUint32(6, length);
  return header;
}

/** A whole frame: its header and payload in one buffer (one write). */
export function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const header = frameHeader(opcode, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/** A close frame's payload: the code and a short reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = new TextEncoder().encode(reason.slice(0, 100));
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Bytes as one binary frame. A room's turn is one buffer shared by every member (encoded once per
 * view): it is framed once for all of them, not copied again for each.
 */
const framedBuffers = new WeakMap<Uint8Array, Uint8Array>();
function framedOnce(data: Uint8Array): Uint8Array {
  let whole = framedBuffers.get(data);
  if (!whole) framedBuffers.set(data, (whole = frame(OPCODE.binary, data)));
  return whole;
}

/**
 * A session's socket as its outbox sees it: each write goes out as a binary frame. The socket may
 * take part of a frame; the rest of that frame then goes first, raw, whatever the next write
 * holds, so the outbox's own bookkeeping (bytes taken of what it gave) holds unchanged. Control
 * frames (pong, close) wait for the frame under way to end.
 */
export class FrameWriter implements Writable {
  /** The unwritten end of a frame's header, and its payload bytes still owed. */
  private headerLeft: Uint8Array | undefined;
  private owed = 0;
  private control: Uint8Array[] = [];
  private closing = false;

  constructor(private readonly socket: Writable) {}

  write(data: Uint8Array): number {
    let taken = 0;
    let rest = data;
    if (this.headerLeft) {
      const n = this.socket.write(this.headerLeft);
      if (n < 0) return -1;
      if (n < this.headerLeft.length) {
        this.headerLeft = this.headerLeft.subarray(n);
        return 0;
      }
      this.headerLeft = undefined;
    }
    if (this.owed > 0) {
      const n = this.socket.write(rest.subarray(0, this.owed));
      if (n < 0) return -1;
      this.owed -= n;
      taken += n;
      if (this.owed > 0) return taken;
      rest = rest.subarray(n);
    }
    if (this.control.length > 0) this.flushControl(); // what waited for the frame under way goes first
    if (rest.length === 0 || this.closing || !this.idle) return taken;
    const whole = framedOnce(rest);
    const headerLength = whole.length - rest.length;
    const n = this.socket.write(whole);
    if (n < 0) return taken > 0 ? taken : -1;
    if (n < headerLength) {
      this.headerLeft = whole.subarray(n, headerLength);
      this.owed = rest.length;
      return taken;
    }
    const sent = n - headerLength;
    this.owed = rest.length - sent;
    return taken + sent;
  }

  /**
   * A pong or a close: now, or once the frame under way is out. While one waits, a client that
   * keeps pinging and never reads must not grow the queue: a newer pong takes the waiting one's
   * place (RFC 6455 §5.5.3 lets a server answer only the latest ping), so at most a pong and a
   * close wait.
   */
  sendControl(opcode: number, payload: Uint8Array): void {
    const framed = frame(opcode, payload);
    const waiting = opcode === OPCODE.pong ? this.control.findIndex((f) => (f[0]! & 0x0f) === OPCODE.pong) : -1;
    if (waiting === -1) this.control.push(framed);
    else this.control[waiting] = framed;
    if (this.idle) this.flushControl();
  }

  /** The socket drained: the rest of a control frame it cut short, and those that waited. */
  drain(): void {
    if (this.headerLeft && this.owed === 0) {
      const n = this.socket.write(this.headerLeft);
      if (n < 0) return;
      if (n < this.headerLeft.length) return void (this.headerLeft = this.headerLeft.subarray(n));
      this.headerLeft = undefined;
    }
    if (this.idle) this.flushControl();
  }

  /** The outbox is done: a close frame (1000), then the socket's FIN; mid-frame there is no clean way. */
  end(): void {
    if (!this.idle) return this.socket.terminate();
    if (!this.closing) this.control.push(frame(OPCODE.close, closePayload(CLOSE.normal)));
    this.closing = true;
    this.flushControl();
    this.socket.end();
  }

  terminate(): void {
    this.socket.terminate();
  }

  /** Closes with `code` (a protocol error, a message too big), after the frame under way if any. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.sendControl(OPCODE.close, closePayload(code, reason));
  }

  private get idle(): boolean {
    return this.owed === 0 && this.headerLeft === undefined;
  }

  private flushControl(): void {
    while (this.control.length > 0) {
      const next = this.control[0]!;
      const n = this.socket.write(next);
      if (n < 0) return void (this.control = []);
      if (n < next.length) {
        // A control frame is small: what the socket did not take goes as the header's remainder.
        this.control.shift();
        this.headerLeft = next.subarray(n);
        return;
      }
      this.control.shift();
    }
  }
}
