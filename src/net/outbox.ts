// The only code that writes to a socket. Bun's socket.write can accept fewer bytes than it is
// given and drops the rest, so whatever it did not take waits here and goes out on "drain".

/** The part of a Bun socket an outbox needs; tests can pass a fake. */
export interface Writable {
  write(data: Uint8Array): number;
  end(): void;
  /** Close at once with a reset, dropping what the kernel still holds. */
  terminate(): void;
}

export class Outbox {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private ending = false;
  private done = false;

  /**
   * @param limit bytes that may wait here; past it the queue is dropped, the socket is ended and
   *   `overflow` is called. A reader that stops reading can't make the server hold more.
   */
  constructor(
    private readonly socket: Writable,
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly overflow: () => void = () => {},
  ) {}

  /** Bytes accepted by send() but not yet taken by the socket. */
  get pendingBytes(): number {
    return this.queued;
  }

  /** True once end() was called or the socket closed: further sends are dropped. */
  get closed(): boolean {
    return this.ending || this.done;
  }

  send(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
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
    this.queue = [];
    this.queued = 0;
    this.writeOrQueue(pending);
    if (this.ending && this.queue.length === 0) this.finish();
  }

  /** Sends everything queued, then closes the socket (half-close first; the peer sees EOF). */
  end(): void {
    if (this.closed) return;
    this.ending = true;
    if (this.queue.length === 0) this.finish();
  }

  /** The socket is gone: drop what is queued. */
  discard(): void {
    this.done = true;
    this.queue = [];
    this.queued = 0;
  }

  /** Gives up on an orderly close: reset the connection now. */
  terminate(): void {
    this.discard();
    this.socket.terminate();
  }

  private writeOrQueue(bytes: Uint8Array): void {
    const written = this.socket.write(bytes);
    if (written < 0) return this.discard(); // the socket is already closed
    if (written < bytes.length) this.enqueue(bytes.subarray(written));
  }

  private enqueue(bytes: Uint8Array): void {
    if (this.queued + bytes.length > this.limit) {
      this.discard();
      this.overflow(); // first: end() may run the socket's close handler right away
      this.socket.end(); // the FIN waits behind what the kernel holds; a reader that resumes sees it
      return;
    }
    this.queue.push(bytes);
    this.queued += bytes.length;
  }

  private finish(): void {
    this.done = true;
    // end() without data: with data and a full kernel buffer, Bun never sends the FIN.
    this.socket.end();
  }
}
