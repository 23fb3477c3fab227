// History in the bun:sqlite file (file.ts opens it; or in memory: `--db none`).
// The lines of up to 100 ms are written in one transaction (the hub's HISTORY_FLUSH_MS); search is FTS5.
// Before anyone is sent a line, it is in the journal beside the file (journal.ts), which is emptied
// once the file has it: a line anyone received survives kill -9.
//
// When a write fails (a full disk, an I/O error), the chat goes on: the lines wait in memory (the
// newest MAX_BACKLOG of them), the store says it is paused, tries again every RETRY_MS, and says
// when it has written them.

import type { Database, Statement } from "bun:sqlite";
import { type Clock, every, SYSTEM_CLOCK } from "../../net/clock.ts";
import { type MessageId, type Reaction, type Topic } from "../../protocol/events.ts";
import { isObject, parseJson } from "../../protocol/decode.ts";
import { type Conversation, conversationKey, CONVERSATIONS_KEPT, type Cursor, DEFAULT_REPLAY, type HistoryStatus, type HistoryStore, type Kept, lineBytes, lineMatches, participants, REPLAY_MEMORY, type Retention, SEARCH_RESULTS, type SearchQuery, stateFields, stateOf, type StoredLine, storedEvent, oneRecord, fromRecord } from "../history.ts";
import { decodeFacts, encodeFacts } from "./chunk.ts";
import { Journal } from "./journal.ts";

/** Lines waiting past which they are written at once (a few milliseconds of work), not at the hub's next flush. */
export const WRITE_AT = 1000;
/** Lines kept in memory while writes fail; past this the oldest of them are not written. */
export const MAX_BACKLOG = 10_000;
/** While paused, a write is tried again this often. */
export const RETRY_MS = 5_000;
/** Chunks deleted at most per pass of the age limit (a pass every 10 s): never a long pause. */
const PRUNE_BATCH = 100;
const PRUNE_EVERY_MS = 10_000;
/** Bytes of chunks /search reads at most, newest first: bounded, however common the words (about 50,000 lines). */
const SEARCH_READ_BYTES = 2 * 1024 * 1024;
/** The most line ids one write spans (a write holds at most WRITE_AT lines, or the backlog after a pause). */
const WRITE_SPAN = MAX_BACKLOG + WRITE_AT;
/** Pages of the search index one step of a purge writes (purge()), and the pause between steps. */
const PURGE_PAGES = 50;
const PURGE_PAUSE_MS = 5;
/** Bytes the journal may grow to while writes to the file fail; past it, it is written afresh with the backlog. */
const JOURNAL_PAUSED_BYTES = 16 * 1024 * 1024;

/** Why the history file can't be used; the server exits with it. */


export interface SqliteOptions {
  /** A file, or ":memory:". */
  path: string;
  retention: Retention;
  status: HistoryStatus;
  /** Lines of each room kept in memory for joiners (one more than they are shown, to know if there are more). */
  ringSize?: number;
  /** Bytes those lines may take in all (REPLAY_MEMORY): past it, the rooms joined longest ago are read from the file again. */
  ringBytes?: number;
  clock?: Clock;
  /** While paused, how often a write is tried again (RETRY_MS). */
  retryMs?: number;
  /** Tests: the database handle is theirs to break (a size limit, a failing write). */
  onOpen?(db: Database): void;
}

/** A kept line as this store numbers them. */
interface Line extends Kept {
  readonly id: number;
}

/** A room's last lines in memory, and what they take. */
interface Ring {
  readonly lines: Line[];
  bytes: number;
}

interface ChunkRow {
  id: number;
  room: string;
  count: number;
  /** chunk.ts: a BLOB (schema 7 on), or JSON text (before). */
  lines: string | Uint8Array;
  text: string;
  /** Lines that answer another or were edited (schema 8): JSON by line id, {"r", "e"}; null for most. */
  extra: string | null;
}

export class SqliteHistory implements HistoryStore {
  readonly where: string;
  private readonly clock: Clock;
  private next: number;
  /** Kept, not written yet (oldest first); while paused, the backlog. */
  private pending: Line[] = [];
  private pausedSince: number | undefined;
  readonly writes = { written: 0, failed: 0 };
  private retryTimer: { cancel(): void } | undefined;
  private readonly pruneTimer: { cancel(): void } | undefined;
  /** The last lines of rooms joined lately (most recently used last), for joiners; bounded in bytes. */
  private readonly rings = new Map<string, Ring>();
  private readonly ringSize: number;
  private readonly ringBytes: number;
  /** What every ring holds, in bytes (lineBytes). */
  private ringsHeld = 0;
  /** Lines on disk per room, learnt at a room's first write, for the per-room limit. */
  private readonly counts = new Map<string, number>();
  private readonly statements: Statement[] = [];
  private readonly insert: Statement;
  private readonly index: Statement;
  private readonly countRoom: Statement<{ n: number | null }>;
  private readonly oldestOfRoom: Statement<{ id: number; count: number }>;
  private readonly unindexRoom: Statement;
  private readonly deleteRoom: Statement;
  private readonly oldest: Statement<{ id: number; ts: number }>;
  private readonly unindexUpTo: Statement;
  private readonly deleteUpTo: Statement;
  private readonly page: Statement<ChunkRow>;
  private readonly pageAfter: Statement<ChunkRow>;
  private readonly chunkAt: Statement<ChunkRow>;
  private readonly chunkOf: Statement<ChunkRow>;
  private readonly rewrite: Statement;
  private readonly dropChunk: Statement;
  private readonly unindexChunk: Statement;
  private readonly indexChunk: Statement;
  private readonly reactionsOf: Statement<{ line: number; emoji: string; name: string }>;
  private readonly addReaction: Statement;
  private readonly takeReaction: Statement;
  private readonly dropReactions: Statement;
  private readonly trimReactions: Statement;
  private readonly pruneReactions: Statement;
  private readonly setTopic: Statement;
  private readonly clearTopic: Statement;
  private readonly getTopic: Statement<{ text: string; sender: string; ts: number }>;
  private readonly talked: Statement;
  private readonly conversationsOf: Statement<{ other: string; last: number }>;
  private readonly forgetConversations: Statement;
  private closed = false;
  /** Lines kept and not yet in the file, made to survive a crash (none for a database in memory). */
  private readonly journal: Journal | undefined;
  /** How many of `pending` (from the start) are in the journal. */
  private journaled = 0;
  /** The next step of a purge of edited and deleted text (purge()), while one is under way. */
  private purging: { cancel(): void } | undefined;
  private readonly purgeWaiters: (() => void)[] = [];
  private readonly mergeStep: Statement;
  private readonly totalChanges: Statement<{ n: number }>;

  constructor(
    /** The open file (file.ts), schema current. */
    private readonly db: Database,
    private readonly options: SqliteOptions,
    /** Closes the rest of the file once the history is written and its statements are gone. */
    private readonly closeFile: () => void,
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.where = options.path === ":memory:" ? "memory" : options.path;
    this.ringSize = options.ringSize ?? DEFAULT_REPLAY + 1;
    this.ringBytes = options.ringBytes ?? REPLAY_MEMORY;
    this.next = (this.db.query<{ last: number | null }, []>("SELECT max(last) AS last FROM chunks").get()?.last ?? 0) + 1;
    const prepare = <R>(sql: string) => {
      const statement = this.db.prepare<R, (string | number)[]>(sql);
      this.statements.push(statement);
      return statement;
    };
    this.insert = prepare("INSERT INTO chunks (id, room, last, count, ts, lines, text, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.index = prepare("INSERT INTO chunks_fts (rowid, text) SELECT id, text FROM chunks WHERE id >= ?");
    this.countRoom = prepare("SELECT sum(count) AS n FROM chunks WHERE room = ?");
    this.oldestOfRoom = prepare(`SELECT id, count FROM chunks WHERE room = ? ORDER BY id LIMIT ${PRUNE_BATCH}`);
    this.unindexRoom = prepare("DELETE FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE room = ? AND id <= ?)");
    this.deleteRoom = prepare("DELETE FROM chunks WHERE room = ? AND id <= ?");
    this.oldest = prepare(`SELECT id, ts FROM chunks ORDER BY id LIMIT ${PRUNE_BATCH}`);
    this.unindexUpTo = prepare("DELETE FROM chunks_fts WHERE rowid <= ?");
    this.deleteUpTo = prepare("DELETE FROM chunks WHERE id <= ?");
    this.page = prepare("SELECT id, room, count, lines, text, extra FROM chunks WHERE room = ? AND id < ? ORDER BY id DESC");
    this.pageAfter = prepare("SELECT id, room, count, lines, text, extra FROM chunks WHERE room = ? AND last > ? ORDER BY id");
    this.chunkAt = prepare("SELECT id, room, count, lines, text, extra FROM chunks WHERE room = ? AND ts >= ? ORDER BY id LIMIT 1");
    this.chunkOf = prepare("SELECT id, room, count, lines, text, extra FROM chunks WHERE room = ? AND id <= ? ORDER BY id DESC LIMIT 1");
    this.rewrite = prepare("UPDATE chunks SET count = ?, lines = ?, text = ?, extra = ? WHERE id = ?");
    this.dropChunk = prepare("DELETE FROM chunks WHERE id = ?");
    this.unindexChunk = prepare("DELETE FROM chunks_fts WHERE rowid = ?");
    this.indexChunk = prepare("INSERT INTO chunks_fts (rowid, text) VALUES (?, ?)");
    this.reactionsOf = prepare("SELECT line, emoji, name FROM reactions WHERE room = ? AND line >= ? AND line <= ? ORDER BY ts, emoji, name");
    this.addReaction = prepare("INSERT OR IGNORE INTO reactions (room, line, emoji, name, ts) VALUES (?, ?, ?, ?, ?)");
    this.takeReaction = prepare("DELETE FROM reactions WHERE room = ? AND line = ? AND emoji = ? AND name = ?");
    this.dropReactions = prepare("DELETE FROM reactions WHERE room = ? AND line >= ? AND line <= ?");
    this.mergeStep = prepare(`INSERT INTO chunks_fts (chunks_fts, rank) VALUES ('merge', ${-PURGE_PAGES})`);
    this.totalChanges = prepare("SELECT total_changes() AS n");
    this.trimReactions = prepare("DELETE FROM reactions WHERE room = ?1 AND line < coalesce((SELECT min(id) FROM chunks WHERE room = ?1), ?2)");
    this.pruneReactions = prepare("DELETE FROM reactions WHERE line < coalesce((SELECT min(id) FROM chunks), ?1)");
    this.setTopic = prepare("INSERT OR REPLACE INTO topics (room, text, sender, ts) VALUES (?, ?, ?, ?)");
    this.clearTopic = prepare("DELETE FROM topics WHERE room = ?");
    this.getTopic = prepare("SELECT text, sender, ts FROM topics WHERE room = ?");
    this.talked = prepare("INSERT INTO conversations (account, other, last) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET last = max(last, excluded.last)");
    this.conversationsOf = prepare(`SELECT other, last FROM conversations WHERE account = ? ORDER BY last DESC LIMIT ${CONVERSATIONS_KEPT}`);
    this.forgetConversations = prepare("DELETE FROM conversations WHERE last < ?");
    if (options.path !== ":memory:") {
      const { journal, recovered } = Journal.open(`${options.path}-kept`);
      this.journal = journal;
      // Lines a killed server had sent but not written: written now, in their places (ids go on from them).
      const missing = recovered.filter((r) => r.id >= this.next);
      for (const { id, event } of missing) this.pending.push({ id, event });
      if (missing.length > 0) {
        this.next = missing[missing.length - 1]!.id + 1;
        this.write();
      } else journal.clear();
      // A server stopped in the middle of a purge (a kill -9) left words it was taking out: on.
      this.purge();
    }
    if (options.retention.days > 0) {
      this.pruneTimer = every(this.clock, PRUNE_EVERY_MS, () => this.pruneByAge());
      this.pruneByAge();
    }
  }

  /** Whether writes are failing now. */
  get paused(): boolean {
    return this.pausedSince !== undefined;
  }

  nextId(): number {
    return this.next++;
  }

  keep(said: StoredLine): void {
    // A reply keeps what it answers by id only: the quote is made when it is shown (the line answered may change or go).
    const event = said.type !== "topic" && said.reply && said.reply.from !== undefined ? { ...said, reply: { id: said.reply.id } } : said;
    const kept = { id: Number(event.id), event }; // from nextId: a number, increasing
    this.pending.push(kept);
    if (this.pausedSince === undefined) {
      // A burst: written now, a few milliseconds' worth at a time, rather than in one long stall.
      if (this.pending.length >= WRITE_AT) this.write();
    } else if (this.pending.length > MAX_BACKLOG) {
      const dropped = this.pending.length - MAX_BACKLOG;
      this.pending.splice(0, dropped); // paused: the newest wait
      this.journaled = Math.max(0, this.journaled - dropped);
      if (this.journal && this.journal.bytes > JOURNAL_PAUSED_BYTES) {
        this.journal.clear(); // what it held past the backlog is written afresh at the next commit
        this.journaled = 0;
      }
    }
    const ring = this.rings.get(event.room);
    if (ring) {
      ring.lines.push(kept);
      this.held(ring, lineBytes(kept));
      if (ring.lines.length > this.ringSize) this.held(ring, -lineBytes(ring.lines.shift()!));
      if (this.ringsHeld > this.ringBytes) this.evict();
    }
  }

  /** From memory: a room's ring is read from the file once, then follows what is kept (while there is room for it). */
  recent(room: string, count: number): Line[] {
    if (count > this.ringSize) return this.before(room, count);
    let ring = this.rings.get(room);
    if (ring) {
      this.rings.delete(room); // most recently used last: the first is the one to forget
    } else {
      ring = { lines: this.before(room, this.ringSize), bytes: 0 };
      this.held(ring, ring.lines.reduce((sum, line) => sum + lineBytes(line), 0));
    }
    this.rings.set(room, ring);
    const shown = ring.lines.slice(Math.max(0, ring.lines.length - count));
    if (this.ringsHeld > this.ringBytes) this.evict();
    return shown;
  }

  /** Bytes the replay rings hold now. */
  get ringMemory(): number {
    return this.ringsHeld;
  }

  private held(ring: Ring, bytes: number): void {
    ring.bytes += bytes;
    this.ringsHeld += bytes;
  }

  /** Forgets the rings used longest ago until they fit (a room forgotten is read from the file when next joined). */
  private evict(): void {
    for (const [room, ring] of this.rings) {
      if (this.ringsHeld <= this.ringBytes) return;
      this.rings.delete(room);
      this.ringsHeld -= ring.bytes;
    }
  }

  before(room: string, count: number, before: Cursor = Number.MAX_SAFE_INTEGER): Line[] {
    if (count <= 0) return [];
    const below = typeof before === "number" ? before : Number.MAX_SAFE_INTEGER;
    const found: Line[] = []; // newest first
    // What waits to be written is newer than anything on disk.
    for (let i = this.pending.length - 1; i >= 0 && found.length < count; i--) {
      const kept = this.pending[i]!;
      if (kept.id < below && kept.event.room === room) found.push(kept);
    }
    if (found.length < count) {
      // Chunks that start before the cursor, newest first, until enough lines are read.
      for (const chunk of this.page.iterate(room, below)) {
        const lines = linesOf(chunk);
        for (let i = lines.length - 1; i >= 0 && found.length < count; i--) {
          if (lines[i]!.id < below) found.push(lines[i]!);
        }
        if (found.length >= count) break;
      }
    }
    return this.withReactions(room, found.reverse());
  }

  after(room: string, count: number, after: Cursor): Line[] {
    if (count <= 0) return [];
    const above = typeof after === "number" ? after : Number.MAX_SAFE_INTEGER;
    const found: Line[] = []; // oldest first
    // Chunks that end after the cursor, oldest first, then what waits to be written (newer than anything on disk).
    for (const chunk of this.pageAfter.iterate(room, above)) {
      for (const line of linesOf(chunk)) if (line.id > above && found.length < count) found.push(line);
      if (found.length >= count) break;
    }
    for (const kept of this.pending) {
      if (found.length >= count) break;
      if (kept.id > above && kept.event.room === room) found.push(kept);
    }
    return this.withReactions(room, found);
  }

  at(room: string, ts: number): Line | undefined {
    // A chunk's ts is its last line's: the first chunk ending at ts or later holds the first such line.
    const chunk = this.chunkAt.get(room, ts);
    const line = chunk ? linesOf(chunk).find((l) => l.event.ts >= ts) : this.pending.find((l) => l.event.room === room && l.event.ts >= ts);
    return line && this.withReactions(room, [line])[0];
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

  /**
   * The index finds the chunks that hold every word somewhere; each of their lines is then matched
   * on its own (the same words, whole or as a prefix, case and accents ignored), newest first.
   */
  search(rooms: readonly string[], query: SearchQuery): Line[] {
    if (rooms.length === 0 || query.terms.length === 0) return [];
    this.flush(); // a line said a moment ago is found too
    // Each word is quoted: the user's text is never FTS5 syntax (the words hold letters and digits only).
    const match = query.terms.map((t) => `"${t.word}"${t.prefix ? "*" : ""}`).join(" ");
    const chunks = this.db
      .query<ChunkRow, (string | number)[]>(
        `SELECT c.id, c.room, c.count, c.lines, c.text, c.extra FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
         WHERE chunks_fts MATCH ? AND c.room IN (${rooms.map(() => "?").join(", ")})
         ORDER BY chunks_fts.rowid DESC`,
      )
      .iterate(match, ...rooms);
    let found: Line[] = [];
    let read = 0;
    for (const chunk of chunks) {
      // Chunks come by their first line, newest first; one written at the same time for another
      // room can hold newer lines than the one before it, but never more than a write's span newer.
      const oldestWanted = found.length >= SEARCH_RESULTS ? found[SEARCH_RESULTS - 1]!.id : undefined;
      if (oldestWanted !== undefined && chunk.id < oldestWanted - WRITE_SPAN) break;
      for (const line of linesOf(chunk)) if (lineMatches(line.event.text, query)) found.push(line);
      found = found.sort((a, b) => b.id - a.id).slice(0, SEARCH_RESULTS);
      read += chunk.lines.length;
      if (read >= SEARCH_READ_BYTES) break;
    }
    return found.map((line) => this.withReactions(line.event.room, [line])[0]!);
  }

  conversations(account: string): Conversation[] {
    this.flush(); // one said a moment ago is among them
    return this.conversationsOf.all(account).map(({ other, last }) => ({ key: conversationKey(account, other), with: other, last }));
  }

  find(room: string, id: MessageId): Line | undefined {
    if (typeof id !== "number") return undefined;
    const waiting = this.pending.find((l) => l.id === id && l.event.room === room);
    if (waiting) return this.withReactions(room, [waiting])[0];
    const chunk = this.chunkOf.get(room, id);
    const line = chunk ? linesOf(chunk).find((l) => l.id === id) : undefined;
    return line && this.withReactions(room, [line])[0];
  }

  edit(room: string, id: MessageId, text: string, ts: number): Line | undefined | null {
    return this.change(room, id, (line) => {
      if (line.event.type === "topic") return line;
      return { id: line.id, event: { ...line.event, text, edited: ts } };
    });
  }

  remove(room: string, id: MessageId): Line | undefined | null {
    let removed: Line | undefined;
    const done = this.change(room, id, (line) => {
      removed = line;
      return undefined;
    });
    if (done === null || removed === undefined) return done === null ? null : undefined;
    try {
      this.dropReactions.run(room, removed.id, removed.id);
    } catch (err) {
      this.pause(err);
    }
    return this.withReactions(room, [removed])[0]!;
  }

  react(room: string, id: MessageId, name: string, emoji: string, on: boolean, ts: number): Line | undefined | null {
    const line = this.find(room, id);
    if (!line || line.event.type === "topic") return undefined;
    try {
      if (on) this.addReaction.run(room, line.id, emoji, name, ts);
      else this.takeReaction.run(room, line.id, emoji, name);
    } catch (err) {
      this.pause(err);
      return null;
    }
    const now = this.withReactions(room, [{ id: line.id, event: withoutReactions(line.event) }])[0]!;
    this.inRing(room, line.id, () => now);
    return now;
  }

  /**
   * Line `id` of `room` made into what `change` gives (undefined: taken out), on disk and in the
   * replay ring. Lines waiting are written first, so that the journal never holds an old text.
   */
  private change(room: string, id: MessageId, change: (line: Line) => Line | undefined): Line | undefined | null {
    if (typeof id !== "number") return undefined;
    this.flush();
    if (this.pausedSince !== undefined) return null;
    const chunk = this.chunkOf.get(room, id);
    const lines = chunk ? linesOf(chunk) : [];
    const at = lines.findIndex((l) => l.id === id);
    if (!chunk || at < 0) return undefined;
    const changed = change(lines[at]!);
    const kept = changed ? lines.with(at, changed) : lines.toSpliced(at, 1);
    try {
      this.db.transaction(() => {
        this.unindexChunk.run(chunk.id);
        if (kept.length === 0) {
          this.dropChunk.run(chunk.id);
          return;
        }
        const text = kept.map((l) => oneRecord(l.event.text)).join("\n");
        this.rewrite.run(kept.length, encodeFacts(kept), text, extraOf(kept), chunk.id);
        this.indexChunk.run(chunk.id, text);
      })();
    } catch (err) {
      this.pause(err);
      return null;
    }
    if (!changed) this.counts.set(room, (this.counts.get(room) ?? 1) - 1);
    this.inRing(room, id, () => changed && this.withReactions(room, [changed])[0]);
    this.purge();
    return changed ?? lines[at]!;
  }

  /**
   * The old text's words out of the search index, then the WAL emptied: a chunk taken out of a
   * contentless index leaves its words in the index's segments until they are merged (the
   * secure-delete option does not reach them), so they are merged, PURGE_PAGES at a time with a
   * pause between (a million lines take about 50 steps of at most 13 ms), then a TRUNCATE
   * checkpoint copies the pages back and empties the WAL. Edits and deletes meanwhile join the
   * purge under way.
   */
  private purge(): void {
    if (this.purging) return;
    this.purging = this.clock.later(PURGE_PAUSE_MS, () => this.purgeStep());
  }

  private purgeStep(): void {
    this.purging = undefined;
    if (this.closed) return;
    try {
      const before = this.totalChanges.get()!.n;
      this.mergeStep.run();
      if (this.totalChanges.get()!.n - before > 1) {
        this.purging = this.clock.later(PURGE_PAUSE_MS, () => this.purgeStep());
        return;
      }
      this.flush();
      this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (err) {
      this.pause(err);
      return;
    }
    for (const done of this.purgeWaiters.splice(0)) done();
  }

  /** Resolves once no edited or deleted text is left on disk (the purge has run to its end). */
  purged(): Promise<void> {
    if (!this.purging) return Promise.resolve();
    return new Promise((resolve) => this.purgeWaiters.push(resolve));
  }

  /** Line `id` in `room`'s replay ring, if it is there, made into what `f` gives (undefined: taken out). */
  private inRing(room: string, id: number, f: () => Line | undefined): void {
    const ring = this.rings.get(room);
    const at = ring ? ring.lines.findIndex((l) => l.id === id) : -1;
    if (!ring || at < 0) return;
    const now = f();
    this.held(ring, -lineBytes(ring.lines[at]!));
    if (now) {
      ring.lines[at] = now;
      this.held(ring, lineBytes(now));
    } else ring.lines.splice(at, 1);
  }

  /** `lines` of `room` with their reactions (one query for all of them; none for a room without any). */
  private withReactions(room: string, lines: Line[]): Line[] {
    if (lines.length === 0) return lines;
    let lo = Number.MAX_SAFE_INTEGER;
    let hi = 0;
    for (const { id } of lines) [lo, hi] = [Math.min(lo, id), Math.max(hi, id)];
    const byLine = new Map<number, Map<string, string[]>>();
    for (const { line, emoji, name } of this.reactionsOf.iterate(room, lo, hi)) {
      let emojis = byLine.get(line);
      if (!emojis) byLine.set(line, (emojis = new Map()));
      let names = emojis.get(emoji);
      if (!names) emojis.set(emoji, (names = []));
      names.push(name);
    }
    if (byLine.size === 0) return lines;
    return lines.map((line) => {
      const emojis = byLine.get(line.id);
      if (!emojis || line.event.type === "topic") return line;
      const reactions: Reaction[] = [...emojis].map(([emoji, names]) => ({ emoji, names }));
      return { id: line.id, event: { ...line.event, reactions } };
    });
  }

  /** What was kept since the last commit, into the journal: before anyone is sent it. */
  commit(): void {
    if (!this.journal || this.journaled === this.pending.length) return;
    this.journal.commit(this.pending, this.journaled);
    this.journaled = this.pending.length;
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
        // One chunk per room, its lines in the order said.
        const byRoom = new Map<string, Line[]>();
        for (const line of lines) {
          const room = byRoom.get(line.event.room);
          if (room) room.push(line);
          else byRoom.set(line.event.room, [line]);
        }
        for (const [room, chunk] of byRoom) {
          const first = chunk[0]!;
          const last = chunk[chunk.length - 1]!;
          const text = chunk.map((l) => oneRecord(l.event.text)).join("\n");
          this.insert.run(first.id, room, last.id, chunk.length, last.event.ts, encodeFacts(chunk), text, extraOf(chunk));
          for (const { event } of chunk) {
            if (event.type === "topic" && event.text === "") this.clearTopic.run(room);
            else if (event.type === "topic") this.setTopic.run(room, event.text, event.by, event.ts);
          }
          const two = participants(room);
          if (two) {
            this.talked.run(two[0], two[1], last.event.ts);
            this.talked.run(two[1], two[0], last.event.ts);
          }
        }
        this.index.run(lines[0]!.id); // this write's chunks are the newest
        for (const [room, chunk] of byRoom) this.trim(room, chunk.length);
      })();
    } catch (err) {
      this.counts.clear(); // the transaction was rolled back: learn them again
      this.writes.failed++;
      return this.pause(err);
    }
    this.writes.written += lines.length;
    this.pending = [];
    this.journaled = 0;
    this.journal?.clear(); // the file has every line kept so far
    if (this.pausedSince !== undefined) this.resume();
  }

  /** A room past its limit loses its oldest chunks (it keeps at least its limit of lines). */
  private trim(room: string, added: number): void {
    const known = this.counts.get(room);
    let count = known === undefined ? (this.countRoom.get(room)?.n ?? 0) : known + added;
    const limit = this.options.retention.linesPerRoom;
    let upTo: number | undefined;
    if (count > limit) {
      for (const chunk of this.oldestOfRoom.iterate(room)) {
        if (count - chunk.count < limit) break;
        count -= chunk.count;
        upTo = chunk.id;
      }
    }
    if (upTo !== undefined) {
      this.unindexRoom.run(room, upTo);
      this.deleteRoom.run(room, upTo);
      this.trimReactions.run(room, this.next);
    }
    this.counts.set(room, count);
  }

  /** Chunks past --history-days go, oldest first, at most PRUNE_BATCH a pass (ids grow with time). */
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
        this.pruneReactions.run(this.pending[0]?.id ?? this.next);
        this.forgetConversations.run(cutoff);
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
    // A purge under way is finished now: a deleted line's words must not wait for the next start.
    for (let step = 0; this.purging && step < 100_000; step++) {
      this.purging.cancel();
      this.purgeStep();
    }
    this.closed = true;
    this.retryTimer?.cancel();
    this.pruneTimer?.cancel();
    this.purging?.cancel();
    // Statements first: a connection with live statements closes only later, keeping its lock.
    for (const statement of this.statements) statement.finalize();
    this.closeFile();
  }
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  return code === "SQLITE_FULL" ? "the disk is full" : code ? `${message} (${code})` : message;
}

/** A line's event without its reactions (they are read afresh). */
function withoutReactions(event: StoredLine): StoredLine {
  if (event.type === "topic" || event.reactions === undefined) return event;
  const { reactions: _, ...rest } = event;
  return rest;
}

function topicOf(event: Extract<StoredLine, { type: "topic" }>): Topic {
  return { text: event.text, by: event.by, ts: event.ts };
}

/**
 * A chunk's lines, as written (chunk.ts: either format). A file is ours, but it is read back with
 * care: a line that does not read as one is skipped, not trusted.
 */
function linesOf(chunk: ChunkRow): Line[] {
  const texts = chunk.text.split("\n");
  const extra = chunk.extra === null ? undefined : parseJson(chunk.extra);
  const out: Line[] = [];
  decodeFacts(chunk.lines, chunk.count).forEach((facts, i) => {
    const record = texts[i];
    if (facts === undefined || record === undefined) return;
    const text = fromRecord(record);
    const event = storedEvent(facts.type, facts.id, chunk.room, facts.from, text, facts.ts, isObject(extra) ? stateOf(extra[facts.id]) : undefined);
    if (event) out.push({ id: facts.id, event });
  });
  return out;
}

/** A chunk's `extra`: its lines that answer another or were edited; null when none does (most chunks). */
function extraOf(lines: readonly Kept[]): string | null {
  let extra: Record<string, { r?: MessageId; e?: number }> | undefined;
  for (const { id, event } of lines) {
    const state = stateFields(event);
    if (state) (extra ??= {})[String(id)] = state;
  }
  return extra ? JSON.stringify(extra) : null;
}
