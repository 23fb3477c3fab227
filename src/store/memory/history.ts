// History in memory (`--db none`): each room's lines in an array, gone when the server stops.
// Bounded twice: per room by --history-lines (and --history-days), and in all by --replay-memory,
// past which the oldest lines of the whole server go first. Keeping a line is an array push: no
// table, no search index. /search reads the user's rooms newest first, at most MEMORY_SEARCH_BYTES
// of lines (about the last 30,000), rather than everything an index would find.
//
// A line is kept as columns (its id and time in typed arrays, its kind, sender and text in arrays
// of their own), not as an object: a flood keeps a million lines a second, and objects that live
// for thousands of lines were half of what keeping a line cost the garbage collector.

import { type Clock, every, SYSTEM_CLOCK } from "../../net/clock.ts";
import type { LineState, MessageId, Topic } from "../../protocol/events.ts";
import { type Conversation, conversationKey, CONVERSATIONS_KEPT, type Cursor, freshIds, type HistoryStore, type Kept, lineMatches, participants, type StoredLine, REPLAY_MEMORY, type Retention, SEARCH_RESULTS, type SearchQuery, storedEvent, storedType, textBytes, reactionBytes } from "../history.ts";
import { toggled } from "../../protocol/messages.ts";

/** Bytes of lines /search reads at most (their text), newest first over the rooms asked about. */
export const MEMORY_SEARCH_BYTES = 2 * 1024 * 1024;
/** How often lines past --history-days are let go. */
const PRUNE_EVERY_MS = 10_000;

export interface MemoryHistoryOptions {
  retention: Retention;
  /** Bytes every room's lines may take in all (lineBytes): the oldest go first past it. */
  maxBytes?: number;
  clock?: Clock;
  /** Runs once, when the store is closed (the rest of the in-memory database goes with it). */
  onClose?: () => void;
}

/**
 * A queue of lines in columns, oldest first from `start`; the ones before it are gone and given
 * back in bulk, once they are most of it.
 */
class Lines {
  ids: number[] = [];
  times: number[] = [];
  kinds: string[] = [];
  froms: string[] = [];
  texts: string[] = [];
  /** What the few lines that answer another, were edited or have reactions carry besides, by id. */
  readonly states = new Map<number, LineState>();
  start = 0;

  constructor(readonly room: string) {}

  get count(): number {
    return this.ids.length - this.start;
  }

  /** The id of its oldest line, or -1. */
  get oldestId(): number {
    return this.start < this.ids.length ? this.ids[this.start]! : -1;
  }

  push(id: number, event: StoredLine): void {
    if (event.type !== "topic" && (event.reply || event.file)) this.states.set(id, { ...(event.reply ? { reply: { id: event.reply.id } } : {}), ...(event.file ? { file: event.file } : {}) });
    this.ids.push(id);
    this.times.push(event.ts);
    this.kinds.push(storedType(event));
    this.froms.push(event.type === "topic" ? event.by : event.from);
    this.texts.push(event.text);
  }

  /** Lets its oldest line go; the bytes it took. */
  shift(): number {
    const i = this.start++;
    const bytes = textBytes(this.texts[i]!, this.froms[i]!) + reactionBytes(this.states.get(this.ids[i]!)?.reactions);
    this.states.delete(this.ids[i]!);
    this.texts[i] = ""; // the text goes now, not at the next compaction
    if (this.start >= 1024 && this.start * 2 >= this.ids.length) {
      for (const column of ["ids", "times", "kinds", "froms", "texts"] as const) {
        (this[column] as unknown[]) = this[column].slice(this.start);
      }
      this.start = 0;
    }
    return bytes;
  }

  line(i: number): Kept | undefined {
    const event = storedEvent(this.kinds[i], this.ids[i]!, this.room, this.froms[i]!, this.texts[i]!, this.times[i]!, this.states.get(this.ids[i]!));
    return event && { id: this.ids[i]!, event };
  }

  /** The index of the first line at or after `id` (ids.length if none). */
  indexOf(id: number): number {
    let lo = this.start;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class MemoryHistory implements HistoryStore {
  readonly where = "memory";
  readonly writes = { written: 0, failed: 0 };
  private readonly ids: { next(): number };
  private readonly rooms = new Map<string, Lines>();
  /**
   * Every line kept, by id and room, in the order said: the server's oldest go first past maxBytes.
   * A line its room let go (over --history-lines) stays here until such lines are most of it.
   */
  private orderIds: number[] = [];
  private orderRooms: Lines[] = [];
  private orderStart = 0;
  /** Lines in the order that their room let go already. */
  private goneInOrder = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly topics = new Map<string, Topic>();
  /** Each account's conversations: the other's name key -> when its last line was said (most recent last). */
  private readonly talks = new Map<string, Map<string, number>>();
  private readonly clock: Clock;
  private readonly pruneTimer: { cancel(): void } | undefined;
  private closed = false;

  constructor(private readonly options: MemoryHistoryOptions) {
    this.maxBytes = options.maxBytes ?? REPLAY_MEMORY;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.ids = freshIds(this.clock);
    if (options.retention.days > 0) this.pruneTimer = every(this.clock, PRUNE_EVERY_MS, () => this.pruneByAge());
  }

  /** Rooms with lines kept. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Bytes the lines take now (lineBytes). */
  get memory(): number {
    return this.bytes;
  }

  /** Places the store holds in its order of lines, kept or not (bounded: about twice the lines kept). */
  get entries(): number {
    return this.orderIds.length - this.orderStart;
  }

  nextId(): number {
    return this.ids.next();
  }

  keep(event: StoredLine): void {
    if (this.closed) return;
    const two = participants(event.room);
    if (two) {
      this.talked(two[0], two[1], event.ts);
      this.talked(two[1], two[0], event.ts);
    }
    if (event.type === "topic") {
      if (event.text === "") this.topics.delete(event.room);
      else this.topics.set(event.room, { text: event.text, by: event.by, ts: event.ts });
    }
    let room = this.rooms.get(event.room);
    if (!room) this.rooms.set(event.room, (room = new Lines(event.room)));
    const id = Number(event.id); // from nextId: increasing
    room.push(id, event);
    this.orderIds.push(id);
    this.orderRooms.push(room);
    this.bytes += textBytes(event.text, event.type === "topic" ? event.by : event.from);
    this.writes.written++;
    if (room.count > this.options.retention.linesPerRoom) {
      // Its oldest line is often the server's oldest too (always, on a server of one busy room):
      // then it leaves the order at once, and nothing is left there to compact.
      if (this.orderRooms[this.orderStart] === room && this.orderIds[this.orderStart] === room.oldestId) this.dropOldest();
      else {
        this.bytes -= room.shift();
        if (++this.goneInOrder >= 1024 && this.goneInOrder * 2 >= this.entries) this.compactOrder();
      }
    }
    while (this.bytes > this.maxBytes && this.dropOldest()) {
      // the server's oldest lines go until the rest fit
    }
  }

  /** `account` talked with `other` at `ts`: its list's newest, and its oldest past CONVERSATIONS_KEPT forgotten. */
  private talked(account: string, other: string, ts: number): void {
    let talks = this.talks.get(account);
    if (!talks) this.talks.set(account, (talks = new Map()));
    talks.delete(other);
    talks.set(other, ts);
    if (talks.size > CONVERSATIONS_KEPT) talks.delete(talks.keys().next().value!);
  }

  conversations(account: string): Conversation[] {
    const out: Conversation[] = [];
    for (const [other, last] of this.talks.get(account) ?? []) {
      const key = conversationKey(account, other);
      if (this.rooms.has(key)) out.push({ key, with: other, last }); // not one whose lines all went
    }
    return out.reverse();
  }

  /** Forgets the places of lines their rooms let go already. */
  private compactOrder(): void {
    const ids: number[] = [];
    const rooms: Lines[] = [];
    for (let i = this.orderStart; i < this.orderIds.length; i++) {
      const room = this.orderRooms[i]!;
      const id = this.orderIds[i]!;
      if (id >= room.oldestId && room.oldestId !== -1) {
        ids.push(id);
        rooms.push(room);
      }
    }
    [this.orderIds, this.orderRooms, this.orderStart, this.goneInOrder] = [ids, rooms, 0, 0];
  }

  /** Lets go of the server's oldest line still kept; false when none is. A room's lines go oldest first. */
  private dropOldest(): boolean {
    while (this.orderStart < this.orderIds.length) {
      const i = this.orderStart++;
      const room = this.orderRooms[i]!;
      const kept = this.orderIds[i] === room.oldestId;
      this.orderRooms[i] = undefined as unknown as Lines;
      if (this.orderStart >= 1024 && this.orderStart * 2 >= this.orderIds.length) {
        this.orderIds = this.orderIds.slice(this.orderStart);
        this.orderRooms = this.orderRooms.slice(this.orderStart);
        this.orderStart = 0;
      }
      if (!kept) {
        this.goneInOrder--;
        continue;
      }
      this.bytes -= room.shift();
      // A room with nothing left is forgotten (a server that sees many rooms come and go keeps no
      // trace of each); entries still naming it are passed over like any line let go.
      if (room.count === 0 && this.rooms.get(room.room) === room) this.rooms.delete(room.room);
      return true;
    }
    return false;
  }

  /** Lines past --history-days go (the server's oldest first: ids grow with time). */
  private pruneByAge(): void {
    const cutoff = this.clock.now() - this.options.retention.days * 86_400_000;
    while (this.orderStart < this.orderIds.length) {
      const room = this.orderRooms[this.orderStart]!;
      const kept = this.orderIds[this.orderStart] === room.oldestId;
      if (kept && room.times[room.start]! >= cutoff) return;
      if (!this.dropOldest()) return;
    }
  }

  /** Nothing to make last: lines in memory go with the server. */
  commit(): void {}

  flush(): void {
    // Nothing waits: a line is kept as it is said.
  }

  recent(room: string, count: number): Kept[] {
    return this.before(room, count, Number.MAX_SAFE_INTEGER);
  }

  before(room: string, count: number, before: Cursor): Kept[] {
    const lines = this.rooms.get(room);
    if (!lines || count <= 0) return [];
    const out: Kept[] = [];
    // Newest first, past lines taken back (their places stay, empty).
    for (let i = lines.indexOf(typeof before === "number" ? before : Number.MAX_SAFE_INTEGER) - 1; i >= lines.start && out.length < count; i--) {
      const line = lines.line(i);
      if (line) out.push(line);
    }
    return out.reverse();
  }

  after(room: string, count: number, after: Cursor): Kept[] {
    const lines = this.rooms.get(room);
    if (!lines || count <= 0 || typeof after !== "number") return [];
    const out: Kept[] = [];
    for (let i = Math.max(lines.start, lines.indexOf(after + 1)); i < lines.ids.length && out.length < count; i++) {
      const line = lines.line(i);
      if (line) out.push(line); // past lines taken back
    }
    return out;
  }

  at(room: string, ts: number): Kept | undefined {
    const lines = this.rooms.get(room);
    if (!lines) return undefined;
    // Times grow with ids (the clock the lines were said by): the first at or after ts, by halves.
    let [lo, hi] = [lines.start, lines.ids.length];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lines.times[mid]! < ts) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < lines.ids.length; i++) {
      const line = lines.line(i);
      if (line) return line;
    }
    return undefined;
  }

  find(room: string, id: MessageId): Kept | undefined {
    const at = this.placeOf(room, id);
    return at && at.lines.line(at.i);
  }

  edit(room: string, id: MessageId, text: string, ts: number): Kept | undefined {
    const at = this.placeOf(room, id);
    if (!at || at.lines.kinds[at.i] === "topic") return at && at.lines.line(at.i);
    const { lines, i } = at;
    this.bytes += 2 * (text.length - lines.texts[i]!.length);
    lines.texts[i] = text;
    lines.states.set(lines.ids[i]!, { ...lines.states.get(lines.ids[i]!), edited: ts });
    return lines.line(i);
  }

  remove(room: string, id: MessageId): Kept | undefined {
    const at = this.placeOf(room, id);
    if (!at) return undefined;
    const { lines, i } = at;
    const was = lines.line(i);
    this.bytes -= 2 * lines.texts[i]!.length + reactionBytes(lines.states.get(lines.ids[i]!)?.reactions);
    // Its place stays (the order of lines is by position), empty: no kind, no sender, no text.
    lines.kinds[i] = lines.froms[i] = lines.texts[i] = "";
    lines.states.delete(lines.ids[i]!);
    return was;
  }

  react(room: string, id: MessageId, name: string, emoji: string, on: boolean): Kept | undefined {
    const at = this.placeOf(room, id);
    if (!at || at.lines.kinds[at.i] === "topic") return undefined;
    const { lines, i } = at;
    const state = lines.states.get(lines.ids[i]!) ?? {};
    this.bytes -= reactionBytes(state.reactions);
    const reactions = toggled(state.reactions ?? [], name, emoji, on);
    const { reactions: _, ...rest } = state;
    const now: LineState = reactions.length > 0 ? { ...rest, reactions } : rest;
    lines.states.set(lines.ids[i]!, now);
    this.bytes += reactionBytes(now.reactions);
    return lines.line(i);
  }

  /** Where line `id` of `room` is, if it is kept (and not taken back). */
  private placeOf(room: string, id: MessageId): { lines: Lines; i: number } | undefined {
    const lines = this.rooms.get(room);
    if (!lines || typeof id !== "number") return undefined;
    const i = lines.indexOf(id);
    return i < lines.ids.length && i >= lines.start && lines.ids[i] === id && lines.kinds[i] !== "" ? { lines, i } : undefined;
  }

  topic(room: string): Topic | undefined {
    return this.topics.get(room);
  }

  /** Newest first over `rooms` together, until SEARCH_RESULTS match or MEMORY_SEARCH_BYTES of text are read. */
  search(rooms: readonly string[], query: SearchQuery): Kept[] {
    const cursors = [...new Set(rooms)]
      .map((name) => this.rooms.get(name))
      .filter((r): r is Lines => r !== undefined)
      .map((lines) => ({ lines, at: lines.ids.length - 1 }));
    const found: Kept[] = [];
    let read = 0;
    while (found.length < SEARCH_RESULTS && read < MEMORY_SEARCH_BYTES) {
      let newest: (typeof cursors)[number] | undefined;
      for (const c of cursors) {
        if (c.at >= c.lines.start && (!newest || c.lines.ids[c.at]! > newest.lines.ids[newest.at]!)) newest = c;
      }
      if (!newest) break;
      const i = newest.at--;
      const text = newest.lines.texts[i]!;
      read += text.length;
      if (!lineMatches(text, query)) continue;
      const line = newest.lines.line(i);
      if (line) found.push(line);
    }
    return found;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pruneTimer?.cancel();
    this.rooms.clear();
    this.talks.clear();
    this.orderIds = [];
    this.orderRooms = [];
    this.orderStart = this.goneInOrder = this.bytes = 0;
    this.options.onClose?.();
  }
}
