// Registered names: a name someone owns with a password, kept with the history (the SQLite file on
// one server, Redis in a cluster, where every node sees a registration at once). A name is found
// by its key (foldName: case and look-alikes folded), so `sam` and `5am` are Sam's too.

import type { Database, Statement } from "bun:sqlite";
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
}

export interface AccountStore {
  /** The account whose name has this key (foldName), if any. */
  get(key: string): Maybe<Account | undefined>;
  /** Makes or replaces the account for `key`. */
  put(key: string, account: Account): Maybe<void>;
  remove(key: string): Maybe<void>;
}

/** Registered names in the history file (the `accounts` table, schema 2). */
export class SqliteAccounts implements AccountStore {
  private readonly select: Statement<{ name: string; hash: string; created: number; ignores: string; bot: number }, [string]>;
  private readonly upsert: Statement<unknown, [string, string, string, number, string, number]>;
  private readonly delete: Statement<unknown, [string]>;

  constructor(db: Database) {
    this.select = db.prepare("SELECT name, hash, created, ignores, bot FROM accounts WHERE key = ?");
    this.upsert = db.prepare("INSERT OR REPLACE INTO accounts (key, name, hash, created, ignores, bot) VALUES (?, ?, ?, ?, ?, ?)");
    this.delete = db.prepare("DELETE FROM accounts WHERE key = ?");
  }

  get(key: string): Account | undefined {
    const row = this.select.get(key);
    if (!row) return undefined;
    const { name, hash, created } = row;
    return { name, hash, created, ignores: nameKeys(parseJson(row.ignores)), ...(row.bot ? { bot: true as const } : {}) };
  }

  put(key: string, account: Account): void {
    this.upsert.run(key, account.name, account.hash, account.created, JSON.stringify(account.ignores ?? []), account.bot ? 1 : 0);
  }

  remove(key: string): void {
    this.delete.run(key);
  }

  /** Before the database closes. */
  finalize(): void {
    for (const s of [this.select, this.upsert, this.delete]) s.finalize();
  }
}

/** An account as Redis holds it (JSON in the bunchat:accounts hash), checked field by field. */
export function parseAccount(value: unknown): Account | undefined {
  if (typeof value !== "string") return undefined;
  const parsed = parseJson(value);
  if (!isObject(parsed)) return undefined;
  const { name, hash, created, ignores, bot } = parsed;
  return typeof name === "string" && typeof hash === "string" && typeof created === "number"
    ? { name, hash, created, ignores: nameKeys(ignores), ...(bot === true ? { bot } : {}) }
    : undefined;
}

/** A list of name keys as kept, or none. */
function nameKeys(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

