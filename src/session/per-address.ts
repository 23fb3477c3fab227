// A token bucket per client address, for things one address may only do so often: fail a name or
// password (guessing, name spam), or open a connection (connect/close storms). Anyone who stays
// under the budget never notices it.

import { TokenBucket } from "../net/bucket.ts";

/** Addresses remembered at most; beyond this the oldest are forgotten (a flood of addresses can't grow memory). */
const MAX_ADDRESSES = 10_000;

export class PerAddress {
  private readonly byAddress = new Map<string, TokenBucket>();

  /** `burst` at once, then `perSecond`; with perSecond 0 nothing is ever limited. */
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /** Milliseconds until this address may go again (0: go ahead). */
  wait(address: string, now: number): number {
    return this.byAddress.get(address)?.wait(1, now) ?? 0;
  }

  /** This address did it once more. */
  take(address: string, now: number): void {
    if (this.perSecond <= 0) return;
    let bucket = this.byAddress.get(address);
    if (!bucket) {
      if (this.byAddress.size >= MAX_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!);
      bucket = new TokenBucket(this.burst, this.perSecond, now);
      this.byAddress.set(address, bucket);
    }
    bucket.take(1, now);
  }

  /** An attempt taken beforehand did not count after all (a right password). */
  give(address: string, now: number): void {
    this.byAddress.get(address)?.give(1, now);
  }

  /** Forgets addresses that have earned their whole burst back. */
  sweep(now: number): void {
    for (const [address, bucket] of this.byAddress) if (bucket.full(now)) this.byAddress.delete(address);
  }

  get size(): number {
    return this.byAddress.size;
  }
}
