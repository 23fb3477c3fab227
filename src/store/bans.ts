// Server bans (/ban by a server admin): a name (a registered user's account, or a guest's name)
// and, for a guest, the network it came from, so that a new name from the same place is refused
// too. Kept with the accounts (the history file, or Redis in a cluster: every node sees a ban at
// once). Timed bans lapse by themselves.

import type { RecordKind } from "./records.ts";
import type { Maybe } from "./history.ts";
import { isObject, parseJson } from "../protocol/decode.ts";

export interface Ban {
  /** The banned name's key (foldName). */
  key: string;
  /** The name as it was when banned. */
  name: string;
  /** A guest's network (`1.2.3.0/24`): anyone from it is refused too. */
  network?: string;
  /** When it lapses (ms); none: until /unban. */
  until?: number;
  reason?: string;
  /** The admin who banned, and when. */
  by: string;
  at: number;
}

/** Bans the server keeps at most: past this, /ban asks to lift some first. */
export const MAX_BANS = 1000;

export interface BanStore {
  /** Every ban, lapsed ones included (the caller skips those). */
  list(): Maybe<Ban[]>;
  put(ban: Ban): Maybe<void>;
  /** False if there was none. */
  remove(key: string): Maybe<boolean>;
}

/**
 * Whether `ban` stops someone choosing the name with `key` from `network`, at `now` (no network:
 * a registered name, which a guest's network ban does not cover; its owner logs in to use it).
 */
export function bans(ban: Ban, key: string, network: string | undefined, now: number): boolean {
  if (ban.until !== undefined && ban.until <= now) return false;
  return ban.key === key || (ban.network !== undefined && ban.network === network);
}

/** How a ban is kept: by the banned name's key. */
export const BAN_RECORDS: RecordKind<Ban> = { keyOf: (ban) => ban.key, parse: parseBan };

/** A ban as kept (JSON), checked field by field; undefined if it is not one. */
export function parseBan(value: unknown): Ban | undefined {
  if (typeof value !== "string") return undefined;
  const f = parseJson(value);
  if (!isObject(f)) return undefined;
  const { key, name, network, until, reason, by, at } = f;
  if (typeof key !== "string" || typeof name !== "string" || typeof by !== "string" || typeof at !== "number") return undefined;
  if (network !== undefined && typeof network !== "string") return undefined;
  if (until !== undefined && typeof until !== "number") return undefined;
  if (reason !== undefined && typeof reason !== "string") return undefined;
  return {
    key,
    name,
    by,
    at,
    ...(typeof network === "string" ? { network } : {}),
    ...(typeof until === "number" ? { until } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
  };
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "10m", "2h", "7d", "30s" as milliseconds; undefined if it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}
