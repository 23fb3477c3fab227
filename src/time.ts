// Local wall-clock stamps for logs and chat lines.

const pad = (n: number) => String(n).padStart(2, "0");

/** "HH:MM:SS", or "HH:MM" without seconds, in local time. */
export function clock(ms: number, seconds = true): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}
