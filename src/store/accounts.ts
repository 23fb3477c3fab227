// Registered names: a name someone owns with a password, kept with the history (the SQLite file on
// one server, Redis in a cluster, where every node sees a registration at once). A name is found
// by its key (foldName: case and look-alikes folded), so `sam` and `5am` are Sam's too.

import type { Maybe } from "./history.ts";
import { isObject, parseJson } from "../protocol/decode.ts";

export interface Account {
  /** The name as registered. */
  name: string;
  /** Bun.password's hash (argon2id): the password itself is never kept. */
  hash: string;
  /** When it was registered (ms). */
  created: number;
  /** Name keys of the users it ignores (/ignore), kept from one login to the next. */
  ignores?: readonly string[];
  /** A bot's name (held for its HTTP API tokens): nobody logs in to it. */
  bot?: true;
  /** Stays online, in its rooms, when its last connection goes (/always-on). */
  alwaysOn?: true;
}

export interface AccountStore {
  /** The account whose name has this key (foldName), if any. */
  get(key: string): Maybe<Account | undefined>;
  /** Makes or replaces the account for `key`. */
  put(key: string, account: Account): Maybe<void>;
  remove(key: string): Maybe<void>;
}

/** An account as Redis holds it (JSON in the bunchat:accounts hash), checked field by field. */
export function parseAccount(value: unknown): Account | undefined {
  if (typeof value !== "string") return undefined;
  const parsed = parseJson(value);
  if (!isObject(parsed)) return undefined;
  const { name, hash, created, ignores, bot, alwaysOn } = parsed;
  return typeof name === "string" && typeof hash === "string" && typeof created === "number"
    ? { name, hash, created, ignores: nameKeys(ignores), ...(bot === true ? { bot } : {}), ...(alwaysOn === true ? { alwaysOn } : {}) }
    : undefined;
}

/** A list of name keys as kept, or none. */
export function nameKeys(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

