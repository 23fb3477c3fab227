// Keeps the log readable, and bounded, under a storm: the first few lines of one kind from one
// network in a window are written as they come; the rest are counted, and one line sums them up
// when the window ends ("312 more failed TLS handshakes from 127.0.0.0/24 in the last 10 s").
// Rooms' lines likewise: up to CHAT_LOG_PER_SECOND of them a second, then a count (ChatLog).

/** Networks tracked at once; past this, the rest are counted together as "other networks". */
const MAX_KEYS = 1000;

/** A kind of repeated line: how one and how several read ("failed TLS handshake", "…handshakes"). */
export interface Repeat {
  one: string;
  many: string;
}

interface Window {
  repeat: Repeat;
  network: string;
  since: number;
  logged: number;
  unlogged: number;
}

export class LogDigest {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: (line: string) => void,
    /** How long a window lasts. */
    private readonly windowMs = 10_000,
    /** Lines written one by one per kind and network in a window. */
    private readonly shown = 3,
  ) {}

  /** `line` is one `repeat` from `network`: written, or counted once the window has had its share. */
  note(repeat: Repeat, network: string, line: string, now: number): void {
    let key = `${repeat.one}\u0000${network}`;
    let window = this.windows.get(key);
    if (!window && this.windows.size >= MAX_KEYS) {
      network = "other networks";
      key = `${repeat.one}\u0000${network}`;
      window = this.windows.get(key);
    }
    if (!window) {
      window = { repeat, network, since: now, logged: 0, unlogged: 0 };
      this.windows.set(key, window);
    }
    if (window.logged < this.shown) {
      window.logged++;
      this.log(line);
    } else window.unlogged++;
  }

  /** Call about once a second: ends the windows that are over, with a line for what was not written. */
  sweep(now: number): void {
    for (const [key, w] of this.windows) {
      if (now - w.since < this.windowMs) continue;
      this.windows.delete(key);
      if (w.unlogged === 0) continue;
      const what = w.unlogged === 1 ? w.repeat.one : w.repeat.many;
      this.log(`! ${w.unlogged} more ${what} from ${w.network} in the last ${this.windowMs / 1000} s`);
    }
  }
}

/**
 * Rooms' lines the log writes one by one in a second, at most: under journald's default limit
 * (10,000 a service in 30 s), which would drop the rest without a word. A room chatting faster is a
 * flood; its lines are in the history, and the log says how many it did not write.
 */
export const CHAT_LOG_PER_SECOND = 300;

/** Which rooms' lines go in the log: the first CHAT_LOG_PER_SECOND of each second; the rest are counted. */
export class ChatLog {
  private since = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private unlogged = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly perSecond = CHAT_LOG_PER_SECOND,
  ) {}

  /** Whether a room's line said `now` is written (the caller then words it), or only counted. */
  take(now: number): boolean {
    if (now - this.since >= 1000) this.sweep(now);
    if (this.logged < this.perSecond) {
      this.logged++;
      return true;
    }
    this.unlogged++;
    return false;
  }

  /** Call about once a second: a second that is over says how many lines it did not write. */
  sweep(now: number): void {
    if (now - this.since < 1000) return;
    if (this.unlogged > 0) {
      const seconds = Math.max(1, Math.round((now - this.since) / 1000));
      this.log(`… ${this.unlogged} more lines in rooms in the last ${seconds} s, past ${this.perSecond} a second: not logged one by one (the history keeps them)`);
    }
    this.since = now;
    this.logged = this.unlogged = 0;
  }
}
