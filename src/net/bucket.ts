// A token bucket: holds up to `burst` tokens and refills at `perSecond`. Used for flood control
// (lines and bytes per connection) and for slowing failed attempts from one address.

import { FLOOD_BYTES_PER_LINE, FLOOD_OUTPUT_PER_LINE, LIMITS } from "../protocol/limits.ts";

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = Math.max(this.at, now);
  }

  /** Milliseconds until `cost` tokens are there (0: now). Costs above the burst count as the burst. */
  wait(cost: number, now: number): number {
    this.refill(now);
    const missing = Math.min(cost, this.burst) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.perSecond);
  }

  /**
   * Takes `cost` tokens, capped at the burst unless `uncapped`; the level may go below zero, which
   * delays what follows.
   */
  take(cost: number, now: number, uncapped = false): void {
    this.refill(now);
    this.tokens -= uncapped ? cost : Math.min(cost, this.burst);
  }

  /** Gives back `cost` tokens taken for something that turned out not to count (never past the burst). */
  give(cost: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.burst, this.tokens + cost);
  }

  /** Full again: nothing to remember. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

/**
 * Flood control for one connection: lines, and bytes alongside (FLOOD_BYTES_PER_LINE per line
 * token, with room for two full-length lines). The server enforces it; the bundled client paces
 * itself with the same numbers, from the server's hello, so piping a file in never trips it.
 *
 * Output is charged too, the way IRC daemons charge penalties for output-heavy commands: what the
 * server answers one's own commands with (/users, /help) costs FLOOD_OUTPUT_PER_LINE per line
 * token, with no cap, so asking for a lot of output slows the asker, not the server.
 */
export class FloodBudget {
  private readonly lines: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly output: TokenBucket;

  constructor(burstLines: number, linesPerSecond: number, now: number) {
    this.lines = new TokenBucket(burstLines, linesPerSecond, now);
    this.bytes = new TokenBucket(
      Math.max(burstLines * FLOOD_BYTES_PER_LINE, 2 * (LIMITS.maxLineBytes + 2)),
      linesPerSecond * FLOOD_BYTES_PER_LINE,
      now,
    );
    this.output = new TokenBucket(burstLines * FLOOD_OUTPUT_PER_LINE, linesPerSecond * FLOOD_OUTPUT_PER_LINE, now);
  }

  /** Milliseconds until a line of `size` bytes may go (0: now). */
  wait(size: number, now: number): number {
    return Math.max(this.lines.wait(1, now), this.bytes.wait(size + 1, now), this.outputWait(now));
  }

  /** Milliseconds the next line waits because of output already asked for (0: none). */
  outputWait(now: number): number {
    return this.output.wait(1, now);
  }

  take(size: number, now: number): void {
    this.lines.take(1, now);
    this.bytes.take(size + 1, now);
  }

  /** The server answered with `bytes` of output: charged in full, however much that is. */
  charge(bytes: number, now: number): void {
    this.output.take(bytes, now, true);
  }
}
