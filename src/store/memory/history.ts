// History in memory (`--db none`): each room's lines in an array, gone when the server stops.
// Bounded twice: per room by --history-lines (and --history-days), and in all by --replay-memory,
// past which the oldest lines of the whole server go first. Keeping a line is an array push: no
// table, no search index. /search reads the user's rooms newest first, at most SEARCH_READ_BYTES
// of lines (about the last 30,000), rather than everything an index would find.

import { type Clock, every, SYSTEM_CLOCK } from "../../net/clock.ts";
import type { Topic } from "../../protocol/events.ts";
import { type Cursor, type HistoryStore, type Kept, type KeptEvent, lineBytes, lineMatches, REPLAY_MEMORY, type Retention, SEARCH_RESULTS, type SearchQuery } from "../history.ts";

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

interface Line extends Kept {
  readonly id: number;
}

/** A kept line where the store holds it: its room, and whether it has been let go. */
interface Entry {
  readonly line: Line;
  readonly room: RoomLines;
  gone: boolean;
}

/** Drops the first `start` items of `items` once they are most of it (a queue's front, in bulk). */
function compacted<T>(items: T[], start: number): T[] | undefined {
  return start >= 1024 && start * 2 >= items.length ? items.slice(start) : undefined;
}

/** A room's lines, oldest first from `start` (the ones before it are gone, and dropped in bulk). */
class RoomLines {
  entries: Entry[] = [];
  start = 0;

  get count(): number {
    return this.entries.length - this.start;
  }

  /** Lets its oldest line go. */
  dropOldest(): Entry {
    const entry = this.entries[this.start]!;
    entry.gone = true;
    this.entries[this.start++] = undefined as unknown as Entry; // let it go now, not at the next compaction
    const rest = compacted(this.entries, this.start);
    if (rest) [this.entries, this.start] = [rest, 0];
    return entry;
  }

  /** The index of the first line at or after `id` (entries.length if none). */
  indexOf(id: number): number {
    let lo = this.start;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.line.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export class MemoryHistory implements HistoryStore {
  readonly where = "memory";
  readonly writes = { written: 0, failed: 0 };
  private next = 1;
  private readonly rooms = new Map<string, RoomLines>();
  /**
   * Every line kept, in the order said: the server's oldest go first past maxBytes. A line its room
   * let go (over --history-lines) stays here, marked gone, until they are most of it.
   */
  private order: Entry[] = [];
  private orderStart = 0;
  private goneInOrder = 0;
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly topics = new Map<string, Topic>();
  private readonly clock: Clock;
  private readonly pruneTimer: { cancel(): void } | undefined;
  private closed = false;

  constructor(private readonly options: MemoryHistoryOptions) {
    this.maxBytes = options.maxBytes ?? REPLAY_MEMORY;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    if (options.retention.days > 0) this.pruneTimer = every(this.clock, PRUNE_EVERY_MS, () => this.pruneByAge());
  }

  /** Bytes the lines take now (lineBytes), for tests and /metrics. */
  get memory(): number {
    return this.bytes;
  }

  /** Entries the store holds in all, gone or not (bounded: twice the lines kept, give or take 1024). */
  get entries(): number {
    return this.order.length - this.orderStart;
  }

  keep(event: KeptEvent): void {
    if (this.closed) return;
    if (event.type === "topic") {
      if (event.text === "") this.topics.delete(event.room);
      else this.topics.set(event.room, { text: event.text, by: event.by, ts: event.ts });
    }
    let room = this.rooms.get(event.room);
    if (!room) this.rooms.set(event.room, (room = new RoomLines()));
    const entry: Entry = { line: { id: this.next++, event }, room, gone: false };
    room.entries.push(entry);
    this.order.push(entry);
    this.bytes += lineBytes(entry.line);
    this.writes.written++;
    if (room.count > this.options.retention.linesPerRoom) this.letGo(room.dropOldest(), false);
    while (this.bytes > this.maxBytes && this.dropOldest()) {
      // the server's oldest lines go until the rest fit
    }
  }

  /** A line is no longer kept: its bytes are free; its place in `order` is given up in bulk. */
  private letGo(entry: Entry, popped: boolean): void {
    this.bytes -= lineBytes(entry.line);
    if (popped) return;
    if (++this.goneInOrder >= 1024 && this.goneInOrder * 2 >= this.entries) {
      this.order = this.order.slice(this.orderStart).filter((e) => !e.gone);
      this.orderStart = 0;
      this.goneInOrder = 0;
    }
  }

  /** Takes the server's oldest entry out of `order` (gone or not); undefined when there is none. */
  private popOldest(): Entry | undefined {
    if (this.orderStart >= this.order.length) return undefined;
    const entry = this.order[this.orderStart]!;
    this.order[this.orderStart++] = undefined as unknown as Entry;
    const rest = compacted(this.order, this.orderStart);
    if (rest) [this.order, this.orderStart] = [rest, 0];
    if (entry.gone) this.goneInOrder--;
    return entry;
  }

  /** Lets go of the server's oldest line still kept; false when none is. A room's lines go oldest first. */
  private dropOldest(): boolean {
    for (let entry = this.popOldest(); entry; entry = this.popOldest()) {
      if (entry.gone) continue;
      this.letGo(entry.room.dropOldest(), true);
      return true;
    }
    return false;
  }

  /** Lines past --history-days go (the server's oldest first: ids grow with time). */
  private pruneByAge(): void {
    const cutoff = this.clock.now() - this.options.retention.days * 86_400_000;
    while (this.orderStart < this.order.length) {
      const entry = this.order[this.orderStart]!;
      if (!entry.gone && entry.line.event.ts >= cutoff) return;
      if (!this.dropOldest()) return;
    }
  }

  flush(): void {
    // Nothing waits: a line is kept as it is said.
  }

  recent(room: string, count: number): Kept[] {
    return this.before(room, count, Number.MAX_SAFE_INTEGER);
  }

  before(room: string, count: number, before: Cursor): Kept[] {
    const lines = this.rooms.get(room);
    if (!lines || count <= 0) return [];
    const end = lines.indexOf(typeof before === "number" ? before : Number.MAX_SAFE_INTEGER);
    return lines.entries.slice(Math.max(lines.start, end - count), end).map((e) => e.line);
  }

  topic(room: string): Topic | undefined {
    return this.topics.get(room);
  }

  /** Newest first over `rooms` together, until SEARCH_RESULTS match or MEMORY_SEARCH_BYTES of text are read. */
  search(rooms: readonly string[], query: SearchQuery): Kept[] {
    const cursors = [...new Set(rooms)]
      .map((name) => this.rooms.get(name))
      .filter((r): r is RoomLines => r !== undefined)
      .map((room) => ({ room, at: room.entries.length - 1 }));
    const found: Kept[] = [];
    let read = 0;
    while (found.length < SEARCH_RESULTS && read < MEMORY_SEARCH_BYTES) {
      let newest: (typeof cursors)[number] | undefined;
      for (const c of cursors) {
        if (c.at >= c.room.start && (!newest || c.room.entries[c.at]!.line.id > newest.room.entries[newest.at]!.line.id)) newest = c;
      }
      if (!newest) break;
      const { line } = newest.room.entries[newest.at--]!;
      read += line.event.text.length;
      if (lineMatches(line.event.text, query)) found.push(line);
    }
    return found;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pruneTimer?.cancel();
    this.rooms.clear();
    this.order = [];
    this.orderStart = this.goneInOrder = this.bytes = 0;
    this.options.onClose?.();
  }
}
