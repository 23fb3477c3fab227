// What is kept of a room's chat, behind one interface: bun:sqlite on one server (sqlite/), Redis
// Streams in a cluster (redis/, written by the cluster's turn script rather than by flush).
// Public lines, /me actions and topics are kept; so are private messages between two registered
// users (unless --keep-private off), under their conversation's key (conversationKey) where a room's
// name would be: "@" and the two names' keys. A guest's private messages never reach a store.
//
// A kept line has an id (nextId), increasing within its room, and a place in its room's history:
// the cursor /history pages back from. Lines are handed over as they are said; before anyone is sent
// them the hub has the store commit them (made to survive a crash), and it flushes them together at
// most HISTORY_FLUSH_MS (100 ms) later.

import { type KeptEvent, type LineState, type MessageId, messageIdOf, type Reaction, type Topic } from "../protocol/events.ts";

export type { KeptEvent };

/** A line's place in its room's history, as its store numbers them (a row id, a stream id). */
export type Cursor = number | string;

/**
 * A private message as a store keeps it: in `room`, its conversation's key (conversationKey), from
 * `from`; whom it was to is the key's other name. Shown to either of the two as a PrivateLine.
 */
export type KeptPrivate = { type: "private"; id: MessageId; room: string; from: string; text: string; ts: number } & LineState;

/** What a store keeps: a room's line, or a line of a private conversation. */
export type StoredLine = KeptEvent | KeptPrivate;

/** A kept event and its place in its room's (or conversation's) history. */
export interface Kept {
  readonly id: Cursor;
  readonly event: StoredLine;
}

/** A room's kept line and its place. */
export type KeptInRoom = Kept & { readonly event: KeptEvent };

/**
 * Where a private conversation's lines are kept: "@" and the two accounts' name keys, in order,
 * with a space between ("@ana sam"): never a room's name, the same from either side.
 */
export function conversationKey(a: string, b: string): string {
  return a < b ? `@${a} ${b}` : `@${b} ${a}`;
}

/** The two name keys of a conversation's key; undefined for a room's name. */
export function participants(key: string): [string, string] | undefined {
  if (!key.startsWith("@")) return undefined;
  const space = key.indexOf(" ");
  return space > 1 ? [key.slice(1, space), key.slice(space + 1)] : undefined;
}

/** One of an account's conversations: its key, the other's name key, and when its last line was said. */
export interface Conversation {
  key: string;
  with: string;
  last: number;
}

/** Conversations an account's list holds at most (the newest): catch-up, /search and unread counts look at these. */
export const CONVERSATIONS_KEPT = 100;

/**
 * Cursors in their store's order: row numbers, or stream ids ("1764040299000-3", by time then
 * sequence). Negative: `a` comes first.
 */
export function compareCursors(a: Cursor, b: Cursor): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const [am = 0, as = 0] = String(a).split("-").map(Number);
  const [bm = 0, bs = 0] = String(b).split("-").map(Number);
  return am - bm || as - bs;
}

/** A value now (a store in this process), or once a store elsewhere answers (Redis). */
export type Maybe<T> = T | Promise<T>;

/** A store's answer, or null if it failed (Redis gone): never a rejection for whoever waits on it. */
export function settled<T>(value: Maybe<T>): Maybe<T | null> {
  return value instanceof Promise ? value.catch(() => null) : value;
}

/**
 * A write nobody waits on (a read marker, a session used): `failed` if it throws (a file that can't
 * be written) or rejects (Redis gone), never an error for whoever asked.
 */
export function writeAside(write: () => Maybe<unknown>, failed: () => void): void {
  try {
    const done = write();
    if (done instanceof Promise) void done.catch(failed);
  } catch {
    failed();
  }
}

/** `f` of `value`, at once if it is there, else once it comes. */
export function then<T, U>(value: Maybe<T>, f: (v: T) => U): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** `f` of `value` where `f` may itself wait (a second read): one value or one promise, never a promise of one. */
export function chain<T, U>(value: Maybe<T>, f: (v: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** How a kept line's kind is stored: its type, or "bot" for a bot's line (a `public` from the HTTP API). */
export function storedType(event: StoredLine): string {
  return event.type === "public" && event.bot ? "bot" : event.type;
}

/** A kept line from its stored parts (and what it answers, whether it was edited); undefined if they are not one. */
export function storedEvent(type: unknown, id: MessageId, room: string, from: string, text: string, ts: number, state?: LineState): StoredLine | undefined {
  if (type === "topic") return { type, id, room, text, by: from, ts };
  if (type === "private") return participants(room) ? { type, id, room, from, text, ts, ...state } : undefined;
  if (type === "public" || type === "action") return { type, id, room, from, text, ts, ...state };
  if (type === "bot") return { type: "public", id, room, from, text, ts, bot: true, ...state };
  return undefined;
}

/** How a store keeps what a line carries besides its text: `r` what it answers, `e` when edited, `f` the file it shares; undefined for most lines. */
export function stateFields(event: StoredLine): { r?: MessageId; e?: number; f?: [string, string, number, string] } | undefined {
  if (event.type === "topic" || (event.reply === undefined && event.edited === undefined && event.file === undefined)) return undefined;
  const { file } = event;
  return { ...(event.reply ? { r: event.reply.id } : {}), ...(event.edited !== undefined ? { e: event.edited } : {}), ...(file ? { f: [file.id, file.name, file.size, file.type] } : {}) };
}

/** What stateFields kept, read back (checked, not trusted): what a line answers, when it was edited. */
export function stateOf(value: unknown): LineState {
  if (typeof value !== "object" || value === null) return {};
  const { r, e, f } = value as { r?: unknown; e?: unknown; f?: unknown };
  const reply = messageIdOf(r);
  const edited = typeof e === "number" && Number.isFinite(e) ? e : undefined;
  const file =
    Array.isArray(f) && f.length === 4 && typeof f[0] === "string" && typeof f[1] === "string" && typeof f[2] === "number" && typeof f[3] === "string"
      ? { id: f[0], name: f[1], size: f[2], type: f[3] }
      : undefined;
  return { ...(reply !== undefined ? { reply: { id: reply } } : {}), ...(edited !== undefined ? { edited } : {}), ...(file ? { file } : {}) };
}

/** What a line's reactions take in memory (as lineBytes counts them). */
export function reactionBytes(reactions: readonly Reaction[] | undefined): number {
  let bytes = 0;
  for (const r of reactions ?? []) for (const name of r.names) bytes += 48 + 2 * (r.emoji.length + name.length);
  return bytes;
}

/**
 * Ids for a server whose ids are not a file's row numbers (`--db none`, no history): counted from
 * the start time in seconds, so that a restarted server does not give the ids it gave before
 * (unless it said more lines than it ran seconds), and small enough to be whole numbers of 32 bits
 * to the engine for decades: ids counted in microseconds (16 digits) made every array holding
 * them one of doubles, and a 10-user burst a fifth slower.
 */
export function freshIds(clock: { now(): number }): { next(): number } {
  let next = Math.floor(clock.now() / 1000);
  return { next: () => next++ };
}

/** Bytes the lines kept in memory for replay on join may take unless --replay-memory says otherwise. */
export const REPLAY_MEMORY = 32 * 1024 * 1024;

/**
 * What a kept line takes in memory, about: its strings at two bytes a character (what the engine
 * uses for text beyond Latin-1; less for ASCII) and the objects around them.
 */
export function lineBytes(kept: Kept): number {
  const { event } = kept;
  if (event.type === "topic") return textBytes(event.text, event.by);
  return textBytes(event.text, event.from) + reactionBytes(event.reactions);
}

/** lineBytes from a line's text and its sender (or setter), for a store that keeps no Kept objects. */
export function textBytes(text: string, from: string): number {
  return 96 + 2 * (text.length + from.length);
}

/** Most lines one /history answer holds, and the most one replay on join may be set to. */
export const HISTORY_PAGE_MAX = 200;
/** Matches one /search answers with. */
export const SEARCH_RESULTS = 20;
/** Bytes of text one history or search answer holds at most (a client's line is 1 MiB at most). */
export const HISTORY_REPLY_BYTES = 256 * 1024;

/** Where history lives unless --db says otherwise (in the working directory). */
export const DEFAULT_DB = "bunchat.sqlite";
/** What a store keeps unless --history-lines and --history-days say otherwise. */
export const DEFAULT_RETENTION: Retention = { linesPerRoom: 10_000, days: 365 };
/** Lines replayed on joining a room unless --history-on-join says otherwise. */
export const DEFAULT_REPLAY = 20;

/** How much a store keeps. */
export interface Retention {
  /** Lines per room; older ones are deleted as new ones arrive. */
  linesPerRoom: number;
  /** Days a line is kept; 0: as long as linesPerRoom allows. */
  days: number;
}

/** What a store did, for /metrics: lines written, and writes that failed. */
export interface HistoryCounts {
  written: number;
  failed: number;
}

export interface HistoryStore {
  /** Where it lives, for the log ("bunchat.sqlite", "memory"). */
  readonly where: string;
  readonly writes: HistoryCounts;
  /** The id of the next line said here (kept or not: a private message takes one too), increasing. */
  nextId(): MessageId;
  /** Keeps an event said here (its id from nextId, in the order they were given). */
  keep(event: StoredLine): void;
  /**
   * Makes what was kept since the last commit survive a crash (kill -9) of the server: the hub
   * calls it before any bytes of a turn go out, so that a line anyone received is in history.
   * True when the lines are handed to a writer that puts them on the wire only at the next turn of
   * the event loop (Bun's Redis client): the turn's bytes then wait for it.
   */
  commit(): boolean | void;
  /** Writes what was kept since the last flush, together (the hub calls it every HISTORY_FLUSH_MS while lines come). */
  flush(): void;
  /** The newest `count` lines of `room`, oldest first: what a joiner is shown. */
  recent(room: string, count: number): Maybe<Kept[]>;
  /** The newest `count` lines of `room` before the one at `before`, oldest first. */
  before(room: string, count: number, before: Cursor): Maybe<Kept[]>;
  /** The oldest `count` lines of `room` after the one at `after`, oldest first: what a device that last had that line missed. */
  after(room: string, count: number, after: Cursor): Maybe<Kept[]>;
  /** The first line of `room` said at `ts` or later; undefined if none is kept (IRC's CHATHISTORY by timestamp). */
  at(room: string, ts: number): Maybe<Kept | undefined>;
  /** Line `id` of `room` as it is now (text, reactions); undefined if there is none (never was, deleted, or older than is kept). */
  find(room: string, id: MessageId): Maybe<Kept | undefined>;
  /**
   * Line `id` of `room` now reads `text` (edited at `ts`): history and search hold only the new
   * text. The line as it is now; undefined if there is none; null if the store can't change it now.
   */
  edit(room: string, id: MessageId, text: string, ts: number): Maybe<Kept | undefined | null>;
  /**
   * Line `id` of `room` is gone, with its reactions, and its text from every file the store keeps
   * (overwritten, not marked free). The line as it was; undefined if there is none; null if the store can't now.
   */
  remove(room: string, id: MessageId): Maybe<Kept | undefined | null>;
  /**
   * `name` puts `emoji` on line `id` of `room` (`on`), or takes it back. The line with its
   * reactions now; undefined if there is none; null if the store can't now.
   */
  react(room: string, id: MessageId, name: string, emoji: string, on: boolean, ts: number): Maybe<Kept | undefined | null>;
  /** A room's topic, as last set (kept while the room is empty, and across restarts). */
  topic(room: string): Maybe<Topic | undefined>;
  /** The newest SEARCH_RESULTS lines in `rooms` (and conversations, by key) matching `query`, newest first. */
  search(rooms: readonly string[], query: SearchQuery): Maybe<Kept[]>;
  /** `account`'s conversations (a name key) with lines kept, newest first: at most CONVERSATIONS_KEPT. */
  conversations(account: string): Maybe<Conversation[]>;
  /** Writes what is waiting, and lets go of the store. */
  close(): void;
}

/** What a store says when its writes start failing and when they work again. */
export interface HistoryStatus {
  paused(why: string): void;
  resumed(): void;
}

/** Words to search for, each a whole word or (`pre*`) the start of one; all must be in a line. */
export interface SearchQuery {
  terms: { word: string; prefix: boolean }[];
}

/** Words searched for at most, and the longest word. */
export const SEARCH_MAX_TERMS = 8;
const SEARCH_MAX_WORD = 64;

/**
 * /search's words as a query, or why they can't be one. The user's text is never handed to FTS5
 * as syntax: quotes, NEAR(, AND/OR, column filters are all just characters of words here.
 */
export function parseSearch(text: string): SearchQuery | { error: string } {
  const words = text.split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return { error: "Say what to search for." };
  if (words.length > SEARCH_MAX_TERMS) return { error: `Search for at most ${SEARCH_MAX_TERMS} words at once.` };
  const terms: SearchQuery["terms"] = [];
  for (const raw of words) {
    const prefix = raw.length > 1 && raw.endsWith("*");
    // The tokenizer's idea of a word: letters and digits; the rest separates (as it does in lines).
    const parts = (prefix ? raw.slice(0, -1) : raw).split(/[^\p{L}\p{N}]+/u).filter((p) => p !== "");
    for (const [i, part] of parts.entries()) {
      if (part.length > SEARCH_MAX_WORD) return { error: `Words of at most ${SEARCH_MAX_WORD} characters, please.` };
      terms.push({ word: part, prefix: prefix && i === parts.length - 1 });
    }
  }
  if (terms.length === 0) return { error: "Search for words: letters or digits (a trailing * matches the start of a word)." };
  if (terms.length > SEARCH_MAX_TERMS) return { error: `Search for at most ${SEARCH_MAX_TERMS} words at once.` };
  return { terms };
}

/** How a query reads back to its user ("deploy fail*"). */
export function queryText(query: SearchQuery): string {
  return query.terms.map((t) => (t.prefix ? `${t.word}*` : t.word)).join(" ");
}

/** Lower case, accents off: how FTS5's unicode61 tokenizer (remove_diacritics) compares words. */
function fold(word: string): string {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Whether a line holds every word of the query (whole, or as the start of one for `word*`). */
export function lineMatches(text: string, query: SearchQuery): boolean {
  const words = fold(text).match(/[\p{L}\p{N}]+/gu) ?? [];
  return query.terms.every((t) => {
    const term = fold(t.word);
    return words.some((w) => (t.prefix ? w.startsWith(term) : w === term));
  });
}

/**
 * A message's text as one record of a file whose records are lines (a history chunk, the
 * journal): its newlines as U+2028, which no text holds (sanitize.ts takes it out)…
 */
export function oneRecord(text: string): string {
  return text.includes("\n") ? text.replaceAll("\n", "\u2028") : text;
}

/** …and back. */
export function fromRecord(text: string): string {
  return text.includes("\u2028") ? text.replaceAll("\u2028", "\n") : text;
}
