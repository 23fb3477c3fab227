// Keeps the log readable, and bounded, under a storm: the first few lines of one kind from one
// network in a window are written as they come; the rest are counted, and one line sums them up
// when the window ends ("312 more failed TLS handshakes from 127.0.0.0/24 in the last 10 s").

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
