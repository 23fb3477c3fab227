// The server's log: one timestamped line on stdout per event. Lines are written together, at most
// 100 ms after the first of them (or once 64 KB wait): a busy room logs thousands of lines a second,
// and a write per line, then a write per turn, were a third of the server's time in a small room.
// server.ts makes one and calls flush() before exiting, on every way out it controls.

import { writeSync } from "node:fs";
import { clock } from "./time.ts";

/** Lines wait at most this long before they are written... */
const LOG_DELAY_MS = 100;
/** ...or until this much is waiting. */
const LOG_BATCH_CHARS = 64 * 1024;

export class StdoutLog {
  /**
   * The stamp of the current second, made once per second by a timer set for the next second's
   * start, rather than from a clock read per line (a clock read per line was a tenth of the log's cost).
   */
  private stamp = "";
  /** Log lines not written yet, each with its stamp, and their length in all. */
  private pending: string[] = [];
  private pendingChars = 0;
  private flushTimer: Timer | undefined;
  private readonly restamp = () => {
    const now = Date.now();
    this.stamp = clock(now);
    setTimeout(this.restamp, 1000 - (now % 1000)).unref();
  };
  private readonly flushSoon = () => this.flush();

  /** One line of the log (no newline). */
  readonly line = (line: string): void => {
    if (this.stamp === "") this.restamp();
    const stamped = `${this.stamp} ${line}`;
    this.pending.push(stamped);
    this.pendingChars += stamped.length;
    if (this.pendingChars >= LOG_BATCH_CHARS) this.flush();
    else this.flushTimer ??= setTimeout(this.flushSoon, LOG_DELAY_MS);
  };

  /**
   * Writes the log lines still waiting, synchronously. process.stdout's stream machinery would cost
   * the server 7 MB of RSS, and Bun.stdout.writer() 1.6 MB.
   */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(`${this.pending.join("\n")}\n`);
    this.pending = [];
    this.pendingChars = 0;
    // One write (console.log writes the newline on its own: two system calls per batch).
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written);
    } catch {
      // stdout would block (a non-blocking pipe) or is gone: console.log waits or gives up its own way.
      console.log(bytes.subarray(written).toString().replace(/\n$/, ""));
    }
  }
}
