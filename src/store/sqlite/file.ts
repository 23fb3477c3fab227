// One server's stores in one bun:sqlite file (or in memory: --db none): the file opened (WAL,
// synchronous=NORMAL, held with an exclusive lock so that a second server can't write into it),
// its schema brought up to date by migrations, and the stores made on it: history (history.ts),
// registered names, server bans, rooms' roles and bot tokens (records.ts).

import { Database } from "bun:sqlite";
import { SqliteHistory, type SqliteOptions } from "./history.ts";
import { SqliteAccounts, SqliteBans, SqliteFiles, SqliteMarkers, SqliteRooms, SqliteSessions, SqliteTokens } from "./records.ts";

export class HistoryOpenError extends Error {}

/**
 * Lines are stored a chunk at a time: the lines of one room written together (up to 100 ms of
 * them, at most WRITE_AT) are one row, and one document of the search index. A row and an index
 * entry per line cost about 3 µs a line, most of it per row; a chunk costs about 1 µs a line in a
 * burst (PROFILES.md). A line's id (the cursor /history pages by) grows across every room; a
 * chunk's id is its first line's.
 *
 * MIGRATIONS[v] takes a file at version v to v + 1. A later version adds a step (ALTER TABLE … ADD
 * COLUMN, a new index) and never rewrites an earlier one: files of every version open.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE chunks (
     id INTEGER PRIMARY KEY, -- the id of its first line
     room TEXT NOT NULL,
     last INTEGER NOT NULL,  -- the id of its last line
     count INTEGER NOT NULL, -- its lines
     ts INTEGER NOT NULL,    -- when its last line was said
     lines TEXT NOT NULL,    -- JSON: [[id, type, from, ts], …], one per line, in order
     text TEXT NOT NULL      -- the lines' texts, a newline between them (a text never holds one)
   );
   CREATE INDEX chunks_room ON chunks (room, id);
   CREATE VIRTUAL TABLE chunks_fts USING fts5 (text, content = 'chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
   CREATE TABLE topics (room TEXT PRIMARY KEY, text TEXT NOT NULL, sender TEXT NOT NULL, ts INTEGER NOT NULL);`,
  // 2: registered names (accounts.ts), by name key.
  `CREATE TABLE accounts (key TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, created INTEGER NOT NULL);`,
  // 3: whom a registered user ignores (/ignore): a JSON list of name keys.
  `ALTER TABLE accounts ADD COLUMN ignores TEXT NOT NULL DEFAULT '[]';`,
  // 4: server bans (bans.ts), by the banned name's key.
  `CREATE TABLE bans (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 5: who runs each room (rooms.ts).
  `CREATE TABLE rooms (room TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 6: bot tokens for the HTTP API (tokens.ts), by id; a bot's name is held as an account marked bot.
  `CREATE TABLE tokens (id TEXT PRIMARY KEY, value TEXT NOT NULL);
   ALTER TABLE accounts ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;`,
  // 7: the search index holds which chunks have a word, not where in them (detail = none: a line
  // is matched on its own once read) nor their text (contentless): a chunk is taken out by its id,
  // without reading and tokenising its text again. Writing and trimming a line cost half as much.
  // From this version on, a chunk's `lines` are a BLOB (chunk.ts); older rows keep their JSON.
  `DROP TABLE chunks_fts;
   CREATE VIRTUAL TABLE chunks_fts USING fts5 (text, content = '', contentless_delete = 1, detail = none, tokenize = 'unicode61 remove_diacritics 2');
   INSERT INTO chunks_fts (rowid, text) SELECT id, text FROM chunks;`,
  // 8: messages with identity. A chunk's lines that answer another or were edited say so in
  // `extra` (JSON by line id: {"r": the line answered, "e": when edited}; NULL for most chunks);
  // reactions are rows of their own (they come and go far more often than lines change). (A
  // deleted line's words leave the search index by a purge: history.ts.)
  `ALTER TABLE chunks ADD COLUMN extra TEXT;
   CREATE TABLE reactions (
     room TEXT NOT NULL,
     line INTEGER NOT NULL,
     emoji TEXT NOT NULL,
     name TEXT NOT NULL,
     ts INTEGER NOT NULL,
     PRIMARY KEY (room, line, emoji, name)
   ) WITHOUT ROWID;`,
  // 9: read markers (markers.ts): per account and target, the time of the newest line read.
  `CREATE TABLE markers (account TEXT NOT NULL, target TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (account, target)) WITHOUT ROWID;`,
  // 10: the page's sessions (sessions.ts), by id, found by account too.
  `CREATE TABLE sessions (id TEXT PRIMARY KEY, account TEXT NOT NULL, value TEXT NOT NULL);
   CREATE INDEX sessions_account ON sessions (account);`,
  // 11: a registered user who stays online without a connection (/always-on).
  `ALTER TABLE accounts ADD COLUMN always_on INTEGER NOT NULL DEFAULT 0;`,
  // 12: kept private conversations (their lines are chunks of room "@<key> <key>"): each account's,
  // by the other's name key, with when its last line was said.
  `CREATE TABLE conversations (account TEXT NOT NULL, other TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (account, other)) WITHOUT ROWID;
   CREATE INDEX conversations_last ON conversations (account, last);`,
  // 13: files shared in rooms (files.ts; their bytes in the files directory, by SHA-256), and the
  // server's secrets (the key that signs file links).
  `CREATE TABLE files (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, room TEXT NOT NULL, line TEXT, owner TEXT NOT NULL, size INTEGER NOT NULL, value TEXT NOT NULL);
   CREATE INDEX files_sha256 ON files (sha256);
   CREATE INDEX files_owner ON files (owner);
   CREATE INDEX files_line ON files (room, line);
   CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
];

/** The schema this code writes; older files are brought up to it by MIGRATIONS, in order. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export class SqliteFile {
  readonly accounts: SqliteAccounts;
  readonly bans: SqliteBans;
  readonly roomStore: SqliteRooms;
  readonly tokens: SqliteTokens;
  readonly markers: SqliteMarkers;
  readonly sessions: SqliteSessions;
  readonly files: SqliteFiles;
  private readonly db: Database;
  private madeHistory: SqliteHistory | undefined;
  private closed = false;

  /** Opens (or makes) the file; throws a HistoryOpenError a person can act on. */
  constructor(private readonly options: SqliteOptions) {
    const db = (this.db = open(options.path, options.path === ":memory:"));
    this.accounts = new SqliteAccounts(db);
    this.bans = new SqliteBans(db);
    this.roomStore = new SqliteRooms(db);
    this.tokens = new SqliteTokens(db);
    this.markers = new SqliteMarkers(db);
    this.sessions = new SqliteSessions(db);
    this.files = new SqliteFiles(db);
    options.onOpen?.(db);
  }

  /**
   * The history in this file, made when first asked for: `--db none` keeps its history in memory
   * (store/memory/) and never asks, so no statements or pruning timer are made for it.
   */
  get history(): SqliteHistory {
    return (this.madeHistory ??= new SqliteHistory(this.db, this.options, () => this.closeRecords()));
  }

  /** Writes what waits, and closes the file (as the history's own close does). */
  close(): void {
    if (this.madeHistory) this.madeHistory.close();
    else this.closeRecords();
  }

  /** The records' statements, then the file: once the history (if any) has let go of its own. */
  private closeRecords(): void {
    if (this.closed) return;
    this.closed = true;
    for (const store of [this.accounts, this.bans, this.roomStore, this.tokens, this.markers, this.sessions, this.files]) store.finalize();
    this.db.close(true);
  }
}

/**
 * Brings a database up to the last of `migrations` (each step once, in order, in one transaction
 * with the version it reaches); refuses one from a newer bunchat. Exported for the test of a step
 * a later version adds.
 */
export function migrate(db: Database, path: string, migrations: readonly string[]): void {
  db.transaction(() => {
    const version = db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version;
    if (version > migrations.length) {
      throw new HistoryOpenError(
        `the history file ${path} is from a newer bunchat (schema ${version}; this one knows up to ${migrations.length})`,
      );
    }
    for (let v = version; v < migrations.length; v++) db.exec(migrations[v]!);
    if (version < migrations.length) db.exec(`PRAGMA user_version = ${migrations.length}`);
  }).exclusive();
}

/** The steps this version knows (a later version appends to it). */
export const KNOWN_MIGRATIONS = MIGRATIONS;

/** Opens (or makes) the file, takes the lock, and brings the schema up to SCHEMA_VERSION. */
function open(path: string, memory: boolean): Database {
  let db: Database;
  try {
    db = new Database(path, { create: true, strict: true });
  } catch (err) {
    throw new HistoryOpenError(`can't open the history file ${path}: ${openReason(err)}`);
  }
  try {
    if (!memory) {
      db.exec("PRAGMA busy_timeout = 0");
      // Held from the first transaction until the server stops: a second server on the file fails to start.
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
    }
    // What is deleted (a line taken back, a trimmed chunk) is overwritten with zeros, not left in free pages.
    db.exec("PRAGMA secure_delete = ON");
    migrate(db, path, MIGRATIONS);
  } catch (err) {
    db.close();
    if (err instanceof HistoryOpenError) throw err;
    throw new HistoryOpenError(`can't use the history file ${path}: ${openReason(err)}`);
  }
  return db;
}

function openReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case "SQLITE_CANTOPEN":
      return `${message} (a directory, a missing directory, or no permission?)`;
    case "SQLITE_NOTADB":
      return "it is not a SQLite database (choose another file with --db)";
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return "another bunchat-server is using it (or another program has it locked)";
    case "SQLITE_READONLY":
      return "it is read-only for this user";
    default:
      return message;
  }
}

