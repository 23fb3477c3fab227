// Failed names and passwords, per address: after a few, each further attempt from that address
// waits. Slows password guessing and name spam without affecting anyone who gets it right.

import { TokenBucket } from "../net/bucket.ts";

/** Addresses remembered at most; beyond this the oldest are forgotten (a flood of addresses can't grow memory). */
const MAX_ADDRESSES = 10_000;

export class Attempts {
  private readonly byAddress = new Map<string, TokenBucket>();

  constructor(
    private readonly burst: number,
    private readonly everyMs: number,
  ) {}

  /** Milliseconds the next attempt from this address must wait (0: go ahead). */
  wait(address: string, now: number): number {
    return this.byAddress.get(address)?.wait(1, now) ?? 0;
  }

  failed(address: string, now: number): void {
    let bucket = this.byAddress.get(address);
    if (!bucket) {
      if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
      bucket = new TokenBucket(this.burst, 1000 / this.everyMs, now);
      this.byAddress.set(address, bucket);
    }
    bucket.take(1, now);
  }

  /** Forgets addresses that have earned all their attempts back. */
  sweep(now: number): void {
    for (const [address, bucket] of this.byAddress) if (bucket.full(now)) this.byAddress.delete(address);
  }

  get size(): number {
    return this.byAddress.size;
  }
}
