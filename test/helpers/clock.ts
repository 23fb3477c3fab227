// A clock that only moves when told to: presence windows, flood budgets and backoffs without waiting.

import type { Clock } from "../../src/net/clock.ts";

export function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1000;
  let timers: { at: number; run: () => void }[] = [];
  /** The first timer due by `until`. */
  const next = (until: number) =>
    timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
  return {
    now: () => now,
    later(ms, run) {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return { cancel: () => void (timers = timers.filter((t) => t !== timer)) };
    },
    /** Moves on by `ms`, running what falls due in order (timers set meanwhile too, if they fall due). */
    advance(ms) {
      const until = now + ms;
      for (let due = next(until); due; due = next(until)) {
        timers = timers.filter((t) => t !== due);
        now = Math.max(now, due.at);
        due.run();
      }
      now = until;
    },
  };
}
