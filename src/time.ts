// Local wall-clock stamps for logs and chat lines.

const pad = (n: number) => String(n).padStart(2, "0");

/** "HH:MM:SS", or "HH:MM" without seconds, in local time. */
export function clock(ms: number, seconds = true): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** The stamp of the current second, made once per second rather than once per line. */
let stampSecond = -1;
let stamp = "";
/** Log lines of this turn of the event loop, written together at its end. */
let pending = "";

/**
 * The server's log: one timestamped line on stdout. Lines are written once per turn of the event
 * loop: a busy room logs thousands of lines a second, and a write per line was half the server's
 * time. Call flushLog() before exiting.
 */
export function consoleLog(line: string): void {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stamp = clock(now);
  }
  if (pending === "") {
    setImmediate(flushLog);
    pending = `${stamp} ${line}`;
  } else pending += `\n${stamp} ${line}`;
}

/**
 * Writes the log lines still waiting for the end of the turn. console.log writes synchronously
 * and costs no memory to set up; process.stdout's stream machinery would cost the server 7 MB of
 * RSS, and Bun.stdout.writer() 1.6 MB.
 */
export function flushLog(): void {
  if (pending === "") return;
  console.log(pending); // lines joined by newlines: console.log adds the last one
  pending = "";
}
