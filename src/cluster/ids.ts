// A node's line ids: <ms>-<n>, the time on Redis's clock (as this node reckons it) and a number
// from a block this node leased from the cluster's one sequence (INCRBY), so that no two nodes give
// the same id and none waits on Redis to give one. The turn script stores a line under its id; the
// rare line that would not come after its stream's newest (said on two nodes in one millisecond) is
// stored under the next id there, with its own id beside it (scripts.ts).

/** Ids leased at a time; the next block is asked for when half of one is used. */
export const LEASE = 10_000;

export interface IdsHost {
  now(): number;
  /** Redis's clock minus ours. */
  readonly redisOffsetMs: number;
  /** Leases `count` numbers: the last of them (INCRBY on the sequence). */
  lease(count: number): Promise<number>;
}

export class LeasedIds {
  /** The block in use: from `next` to `last`, and the one leased after it. */
  private next = 1;
  private last = 0;
  private spare: { next: number; last: number } | undefined;
  private leasing = false;
  private lastMs = 0;
  /** Ids given while no block was left (Redis away a long time): unique, never stored in order. */
  private stray = 0;

  constructor(
    private readonly host: IdsHost,
    /** This process's boot id: what makes a stray id unique. */
    private readonly boot: string,
  ) {}

  /** Leases the first block (joining the cluster waits for it). */
  async start(): Promise<void> {
    if (this.next > this.last) await this.refill();
  }

  /** The next id: never the same as one given before or by any other node, and never older. */
  nextId(): string {
    if (this.next > this.last && this.spare) {
      ({ next: this.next, last: this.last } = this.spare);
      this.spare = undefined;
    }
    if (!this.spare && this.last - this.next < LEASE / 2) void this.refill().catch(() => {}); // tried again at the next id
    const ms = Math.max(Math.floor(this.host.now() + this.host.redisOffsetMs), this.lastMs);
    this.lastMs = ms;
    if (this.next > this.last) return `${ms}-${this.boot}.${++this.stray}`;
    return `${ms}-${this.next++}`;
  }

  private async refill(): Promise<void> {
    if (this.leasing) return;
    this.leasing = true;
    try {
      const last = await this.host.lease(LEASE);
      const block = { next: last - LEASE + 1, last };
      if (this.next > this.last) ({ next: this.next, last: this.last } = block);
      else this.spare = block;
    } finally {
      this.leasing = false;
    }
  }
}
