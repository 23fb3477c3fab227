// Lines in the order they came, each let through when its owner's budget allows: the server paces
// what a connection sends by its flood budget (and, before the name, by the failed attempts of its
// address); the bundled client paces what it sends by its copy of the same budget, so that it never
// trips the server's. One queue, one timer, the same code on both sides.

import type { Clock } from "./clock.ts";

/**
 * What a pacer asks of its owner. Methods on the owner rather than closures: a server keeps one
 * pacer per connection, 10,000 of them when idle.
 */
export interface PacerHost<T> {
  /** Milliseconds until `item` may go (0: now). */
  paceWait(item: T, now: number): number;
  /** `item` goes now: what it costs. */
  paceTake(item: T, now: number): void;
  /** Handles an item that was let through. */
  paced(item: T): void;
  /** Nothing waits or holds any more (after a backlog, or a hold released with nothing behind it). */
  paceDrained?(): void;
}

const NOTHING: never[] = [];

export class Pacer<T> {
  private queue: T[] = NOTHING;
  private timer: { cancel(): void } | undefined;
  /**
   * What must happen first (a name claim answered, a long answer read, a connection), and how many
   * of each are awaited: nothing goes meanwhile. Counted, because a wait may begin inside another of
   * the same kind (a store's answer asked for once another has come) and must outlast its release.
   */
  private holds: Map<string, number> | undefined;
  private holdCount = 0;

  constructor(
    private readonly host: PacerHost<T>,
    private readonly clock: Clock,
  ) {}

  /** Items waiting. */
  get length(): number {
    return this.queue.length;
  }

  /** Whether `reason` holds it. */
  holding(reason: string): boolean {
    return (this.holds?.get(reason) ?? 0) > 0;
  }

  /** Whether anything holds it (lines then wait for an answer, not for the budget). */
  get held(): boolean {
    return this.holdCount > 0;
  }

  /** Queues an item behind the others and lets through whatever may go now (`now`: if the caller has read the clock). */
  push(item: T, now = this.clock.now()): void {
    // The common case, a line with nothing before it, goes at once without touching the queue.
    if (this.queue.length === 0 && !this.held && this.timer === undefined) {
      if (this.host.paceWait(item, now) === 0) {
        this.host.paceTake(item, now);
        this.host.paced(item);
        return;
      }
    }
    if (this.queue === NOTHING) this.queue = [];
    this.queue.push(item);
    this.drain();
  }

  /** Nothing goes until `release(reason)`, once for each hold of it. */
  hold(reason: string): void {
    const holds = (this.holds ??= new Map());
    holds.set(reason, (holds.get(reason) ?? 0) + 1);
    this.holdCount++;
  }

  release(reason: string): void {
    const count = this.holds?.get(reason) ?? 0;
    if (count === 0) return;
    if (count === 1) this.holds!.delete(reason);
    else this.holds!.set(reason, count - 1);
    this.holdCount--;
    this.drain();
  }

  /** Forgets what waits (the connection is gone, or the user left). Holds stay. */
  clear(): void {
    this.queue = NOTHING;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Lets items go, in order, while the budget allows; else waits for it, once. */
  private drain(): void {
    if (this.timer !== undefined || this.held) return;
    while (this.queue.length > 0 && !this.held) {
      const item = this.queue[0]!;
      const now = this.clock.now();
      const wait = this.host.paceWait(item, now);
      if (wait > 0) {
        this.timer = this.clock.later(wait, () => {
          this.timer = undefined;
          this.drain();
        });
        return;
      }
      this.host.paceTake(item, now);
      this.queue.shift();
      this.host.paced(item);
    }
    if (this.queue.length === 0 && !this.held) this.host.paceDrained?.();
  }
}
