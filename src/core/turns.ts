// Batching by turn of the event loop, for one server: what its outboxes are sent while a turn's
// input is handled is held, and written in one go when the turn ends. Every send gets a sequence
// number from here, so that bytes handed over later by someone else (a hub's broadcasts for the
// turn) can be merged into the right place. One object per server, passed to whoever needs it:
// two servers (or hubs) in one process never share a turn or an order.

/** What a turn holds bytes for: it writes them when the turn ends. */
export interface Holder {
  flush(): void;
}

/** Past this much in one turn, what an outbox holds is written at once. */
export const MAX_HELD_BYTES = 64 * 1024;

export class Turns {
  /** Holders with bytes for this turn; written once the turn's input is handled. */
  private holding: Holder[] = [];
  private scheduled = false;
  private sequence = 0;
  /** Run before any held bytes are written: a hub hands each outbox its share of the turn's broadcasts. */
  private hooks: (() => void)[] = [];
  /**
   * Run after the hooks, every time, before any bytes go out: what was kept is made to survive a
   * crash first. True when it was handed to something that writes it only a moment later (Bun's
   * Redis client, at the next turn of the event loop): the turn's bytes then wait for that turn.
   */
  private commit: (() => boolean | void) | undefined;
  /** The commit asked the turn's bytes to wait a turn of the event loop. */
  private waitForCommit = false;
  /**
   * This turn's joined batches, newest first, at most two (one per mode). A broadcast hands every
   * recipient in a mode the same byte arrays, so most outboxes hold the same list: it is joined
   * once and the one buffer is written to each of them.
   */
  private readonly joined: { parts: Uint8Array[]; bytes: Uint8Array }[] = [];
  private readonly endTurn = () => this.flushHeld();

  /** @param schedule runs its argument once the current turn's I/O is handled (tests pass their own). */
  constructor(private readonly schedule: (run: () => void) => void = setImmediate) {}

  /** The next number in the order of everything sent. */
  nextSeq(): number {
    return ++this.sequence;
  }

  /** `hook` runs once, before this turn's held bytes are written (or earlier, if an outbox must write now). */
  beforeWrite(hook: () => void): void {
    this.hooks.push(hook);
    this.scheduleFlush();
  }

  /** A holder took its first bytes of this turn. */
  hold(holder: Holder): void {
    this.holding.push(holder);
    this.scheduleFlush();
  }

  /**
   * `commit` runs before any bytes held in a turn are written (at its end, or when an outbox must
   * write early): nothing anyone is sent is ahead of what keeps it.
   */
  beforeBytes(commit: () => boolean | void): void {
    this.commit = commit;
  }

  /** Runs the hooks waiting for this turn (they may add more, which run too), then the commit. */
  runHooks(): void {
    while (this.hooks.length > 0) {
      const hooks = this.hooks;
      this.hooks = [];
      for (const hook of hooks) hook();
    }
    if (this.commit?.()) this.waitForCommit = true;
  }

  /** The parts as one buffer, shared with every other holder of the same parts this turn. */
  join(parts: Uint8Array[], total: number): Uint8Array {
    for (const j of this.joined) if (sameParts(j.parts, parts)) return j.bytes;
    const bytes = Buffer.concat(parts, total);
    this.joined.unshift({ parts, bytes });
    if (this.joined.length > 2) this.joined.pop();
    return bytes;
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(this.endTurn);
  }

  /** The end of the turn: hooks, then every holder writes (a turn of the event loop later, when the commit asks). */
  flushHeld(): void {
    this.scheduled = false;
    this.runHooks();
    const batch = this.holding;
    this.holding = []; // a flush can make more sends (a dropped reader's leave): they go in the next batch
    if (this.waitForCommit) {
      // What a holder is sent meanwhile joins what it holds (a reply, never a kept line: those are
      // handed out at the end of their own turn), and goes with it.
      this.waitForCommit = false;
      this.schedule(() => this.write(batch));
      return;
    }
    this.write(batch);
  }

  private write(batch: Holder[]): void {
    for (const holder of batch) holder.flush();
    this.joined.length = 0;
  }
}

function sameParts(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
