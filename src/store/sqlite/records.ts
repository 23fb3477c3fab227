// The small stores in the history file: registered names, server bans, rooms' roles and bot
// tokens, each a table made by a migration (file.ts); bans and tokens as records kept by key as JSON.

import type { Database, Statement } from "bun:sqlite";
import { parseJson } from "../../protocol/decode.ts";
import { type Account, type AccountStore, nameKeys } from "../accounts.ts";
import { BAN_RECORDS, type Ban, type BanStore } from "../bans.ts";
import type { RecordKind } from "../records.ts";
import { changed, NO_ROLES, parseRoles, type RolesChange, type RoomRoles, type RoomStore } from "../rooms.ts";
import { type BotToken, TOKEN_RECORDS, type TokenStore } from "../tokens.ts";
import { MARKERS_PER_ACCOUNT, type MarkerStore, parseMarkers } from "../markers.ts";
import { parseSession, type Session, type SessionStore } from "../sessions.ts";
import { type FileMeta, type FileStore, parseFileMeta } from "../files.ts";
import type { MessageId } from "../../protocol/events.ts";

/** In the history file: `table` (`column` TEXT PRIMARY KEY, value TEXT), made by a migration. */
export class SqliteRecords<T> {
  private readonly all: Statement<{ value: string }, []>;
  private readonly one: Statement<{ value: string }, [string]>;
  private readonly upsert: Statement<unknown, [string, string]>;
  private readonly delete: Statement<unknown, [string]>;

  constructor(
    db: Database,
    table: string,
    column: string,
    private readonly kind: RecordKind<T>,
  ) {
    this.all = db.prepare(`SELECT value FROM ${table} ORDER BY ${column}`);
    this.one = db.prepare(`SELECT value FROM ${table} WHERE ${column} = ?`);
    this.upsert = db.prepare(`INSERT OR REPLACE INTO ${table} (${column}, value) VALUES (?, ?)`);
    this.delete = db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`);
  }

  /** Every record, by key. */
  list(): T[] {
    return this.all.all().flatMap((row) => this.kind.parse(row.value) ?? []);
  }

  get(key: string): T | undefined {
    const row = this.one.get(key);
    return row ? this.kind.parse(row.value) : undefined;
  }

  put(record: T): void {
    this.upsert.run(this.kind.keyOf(record), JSON.stringify(record));
  }

  /** False if there was none. */
  remove(key: string): boolean {
    return this.delete.run(key).changes > 0;
  }

  /** Before the database closes. */
  finalize(): void {
    for (const s of [this.all, this.one, this.upsert, this.delete]) s.finalize();
  }
}

/** Registered names in the history file (the `accounts` table, schema 2). */
export class SqliteAccounts implements AccountStore {
  private readonly select: Statement<{ name: string; hash: string; created: number; ignores: string; bot: number; always_on: number }, [string]>;
  private readonly upsert: Statement<unknown, [string, string, string, number, string, number, number]>;
  private readonly delete: Statement<unknown, [string]>;

  constructor(db: Database) {
    this.select = db.prepare("SELECT name, hash, created, ignores, bot, always_on FROM accounts WHERE key = ?");
    this.upsert = db.prepare("INSERT OR REPLACE INTO accounts (key, name, hash, created, ignores, bot, always_on) VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.delete = db.prepare("DELETE FROM accounts WHERE key = ?");
  }

  get(key: string): Account | undefined {
    const row = this.select.get(key);
    if (!row) return undefined;
    const { name, hash, created } = row;
    return { name, hash, created, ignores: nameKeys(parseJson(row.ignores)), ...(row.bot ? { bot: true as const } : {}), ...(row.always_on ? { alwaysOn: true as const } : {}) };
  }

  put(key: string, account: Account): void {
    this.upsert.run(key, account.name, account.hash, account.created, JSON.stringify(account.ignores ?? []), account.bot ? 1 : 0, account.alwaysOn ? 1 : 0);
  }

  remove(key: string): void {
    this.delete.run(key);
  }

  /** Before the database closes. */
  finalize(): void {
    for (const s of [this.select, this.upsert, this.delete]) s.finalize();
  }
}

/** Bans in the history file (the `bans` table, schema 4). */
export class SqliteBans extends SqliteRecords<Ban> implements BanStore {
  constructor(db: Database) {
    super(db, "bans", "key", BAN_RECORDS);
  }
}

/** Room roles in the history file (the `rooms` table, schema 5). */
export class SqliteRooms implements RoomStore {
  private readonly select: Statement<{ value: string }, [string]>;
  private readonly upsert: Statement<unknown, [string, string]>;

  constructor(db: Database) {
    this.select = db.prepare("SELECT value FROM rooms WHERE room = ?");
    this.upsert = db.prepare("INSERT OR REPLACE INTO rooms (room, value) VALUES (?, ?)");
  }

  get(room: string): RoomRoles | undefined {
    const row = this.select.get(room);
    return row ? parseRoles(row.value) : undefined;
  }

  update(room: string, change: RolesChange): RoomRoles {
    const before = this.get(room);
    const after = changed(before, change);
    if (after !== before && after !== NO_ROLES) this.upsert.run(room, JSON.stringify(after));
    return after;
  }

  finalize(): void {
    for (const s of [this.select, this.upsert]) s.finalize();
  }
}

/** Read markers in the history file (the `markers` table, schema 9). */
export class SqliteMarkers implements MarkerStore {
  private readonly select: Statement<{ target: string; ts: number }, [string]>;
  private readonly upsert: Statement<unknown, [string, string, number]>;
  private readonly count: Statement<{ n: number }, [string]>;
  private readonly oldest: Statement<unknown, [string, string, number]>;

  constructor(db: Database) {
    this.select = db.prepare("SELECT target, ts FROM markers WHERE account = ?");
    // Forward only: a marker older than the one kept changes nothing.
    this.upsert = db.prepare("INSERT INTO markers (account, target, ts) VALUES (?1, ?2, ?3) ON CONFLICT (account, target) DO UPDATE SET ts = max(ts, excluded.ts)");
    this.count = db.prepare("SELECT count(*) AS n FROM markers WHERE account = ?");
    this.oldest = db.prepare("DELETE FROM markers WHERE account = ?1 AND target IN (SELECT target FROM markers WHERE account = ?1 AND target != ?2 ORDER BY ts LIMIT ?3)");
  }

  all(account: string): Record<string, number> {
    return parseMarkers(this.select.all(account).map((r) => [r.target, r.ts]));
  }

  set(account: string, target: string, ts: number): void {
    this.upsert.run(account, target, ts);
    const n = this.count.get(account)!.n;
    if (n > MARKERS_PER_ACCOUNT) this.oldest.run(account, target, n - MARKERS_PER_ACCOUNT);
  }

  finalize(): void {
    for (const s of [this.select, this.upsert, this.count, this.oldest]) s.finalize();
  }
}

/** The page's sessions in the history file (the `sessions` table, schema 10). */
export class SqliteSessions implements SessionStore {
  private readonly one: Statement<{ value: string }, [string]>;
  private readonly byAccount: Statement<{ value: string }, [string]>;
  private readonly upsert: Statement<unknown, [string, string, string]>;
  private readonly delete: Statement<unknown, [string]>;
  private readonly deleteAll: Statement<unknown, [string]>;

  constructor(db: Database) {
    this.one = db.prepare("SELECT value FROM sessions WHERE id = ?");
    this.byAccount = db.prepare("SELECT value FROM sessions WHERE account = ? ORDER BY id");
    this.upsert = db.prepare("INSERT OR REPLACE INTO sessions (id, account, value) VALUES (?, ?, ?)");
    this.delete = db.prepare("DELETE FROM sessions WHERE id = ?");
    this.deleteAll = db.prepare("DELETE FROM sessions WHERE account = ?");
  }

  get(id: string): Session | undefined {
    const row = this.one.get(id);
    return row ? parseSession(row.value) : undefined;
  }

  of(account: string): Session[] {
    return this.byAccount.all(account).flatMap((r) => parseSession(r.value) ?? []);
  }

  put(session: Session): void {
    this.upsert.run(session.id, session.account, JSON.stringify(session));
  }

  remove(id: string): boolean {
    return this.delete.run(id).changes > 0;
  }

  removeAll(account: string): void {
    this.deleteAll.run(account);
  }

  finalize(): void {
    for (const s of [this.one, this.byAccount, this.upsert, this.delete, this.deleteAll]) s.finalize();
  }
}

/** Tokens in the history file (the `tokens` table, schema 6). */
export class SqliteTokens extends SqliteRecords<BotToken> implements TokenStore {
  constructor(db: Database) {
    super(db, "tokens", "id", TOKEN_RECORDS);
  }
}

/** Files shared in rooms, in the history file (the `files` table, schema 13); the link key in `secrets`. */
export class SqliteFiles implements FileStore {
  private readonly one: Statement<{ value: string }, [string]>;
  private readonly insert: Statement<unknown, [string, string, string, string | null, string, number, string]>;
  private readonly drop: Statement<unknown, [string]>;
  private readonly sameBytes: Statement<{ n: number }, [string]>;
  private readonly byLine: Statement<{ value: string }, [string, string]>;
  private readonly owned: Statement<{ bytes: number | null }, [string]>;
  private readonly readSecret: Statement<{ value: string }, [string]>;
  private readonly writeSecret: Statement<unknown, [string, string]>;

  constructor(db: Database) {
    this.one = db.prepare("SELECT value FROM files WHERE id = ?");
    this.insert = db.prepare("INSERT OR REPLACE INTO files (id, sha256, room, line, owner, size, value) VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.drop = db.prepare("DELETE FROM files WHERE id = ?");
    this.sameBytes = db.prepare("SELECT count(*) AS n FROM files WHERE sha256 = ?");
    this.byLine = db.prepare("SELECT value FROM files WHERE room = ? AND line = ?");
    this.owned = db.prepare("SELECT sum(size) AS bytes FROM files WHERE owner = ?");
    this.readSecret = db.prepare("SELECT value FROM secrets WHERE name = ?");
    this.writeSecret = db.prepare("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)");
  }

  put(meta: FileMeta): void {
    this.insert.run(meta.id, meta.sha256, meta.room, meta.line === undefined ? null : String(meta.line), meta.owner, meta.size, JSON.stringify(meta));
  }
  get(id: string): FileMeta | undefined {
    const row = this.one.get(id);
    return row ? parseFileMeta(parseJson(row.value)) : undefined;
  }
  remove(id: string): { meta: FileMeta; shared: boolean } | undefined {
    const meta = this.get(id);
    if (!meta) return undefined;
    this.drop.run(id);
    return { meta, shared: (this.sameBytes.get(meta.sha256)?.n ?? 0) > 0 };
  }
  ofLine(room: string, line: MessageId): FileMeta | undefined {
    const row = this.byLine.get(room, String(line));
    return row ? parseFileMeta(parseJson(row.value)) : undefined;
  }
  usage(owner: string): number {
    return this.owned.get(owner)?.bytes ?? 0;
  }
  secret(made: string): string {
    this.writeSecret.run("file-links", made);
    return this.readSecret.get("file-links")!.value;
  }
  finalize(): void {
    for (const s of [this.one, this.insert, this.drop, this.sameBytes, this.byLine, this.owned, this.readSecret, this.writeSecret]) s.finalize();
  }
}
