// Local wall-clock stamps for logs and chat lines.

import { writeSync } from "node:fs";

const pad = (n: number) => String(n).padStart(2, "0");

/** "HH:MM:SS", or "HH:MM" without seconds, in local time. */
export function clock(ms: number, seconds = true): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/**
 * The stamp of the current second, made once per second by a timer set for the next second's
 * start, rather than from a clock read per line (a clock read per line was a tenth of the log's cost).
 */
let stamp = "";
function restamp(): void {
  const now = Date.now();
  stamp = clock(now);
  setTimeout(restamp, 1000 - (now % 1000)).unref();
}

/** Log lines not written yet, each with its stamp, and their length in all. */
let pending: string[] = [];
let pendingChars = 0;
let flushTimer: Timer | undefined;
/** Lines wait at most this long before they are written... */
const LOG_DELAY_MS = 100;
/** ...or until this much is waiting. */
const LOG_BATCH_CHARS = 64 * 1024;

/**
 * The server's log: one timestamped line on stdout. Lines are written together, at most 100 ms
 * after the first of them (or once 64 KB wait): a busy room logs thousands of lines a second, and
 * a write per line, then a write per turn, were a third of the server's time in a small room. Call
 * flushLog() before exiting (server.ts does, on every way out it controls).
 */
export function consoleLog(line: string): void {
  if (stamp === "") restamp();
  const stamped = `${stamp} ${line}`;
  pending.push(stamped);
  pendingChars += stamped.length;
  if (pendingChars >= LOG_BATCH_CHARS) flushLog();
  else flushTimer ??= setTimeout(flushLog, LOG_DELAY_MS);
}

/**
 * Writes the log lines still waiting, synchronously. process.stdout's stream machinery would cost
 * the server 7 MB of RSS, and Bun.stdout.writer() 1.6 MB.
 */
export function flushLog(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending.length === 0) return;
  const bytes = Buffer.from(`${pending.join("\n")}\n`);
  pending = [];
  pendingChars = 0;
  // One write (console.log writes the newline on its own: two system calls per batch).
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch {
    // stdout would block (a non-blocking pipe) or is gone: console.log waits or gives up its own way.
    console.log(bytes.subarray(written).toString().replace(/\n$/, ""));
  }
}
