// History in Redis, for a cluster: one stream per room (bunchat:history:<room>, trimmed with
// MAXLEN ~ as lines are added) and the topics in one hash, so that every node replays the same
// lines, those said on other nodes and while it was down included. A node writes only the lines
// said on it, in the script that publishes its turn (src/cluster/scripts.ts): a line that reached
// anyone on another node is in its room's stream.
//
// Redis has no full-text index here (no RediSearch in Debian's redis-server), so /search reads the
// newest SEARCH_SCAN lines of each of the user's rooms and matches their words itself: bounded,
// and said so in the README.

import type { Topic } from "../../protocol/events.ts";
import { isObject, parseJson } from "../../protocol/decode.ts";
import { type Clock, every, SYSTEM_CLOCK } from "../../net/clock.ts";
import { historyKey, TOPICS } from "./keys.ts";
import {
  type Cursor,
  type HistoryCounts,
  type HistoryStore,
  type Kept,
  type KeptEvent,
  lineMatches,
  type Retention,
  SEARCH_RESULTS,
  type SearchQuery,
  storedEvent,
  storedType,
} from "../history.ts";

/** What the store needs from the cluster node it belongs to. */
export interface HistoryLink {
  /** The next line id this node gives (src/cluster/ids.ts). */
  nextId(): string;
  /** Adds a change to this turn's script: hist (a line for room's stream: its id, a space, the line) or topic ('' clears it). */
  write(op: "hist" | "topic", room: string, value: string): void;
  /** What its writes came to (lines written by turn scripts, and lost with failed ones). */
  readonly historyWrites: HistoryCounts;
  /** Runs a command on the node's command connection; rejects while Redis can't be reached. */
  command(name: string, args: string[]): Promise<unknown>;
  /** Lines kept per room's stream. */
  historyLines: number;
}

/** Lines of each room /search reads at most. */
export const SEARCH_SCAN = 2000;
const TRIM_EVERY_MS = 60_000;


export class RedisHistory implements HistoryStore {
  readonly where = "Redis";
  /** Rooms written to since the last trim by age. */
  private readonly written = new Set<string>();
  private readonly trimTimer: { cancel(): void } | undefined;

  constructor(
    private readonly link: HistoryLink,
    private readonly retention: Retention,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    link.historyLines = retention.linesPerRoom;
    if (retention.days > 0) this.trimTimer = every(clock, TRIM_EVERY_MS, () => this.trimByAge());
  }

  get writes(): HistoryCounts {
    return this.link.historyWrites;
  }

  nextId(): string {
    return this.link.nextId();
  }

  keep(event: KeptEvent): void {
    const { type, room, text, ts } = event;
    const from = type === "topic" ? event.by : event.from;
    this.link.write("hist", room, `${event.id} ${JSON.stringify({ type: storedType(event), from, text, ts })}`);
    if (type === "topic") this.link.write("topic", room, text === "" ? "" : JSON.stringify({ text, by: from, ts }));
    if (this.retention.days > 0) this.written.add(room);
  }

  /** The cluster's turn script writes what was kept, before it publishes them to the other nodes. */
  commit(): void {}

  /** The cluster's turn script writes what was kept. */
  flush(): void {}

  async recent(room: string, count: number): Promise<Kept[]> {
    if (count <= 0) return [];
    return entries(room, await this.link.command("XREVRANGE", [historyKey(room), "+", "-", "COUNT", String(count)])).reverse();
  }

  async before(room: string, count: number, before: Cursor): Promise<Kept[]> {
    if (count <= 0) return [];
    const reply = await this.link.command("XREVRANGE", [historyKey(room), `(${before}`, "-", "COUNT", String(count)]);
    return entries(room, reply).reverse();
  }

  async topic(room: string): Promise<Topic | undefined> {
    const value = await this.link.command("HGET", [TOPICS, room]);
    const parsed = typeof value === "string" ? parseJson(value) : undefined;
    if (!isObject(parsed)) return undefined;
    const { text, by, ts } = parsed;
    return typeof text === "string" && typeof by === "string" && typeof ts === "number" ? { text, by, ts } : undefined;
  }

  async search(rooms: readonly string[], query: SearchQuery): Promise<Kept[]> {
    const found: Kept[] = [];
    const scans = await Promise.all(
      rooms.map((room) => this.link.command("XREVRANGE", [historyKey(room), "+", "-", "COUNT", String(SEARCH_SCAN)])),
    );
    rooms.forEach((room, i) => {
      for (const kept of entries(room, scans[i])) if (lineMatches(kept.event.text, query)) found.push(kept);
    });
    return found.sort((a, b) => compareIds(b.id, a.id)).slice(0, SEARCH_RESULTS);
  }

  /** Lines past --history-days go from the rooms written to lately (Redis's ids are its clock in ms). */
  private trimByAge(): void {
    const minId = String(this.clock.now() - this.retention.days * 86_400_000);
    for (const room of this.written) {
      this.link.command("XTRIM", [historyKey(room), "MINID", "~", minId]).catch(() => {}); // again next minute
    }
    this.written.clear();
  }

  close(): void {
    this.trimTimer?.cancel();
  }
}

/** An XRANGE/XREVRANGE reply as kept lines, in the reply's order; an entry that is not one is skipped. */
function entries(room: string, reply: unknown): Kept[] {
  if (!Array.isArray(reply)) return [];
  const out: Kept[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || !Array.isArray(entry[1])) continue;
    const fields: unknown[] = entry[1];
    const value = field(fields, "e");
    const own = field(fields, "i"); // a line stored under another id than its own (scripts.ts)
    const event = typeof value === "string" ? keptEvent(typeof own === "string" ? own : entry[0], room, parseJson(value)) : undefined;
    if (event) out.push({ id: entry[0], event });
  }
  return out;
}

/** A stream entry's field by name (fields are name, value, name, value…). */
function field(fields: unknown[], name: string): unknown {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** A line as the turn script stored it ({type, from, text, ts}), checked field by field. */
function keptEvent(id: string, room: string, value: unknown): KeptEvent | undefined {
  if (!isObject(value)) return undefined;
  const { type, from, text, ts } = value;
  if (typeof from !== "string" || typeof text !== "string" || typeof ts !== "number") return undefined;
  return storedEvent(type, id, room, from, text, ts);
}



/** Stream ids ("1764040299000-3") in order: their time, then their sequence. */
function compareIds(a: Cursor, b: Cursor): number {
  const [am = 0, as = 0] = String(a).split("-").map(Number);
  const [bm = 0, bs = 0] = String(b).split("-").map(Number);
  return am - bm || as - bs;
}
