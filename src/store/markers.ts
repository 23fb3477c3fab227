// Read markers: per registered user and target (a room, "#dev", or a private conversation, the
// other's name key with "@" before it), the time of the newest line they have read, as IRC's
// draft/read-marker keeps it. A marker only moves forward. Kept with the accounts (the SQLite file
// on one server, Redis in a cluster), so that every device and every node sees the same.

import type { Maybe } from "./history.ts";

/** Targets one account keeps markers for at most: past it, the ones read longest ago go. */
export const MARKERS_PER_ACCOUNT = 500;

export interface MarkerStore {
  /** Every marker of `account` (a name key): target -> time (ms). */
  all(account: string): Maybe<Record<string, number>>;
  /** Moves `account`'s marker of `target` to `ts` unless it is there or later already. */
  set(account: string, target: string, ts: number): Maybe<void>;
}

/** Markers as Redis or a test keep them, checked: target -> a finite time. */
export function parseMarkers(entries: Iterable<[unknown, unknown]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [target, ts] of entries) {
    const n = typeof ts === "number" ? ts : typeof ts === "string" ? Number(ts) : Number.NaN;
    if (typeof target === "string" && Number.isFinite(n)) out[target] = n;
  }
  return out;
}
