// The page's sessions: a registered user who signs in on the page is given a session token, which
// the page keeps (localStorage) and presents when it loads again, so a reload does not sign them
// out. Kept as their SHA-256 only (the token's text is shown once, to the page), with the accounts:
// the history file on one server, Redis in a cluster. They expire, are listed and revoked with
// /sessions and /logout, and all go when the password changes or the name is given up.

import type { Maybe } from "./history.ts";
import { isObject, parseJson } from "../protocol/decode.ts";

export interface Session {
  /** Public: how /sessions and /logout name it (also the token's second part). */
  id: string;
  /** The registered name's key it signs in to. */
  account: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  created: number;
  /** It no longer signs in after this (moved on each use: SESSION_LASTS_MS after the last). */
  expires: number;
  /** When it last signed in. */
  used: number;
}

/** A session signs in for this long after it was last used. */
export const SESSION_LASTS_MS = 30 * 24 * 3600 * 1000;
/** Sessions one account keeps at most: a new one past it takes the place of the one used longest ago. */
export const SESSIONS_PER_ACCOUNT = 10;

export interface SessionStore {
  get(id: string): Maybe<Session | undefined>;
  /** An account's sessions (expired ones too, until they are taken out). */
  of(account: string): Maybe<Session[]>;
  put(session: Session): Maybe<void>;
  /** False if there was none. */
  remove(id: string): Maybe<boolean>;
  /** Every session of an account (its password changed, or it was given up). */
  removeAll(account: string): Maybe<void>;
}

/** A session as kept (JSON), checked field by field. */
export function parseSession(value: unknown): Session | undefined {
  if (typeof value !== "string") return undefined;
  const f = parseJson(value);
  if (!isObject(f)) return undefined;
  const { id, account, hash, created, expires, used } = f;
  if (typeof id !== "string" || typeof account !== "string" || typeof hash !== "string") return undefined;
  if (typeof created !== "number" || typeof expires !== "number" || typeof used !== "number") return undefined;
  return { id, account, hash, created, expires, used };
}
