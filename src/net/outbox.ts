// The only code that writes to a socket. Bun's socket.write can accept fewer bytes than it is
// given and drops the rest, so whatever it did not take waits here and goes out on "drain".

import { MAX_HELD_BYTES, type Turns } from "../core/turns.ts";

/** The part of a Bun socket an outbox needs; tests can pass a fake. */
export interface Writable {
  write(data: Uint8Array): number;
  end(): void;
  /** Close at once with a reset, dropping what the kernel still holds. */
  terminate(): void;
}

/**
 * The empty list every idle outbox shares until it has something to keep: 10,000 idle connections
 * with two empty arrays each are a megabyte. Frozen, so a push to it would throw rather than leak.
 */
const NONE: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];
const NO_SEQS: number[] = Object.freeze([]) as unknown as number[];

const NEWLINE = new Uint8Array([0x0a]);

/**
 * Told when an outbox is dropped (a method, not a closure: one less object per connection): over
 * its own limit, or the biggest when all of them together held too much (`shared`). What it
 * returns is written as the connection's last words, if the socket takes them.
 */
export interface OverflowListener {
  outboxOverflowed(held: number, shared: boolean): Uint8Array | undefined;
}
const NOBODY: OverflowListener = { outboxOverflowed: () => undefined };

/**
 * What every outbox of a server holds for readers that fell behind, bounded in total on top of
 * each one's own limit: 2000 connections each just under 1 MiB would be 2 GB. Past the bound the
 * outboxes holding the most are dropped, until they hold three quarters of it.
 */
export class OutboxPool {
  private total = 0;
  /** Bytes handed to sockets by every outbox of the pool so far: how busy the server has been. */
  written = 0;
  /** Connections dropped for not reading (their own limit, or the pool's). */
  dropped = 0;
  /** Outboxes with something queued. */
  private readonly holders = new Set<Outbox>();
  private shedding = false;

  constructor(
    readonly limit: number,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Bytes queued by every outbox of the pool. */
  get bytes(): number {
    return this.total;
  }

  /** An outbox's queue changed by `delta` bytes (it now holds `queued`). */
  update(outbox: Outbox, delta: number, queued: number): void {
    this.total += delta;
    if (queued > 0) this.holders.add(outbox);
    else this.holders.delete(outbox);
    if (this.total > this.limit && !this.shedding) this.shed();
  }

  private shed(): void {
    this.shedding = true;
    const before = this.total;
    const biggest = [...this.holders].sort((a, b) => b.queuedBytes - a.queuedBytes);
    let dropped = 0;
    for (const outbox of biggest) {
      if (this.total <= this.limit * 0.75) break;
      outbox.overflow(true);
      dropped++;
    }
    this.shedding = false;
    const size = (n: number) => (n >= 1048576 ? `${Math.round(n / 1048576)} MiB` : `${Math.round(n / 1024)} KiB`);
    this.log(
      `! output waiting for slow readers passed ${size(this.limit)} in all: dropped the ${dropped} connection(s) holding the most (${size(before - this.total)})`,
    );
  }
}

export class Outbox {
  private queue: Uint8Array[] = NONE;
  private queued = 0;
  /** With `turns`: what send() took this turn, not yet written, and each part's sequence number. */
  private held: Uint8Array[] = NONE;
  private heldSeqs: number[] = NO_SEQS;
  private heldBytes = 0;
  private ending = false;
  private done = false;
  /** The socket's last accepted byte was not a newline: dropping the queue would cut a line short. */
  private midLine = false;

  /**
   * @param limit bytes that may wait here; past it the queue is dropped, the socket is ended and
   *   `listener` is told. A reader that stops reading can't make the server hold more.
   * @param turns hold what is sent during one turn of the event loop and write it in one go at the
   *   end of the turn: a thousand joins handled in one turn cost each recipient one write, not a
   *   thousand. Without it every send is written at once.
   * @param pool the bound on what all of a server's outboxes hold together.
   */
  constructor(
    private readonly socket: Writable,
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly listener: OverflowListener = NOBODY,
    private readonly turns?: Turns,
    private readonly pool?: OutboxPool,
  ) {}

  /** Bytes the socket refused, waiting for it to drain. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Bytes accepted by send() but not yet taken by the socket. */
  get pendingBytes(): number {
    return this.queued + this.heldBytes;
  }

  /** True once end() was called or the socket closed: further sends are dropped. */
  get closed(): boolean {
    return this.ending || this.done;
  }

  /** The sequence number of the newest part it holds for the end of the turn; 0 when it holds none. */
  get lastHeldSeq(): number {
    return this.heldBytes === 0 ? 0 : this.heldSeqs[this.heldSeqs.length - 1]!;
  }

  send(bytes: Uint8Array, seq?: number): void {
    if (this.closed || bytes.length === 0) return;
    if (!this.turns) return this.write(bytes);
    // A big turn (a paste of long lines) is written as it grows, so held bytes stay bounded; one
    // big part (a welcome to a room of 10,000) is just held.
    if (this.heldBytes > 0 && this.heldBytes + bytes.length > MAX_HELD_BYTES) this.flush();
    this.hold(bytes, seq ?? this.turns.nextSeq());
  }

  /**
   * Parts sent earlier in the turn by someone else (a hub's broadcasts), with their sequence
   * numbers, in order: merged with what this outbox holds so that everything goes out in the
   * order it was sent.
   */
  sendTurn(parts: Uint8Array[], seqs: number[]): void {
    if (this.closed) return;
    if (this.lastHeldSeq < seqs[0]!) {
      // Everything held comes first: nothing to merge.
      for (let i = 0; i < parts.length; i++) this.hold(parts[i]!, seqs[i]!);
      return;
    }
    const held = this.held;
    const heldSeqs = this.heldSeqs;
    this.held = [];
    this.heldSeqs = [];
    let h = 0;
    for (let i = 0; i < parts.length; i++) {
      while (h < held.length && heldSeqs[h]! < seqs[i]!) (this.held.push(held[h]!), this.heldSeqs.push(heldSeqs[h++]!));
      this.held.push(parts[i]!);
      this.heldSeqs.push(seqs[i]!);
      this.heldBytes += parts[i]!.length;
    }
    while (h < held.length) (this.held.push(held[h]!), this.heldSeqs.push(heldSeqs[h++]!));
  }

  /** Writes what was held this turn (called at the end of the turn, or when it must go now). */
  flush(): void {
    this.turns?.runHooks(); // first collect this turn's broadcasts, which may come before what is held
    if (this.heldBytes === 0 || this.done) return;
    const bytes = this.held.length === 1 ? this.held[0]! : this.turns!.join(this.held, this.heldBytes);
    this.held = NONE;
    this.heldSeqs = NO_SEQS;
    this.heldBytes = 0;
    this.write(bytes);
  }

  private hold(bytes: Uint8Array, seq: number): void {
    if (this.held === NONE) {
      this.held = [];
      this.heldSeqs = [];
      this.turns!.hold(this);
    }
    this.held.push(bytes);
    this.heldSeqs.push(seq);
    this.heldBytes += bytes.length;
  }

  private write(bytes: Uint8Array): void {
    if (this.queue.length > 0) {
      this.enqueue(bytes); // keep order: nothing may overtake what is already waiting
      return;
    }
    this.writeOrQueue(bytes);
  }

  /** Call from the socket's drain handler. */
  drain(): void {
    if (this.done || this.queue.length === 0) return;
    const pending = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queued);
    this.clearQueue();
    this.writeOrQueue(pending);
    if (this.ending && this.queue.length === 0) this.finish();
  }

  private clearQueue(): void {
    const had = this.queued;
    this.queue = NONE;
    this.queued = 0;
    if (had > 0) this.pool?.update(this, -had, 0);
  }

  /** Sends everything queued, then closes the socket (half-close first; the peer sees EOF). */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.ending = true;
    if (this.queue.length === 0) this.finish();
  }

  /** The socket is gone: drop what is queued. */
  discard(): void {
    this.done = true;
    this.dropAll();
  }

  /** Forgets everything queued and held. */
  private dropAll(): void {
    this.clearQueue();
    this.held = NONE;
    this.heldSeqs = NO_SEQS;
    this.heldBytes = 0;
  }

  /** Gives up on an orderly close: reset the connection now. */
  terminate(): void {
    this.discard();
    this.socket.terminate();
  }

  private writeOrQueue(bytes: Uint8Array): void {
    const taken = this.socket.write(bytes);
    if (taken < 0) return this.discard(); // the socket is already closed
    if (this.pool) this.pool.written += taken;
    if (taken > 0) this.midLine = bytes[taken - 1] !== 0x0a;
    if (taken < bytes.length) this.enqueue(bytes.subarray(taken));
  }

  private enqueue(bytes: Uint8Array): void {
    if (this.queued + bytes.length > this.limit) return this.overflow(false);
    if (this.queue === NONE) this.queue = [];
    this.queue.push(bytes);
    this.queued += bytes.length;
    this.pool?.update(this, bytes.length, this.queued); // may drop this very outbox
  }

  /**
   * Over its limit (or, `shared`, the biggest when the pool is over its own): drops everything,
   * tells the owner, and ends the connection after the owner's last words, which wait here (a few
   * hundred bytes instead of a megabyte) for a reader that resumes before its close grace ends.
   */
  overflow(shared: boolean): void {
    if (this.done) return;
    const held = this.queued;
    if (this.pool) this.pool.dropped++;
    this.dropAll();
    this.ending = true; // before the listener, which may send more
    const last = this.listener.outboxOverflowed(held, shared);
    // On a line of their own, even after a line the dropped queue cut short.
    if (last) this.write(this.midLine ? Buffer.concat([NEWLINE, last]) : last);
    if (this.queue.length === 0) this.finish();
  }

  private finish(): void {
    this.done = true;
    // end() without data: with data and a full kernel buffer, Bun never sends the FIN.
    this.socket.end();
  }
}
