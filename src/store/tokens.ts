// Bot tokens for the HTTP API as kept: made by a server admin (/token new <bot>; the text is made
// in src/session/secrets.ts), shown once, kept as their SHA-256 only. Kept with the accounts: the
// history file on one server, Redis in a cluster, where every node sees a new or revoked token at once.

import type { RecordKind } from "./records.ts";
import type { Maybe } from "./history.ts";
import { isObject, parseJson } from "../protocol/decode.ts";

export interface BotToken {
  /** Public: how /token list and /token revoke name it (also the token's second part). */
  id: string;
  /** The bot's name as its lines show it (held for it as a registered name is). */
  bot: string;
  /** SHA-256 of the whole token, hex. */
  hash: string;
  /** Who made it, and when. */
  by: string;
  created: number;
}

/** Tokens the server keeps at most: past this, /token new asks to revoke some first. */
export const MAX_TOKENS = 1000;

export interface TokenStore {
  list(): Maybe<BotToken[]>;
  get(id: string): Maybe<BotToken | undefined>;
  put(token: BotToken): Maybe<void>;
  /** False if there was none. */
  remove(id: string): Maybe<boolean>;
}

/** How a token is kept: by its id. */
export const TOKEN_RECORDS: RecordKind<BotToken> = { keyOf: (token) => token.id, parse: parseToken };

/** A token record as kept (JSON), checked field by field. */
export function parseToken(value: unknown): BotToken | undefined {
  if (typeof value !== "string") return undefined;
  const f = parseJson(value);
  if (!isObject(f)) return undefined;
  const { id, bot, hash, by, created } = f;
  if (typeof id !== "string" || typeof bot !== "string" || typeof hash !== "string") return undefined;
  if (typeof by !== "string" || typeof created !== "number") return undefined;
  return { id, bot, hash, by, created };
}
