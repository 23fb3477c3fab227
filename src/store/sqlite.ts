// History in one bun:sqlite file (or in memory: `--db none`). WAL, synchronous=NORMAL, and the
// file held with an exclusive lock so that a second server can't write into the same history.
// The lines of up to 100 ms are written in one transaction (the hub's HISTORY_FLUSH_MS); search is FTS5.
//
// When a write fails (a full disk, an I/O error), the chat goes on: the lines wait in memory (the
// newest MAX_BACKLOG of them), the store says it is paused, tries again every RETRY_MS, and says
// when it has written them.

import { Database, type Statement } from "bun:sqlite";
import { type Clock, every, SYSTEM_CLOCK } from "../net/clock.ts";
import type { Topic } from "../protocol/events.ts";
import type { Cursor, HistoryStatus, HistoryStore, Kept, KeptEvent, Retention, SearchQuery } from "./history.ts";
import { DEFAULT_REPLAY, SEARCH_RESULTS } from "./history.ts";


/**
 * The search index (lines_fts) is kept by this code, not by triggers: a turn's lines are indexed
 * with one INSERT … SELECT, and deleted lines unindexed the same way. A trigger per row cost 7 µs a
 * line; this costs about 1 (PROFILES.md).
 *
 * MIGRATIONS[v] takes a file at version v to v + 1. A later version adds a step (ALTER TABLE … ADD
 * COLUMN, a new index) and never rewrites an earlier one: files of every version open.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE lines (
     id INTEGER PRIMARY KEY,
     room TEXT NOT NULL,
     kind TEXT NOT NULL,
     sender TEXT NOT NULL,
     text TEXT NOT NULL,
     ts INTEGER NOT NULL
   );
   CREATE INDEX lines_room ON lines (room, id);
   CREATE VIRTUAL TABLE lines_fts USING fts5 (text, content = 'lines', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
   CREATE TABLE topics (room TEXT PRIMARY KEY, text TEXT NOT NULL, sender TEXT NOT NULL, ts INTEGER NOT NULL);`,
];

/** The schema this code writes; older files are brought up to it by MIGRATIONS, in order. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Rooms whose last lines are kept in memory at once (a server holds at most 10,000 rooms by default). */
const MAX_RINGS = 10_000;
/** Lines waiting past which they are written at once (about 3 ms of work), not at the hub's next flush. */
export const WRITE_AT = 1000;
/** Lines kept in memory while writes fail; past this the oldest of them are not written. */
export const MAX_BACKLOG = 10_000;
/** While paused, a write is tried again this often. */
export const RETRY_MS = 5_000;
/** Lines deleted at most per pass of the age limit (a pass every 10 s): never a long pause. */
const PRUNE_BATCH = 1_000;
const PRUNE_EVERY_MS = 10_000;

/** Why the history file can't be used; the server exits with it. */
export class HistoryOpenError extends Error {}

export interface SqliteOptions {
  /** A file, or ":memory:". */
  path: string;
  retention: Retention;
  status: HistoryStatus;
  /** Lines of each room kept in memory for joiners (one more than they are shown, to know if there are more). */
  ringSize?: number;
  clock?: Clock;
  /** While paused, how often a write is tried again (RETRY_MS). */
  retryMs?: number;
  /** Tests: the database handle is theirs to break (a size limit, a failing write). */
  onOpen?(db: Database): void;
}

/** A kept line as this store numbers them: by row id. */
interface Line extends Kept {
  readonly id: number;
}

interface Row {
  id: number;
  room: string;
  kind: string;
  sender: string;
  text: string;
  ts: number;
}

export class SqliteHistory implements HistoryStore {
  readonly where: string;
  private readonly db: Database;
  private readonly clock: Clock;
  private next: number;
  /** Kept, not written yet: this turn's lines, or while paused the backlog (oldest first). */
  private pending: Line[] = [];
  private pausedSince: number | undefined;
  private retryTimer: { cancel(): void } | undefined;
  private readonly pruneTimer: { cancel(): void } | undefined;
  /** The last lines of rooms joined lately (most recently used last), for joiners. */
  private readonly rings = new Map<string, Line[]>();
  private readonly ringSize: number;
  /** Lines on disk per room, learnt at a room's first write, for the per-room limit. */
  private readonly counts = new Map<string, number>();
  private readonly insert: Statement;
  private readonly countRoom: Statement<{ n: number }>;
  private readonly index: Statement;
  private readonly nthOfRoom: Statement<{ id: number }>;
  private readonly unindexRoom: Statement;
  private readonly deleteRoom: Statement;
  private readonly oldest: Statement<{ id: number; ts: number }>;
  private readonly unindexUpTo: Statement;
  private readonly deleteUpTo: Statement;
  private readonly page: Statement<Row>;
  private readonly setTopic: Statement;
  private readonly clearTopic: Statement;
  private readonly getTopic: Statement<{ text: string; sender: string; ts: number }>;
  private closed = false;

  constructor(private readonly options: SqliteOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    const memory = options.path === ":memory:";
    this.where = memory ? "memory" : options.path;
    this.ringSize = options.ringSize ?? DEFAULT_REPLAY + 1;
    this.db = open(options.path, memory);
    this.next = (this.db.query<{ id: number | null }, []>("SELECT max(id) AS id FROM lines").get()?.id ?? 0) + 1;
    this.insert = this.db.prepare("INSERT INTO lines (id, room, kind, sender, text, ts) VALUES (?, ?, ?, ?, ?, ?)");
    this.countRoom = this.db.prepare("SELECT count(*) AS n FROM lines WHERE room = ?");
    this.index = this.db.prepare("INSERT INTO lines_fts (rowid, text) SELECT id, text FROM lines WHERE id >= ?");
    this.nthOfRoom = this.db.prepare("SELECT id FROM lines WHERE room = ? ORDER BY id LIMIT 1 OFFSET ?");
    this.unindexRoom = this.db.prepare(
      "INSERT INTO lines_fts (lines_fts, rowid, text) SELECT 'delete', id, text FROM lines WHERE room = ? AND id <= ?",
    );
    this.deleteRoom = this.db.prepare("DELETE FROM lines WHERE room = ? AND id <= ?");
    this.oldest = this.db.prepare(`SELECT id, ts FROM lines ORDER BY id LIMIT ${PRUNE_BATCH}`);
    this.unindexUpTo = this.db.prepare(
      "INSERT INTO lines_fts (lines_fts, rowid, text) SELECT 'delete', id, text FROM lines WHERE id <= ?",
    );
    this.deleteUpTo = this.db.prepare("DELETE FROM lines WHERE id <= ?");
    this.page = this.db.prepare(
      "SELECT id, room, kind, sender, text, ts FROM lines WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
    );
    this.setTopic = this.db.prepare("INSERT OR REPLACE INTO topics (room, text, sender, ts) VALUES (?, ?, ?, ?)");
    this.clearTopic = this.db.prepare("DELETE FROM topics WHERE room = ?");
    this.getTopic = this.db.prepare("SELECT text, sender, ts FROM topics WHERE room = ?");
    options.onOpen?.(this.db);
    if (options.retention.days > 0) {
      this.pruneTimer = every(this.clock, PRUNE_EVERY_MS, () => this.pruneByAge());
      this.pruneByAge();
    }
  }

  /** Whether writes are failing now. */
  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  keep(event: KeptEvent): void {
    const kept = { id: this.next++, event };
    this.pending.push(kept);
    if (this.pausedSince === undefined) {
      // A burst: written now, a few milliseconds' worth at a time, rather than in one long stall.
      if (this.pending.length >= WRITE_AT) this.write();
    } else if (this.pending.length > MAX_BACKLOG) {
      this.pending.splice(0, this.pending.length - MAX_BACKLOG); // paused: the newest wait
    }
    const ring = this.rings.get(event.room);
    if (ring) {
      ring.push(kept);
      if (ring.length > this.ringSize) ring.shift();
    }
  }

  /** From memory: a room's ring is read from the file once, then follows what is kept. */
  recent(room: string, count: number): Line[] {
    if (count > this.ringSize) return this.before(room, count);
    let ring = this.rings.get(room);
    if (ring) {
      this.rings.delete(room); // most recently used last: the first is the one to forget
    } else {
      ring = this.before(room, this.ringSize);
      if (this.rings.size >= MAX_RINGS) this.rings.delete(this.rings.keys().next().value!);
    }
    this.rings.set(room, ring);
    return ring.slice(Math.max(0, ring.length - count));
  }

  before(room: string, count: number, before: Cursor = Number.MAX_SAFE_INTEGER): Line[] {
    if (count <= 0) return [];
    const below = typeof before === "number" ? before : Number.MAX_SAFE_INTEGER;
    const found: Line[] = [];
    // What waits to be written is newer than anything on disk.
    for (let i = this.pending.length - 1; i >= 0 && found.length < count; i--) {
      const kept = this.pending[i]!;
      if (kept.id < below && kept.event.room === room) found.push(kept);
    }
    if (found.length < count) {
      for (const row of this.page.all(room, below, count - found.length)) found.push(fromRow(row));
    }
    return found.reverse();
  }

  topic(room: string): Topic | undefined {
    // One set since the last write wins over the file's.
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const { event } = this.pending[i]!;
      if (event.type === "topic" && event.room === room) return event.text === "" ? undefined : topicOf(event);
    }
    const row = this.getTopic.get(room);
    return row ? { text: row.text, by: row.sender, ts: row.ts } : undefined;
  }

  search(rooms: readonly string[], query: SearchQuery): Line[] {
    if (rooms.length === 0 || query.terms.length === 0) return [];
    this.flush(); // a line said in this same turn is found too
    // Each word is quoted: the user's text is never FTS5 syntax (the words hold letters and digits only).
    const match = query.terms.map((t) => `"${t.word}"${t.prefix ? "*" : ""}`).join(" ");
    const rows = this.db
      .query<Row, (string | number)[]>(
        `SELECT l.id, l.room, l.kind, l.sender, l.text, l.ts FROM lines_fts JOIN lines l ON l.id = lines_fts.rowid
         WHERE lines_fts MATCH ? AND l.room IN (${rooms.map(() => "?").join(", ")})
         ORDER BY lines_fts.rowid DESC LIMIT ${SEARCH_RESULTS}`,
      )
      .all(match, ...rooms);
    return rows.map(fromRow);
  }

  /** Writes what is waiting, in one transaction; while paused, only the retry timer does. */
  flush(): void {
    if (this.pausedSince === undefined) this.write();
  }

  private write(): void {
    if (this.closed || this.pending.length === 0) return;
    const lines = this.pending;
    try {
      this.db.transaction(() => {
        const touched = new Map<string, number>();
        for (const { id, event } of lines) {
          const sender = event.type === "topic" ? event.by : event.from;
          this.insert.run(id, event.room, event.type, sender, event.text, event.ts);
          if (event.type === "topic" && event.text === "") this.clearTopic.run(event.room);
          else if (event.type === "topic") this.setTopic.run(event.room, event.text, event.by, event.ts);
          touched.set(event.room, (touched.get(event.room) ?? 0) + 1);
        }
        this.index.run(lines[0]!.id); // the ids are this turn's and the newest
        for (const [room, added] of touched) this.trim(room, added);
      })();
    } catch (err) {
      this.counts.clear(); // the transaction was rolled back: learn them again
      return this.pause(err);
    }
    this.pending = [];
    if (this.pausedSince !== undefined) this.resume();
  }

  /** A room past its limit loses its oldest lines, a few at a time as new ones come. */
  private trim(room: string, added: number): void {
    const known = this.counts.get(room);
    const count = known === undefined ? this.countRoom.get(room)!.n : known + added;
    const limit = this.options.retention.linesPerRoom;
    // A little over the limit before deleting: one DELETE per many lines, not one per line.
    const slack = Math.max(8, Math.floor(limit / 100));
    if (count > limit + slack || (known === undefined && count > limit)) {
      const last = this.nthOfRoom.get(room, count - limit - 1)!.id; // the newest of those that go
      this.unindexRoom.run(room, last);
      this.deleteRoom.run(room, last);
      this.counts.set(room, limit);
    } else {
      this.counts.set(room, count);
    }
  }

  /** Lines past --history-days go, oldest first, at most PRUNE_BATCH a pass (ids grow with time). */
  private pruneByAge(): void {
    if (this.closed || this.pausedSince !== undefined) return;
    const cutoff = this.clock.now() - this.options.retention.days * 86_400_000;
    let last: number | undefined;
    for (const row of this.oldest.all()) {
      if (row.ts >= cutoff) break;
      last = row.id;
    }
    if (last === undefined) return;
    const upTo = last;
    try {
      this.db.transaction(() => {
        this.unindexUpTo.run(upTo);
        this.deleteUpTo.run(upTo);
      })();
      this.counts.clear();
    } catch (err) {
      this.pause(err);
    }
  }

  private pause(err: unknown): void {
    if (this.pausedSince === undefined) {
      this.pausedSince = this.clock.now();
      this.options.status.paused(reasonOf(err));
    }
    this.retryTimer ??= this.clock.later(this.options.retryMs ?? RETRY_MS, () => {
      this.retryTimer = undefined;
      this.write();
    });
  }

  private resume(): void {
    this.pausedSince = undefined;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    this.options.status.resumed();
  }

  close(): void {
    if (this.closed) return;
    this.write(); // a last try, paused or not
    this.closed = true;
    this.retryTimer?.cancel();
    this.pruneTimer?.cancel();
    // Statements first: a connection with live statements closes only later, keeping its lock.
    for (const statement of [
      this.insert,
      this.countRoom,
      this.index,
      this.nthOfRoom,
      this.unindexRoom,
      this.deleteRoom,
      this.oldest,
      this.unindexUpTo,
      this.deleteUpTo,
      this.page,
      this.setTopic,
      this.clearTopic,
      this.getTopic,
    ]) {
      statement.finalize();
    }
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

function reasonOf(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  return code === "SQLITE_FULL" ? "the disk is full" : code ? `${message} (${code})` : message;
}

function topicOf(event: Extract<KeptEvent, { type: "topic" }>): Topic {
  return { text: event.text, by: event.by, ts: event.ts };
}

function fromRow(row: Row): Line {
  const { id, room, sender, text, ts } = row;
  const event: KeptEvent =
    row.kind === "topic"
      ? { type: "topic", room, text, by: sender, ts }
      : { type: row.kind === "action" ? "action" : "public", room, from: sender, text, ts };
  return { id, event };
}
